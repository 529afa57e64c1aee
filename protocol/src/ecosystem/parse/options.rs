//! One app's keys mapped to [`AppConfig`] fields, with PM2's aliases and value forms.

use super::convert::{
    boolean, duration_ms, env, env_literals, exec_mode, exit_codes, instances, size_bytes, string,
    udp_ports, whole, words,
};
use super::tree::{Entry, Node, Seg, Value};
use super::Doc;
use crate::ecosystem::{AppConfig, CombinedLog, EcosystemError};

/// Node/Keymetrics internals of PM2's schema: no meaning outside Node and PM2's SaaS, kept
/// as PM2 keeps them in `pm2_env` ([`AppConfig::stored_options`]), with one warning.
pub(crate) const NODE_INTERNALS: &[&str] = &[
    "source_map_support",
    "disable_source_map_support",
    "vizion",
    "pmx",
    "automation",
    "trace",
    "disable_trace",
    "v8",
    "event_loop_inspector",
    "deep_monitoring",
];

/// Options PM2 knows that we accept but that have no effect yet: kept in
/// [`AppConfig::inert_options`] with a warning.
const INERT: &[&str] = &[
    "io",
    "post_update",
    "name_prefix",
    "install_url",
    "username",
    "windowsHide",
    "kill_retry_time",
    "write",
];

/// Reads the app at `path` (its `number` is 1-based, for messages).
pub(super) fn parse_app(
    doc: &Doc<'_>,
    node: &Node,
    path: Vec<Seg>,
    number: usize,
    warnings: &mut Vec<String>,
) -> Result<AppConfig, EcosystemError> {
    let start_line = doc.line(node.line, &path).unwrap_or(1);
    let Value::Map(entries) = &node.value else {
        return Err(doc.invalid(
            start_line,
            format!(
                "app #{number} must be a table of options, got {}",
                node.value.describe()
            ),
        ));
    };
    let label = match node.value.get("name").map(|e| &e.node.value) {
        Some(Value::Str(name)) if !name.is_empty() => format!("app {name:?}"),
        _ => format!("app #{number}"),
    };
    let app = App {
        doc,
        path,
        label,
        start_line,
    };
    let mut config = AppConfig::default();
    for entry in entries {
        app.apply(entry, &mut config, warnings)?;
    }
    let keys: Vec<&str> = config
        .stored_options
        .keys()
        .map(String::as_str)
        .filter(|k| NODE_INTERNALS.contains(k))
        .collect();
    if !keys.is_empty() {
        let message = format!(
            "{}: {} only mean something to Node/PM2's SaaS: stored, no effect",
            app.label,
            keys.join(", ")
        );
        warnings.push(doc.warning(None, &message));
    }
    if config.script.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(doc.invalid(start_line, format!("{}: missing \"script\"", app.label)));
    }
    Ok(config)
}

/// The app being read: how to name it and where its keys are.
pub(super) struct App<'a> {
    doc: &'a Doc<'a>,
    path: Vec<Seg>,
    pub(super) label: String,
    start_line: usize,
}

impl App<'_> {
    fn key_line(&self, entry: &Entry) -> Option<usize> {
        let mut path = self.path.clone();
        path.push(Seg::Key(entry.key.clone()));
        self.doc.line(entry.line, &path)
    }

    /// A warning line at the key's line (when known).
    pub(super) fn warning_at(&self, entry: &Entry, message: &str) -> String {
        self.doc.warning(self.key_line(entry), message)
    }

    /// `app "api": option "instances" must be <expected>, got <value>`, at the key's line.
    pub(super) fn type_error(&self, entry: &Entry, expected: &str) -> EcosystemError {
        let line = self.key_line(entry).unwrap_or(self.start_line);
        self.doc.invalid(
            line,
            format!(
                "{}: option {:?} must be {expected}, got {}",
                self.label,
                entry.key,
                entry.node.value.describe()
            ),
        )
    }

    fn apply(
        &self,
        entry: &Entry,
        config: &mut AppConfig,
        warnings: &mut Vec<String>,
    ) -> Result<(), EcosystemError> {
        let value = &entry.node.value;
        if let Some(key) = snake_case_alias(&entry.key) {
            let renamed = Entry {
                key,
                ..entry.clone()
            };
            return self.apply(&renamed, config, warnings);
        }
        let key = entry.key.as_str();
        let known = is_known(key);
        if matches!(value, Value::Null) && known {
            // `null` / `~`: PM2's default.
            return Ok(());
        }
        let string = || string(value).ok_or_else(|| self.type_error(entry, "a string"));
        let boolean = || boolean(value).ok_or_else(|| self.type_error(entry, "true or false"));
        let duration = || {
            duration_ms(value)
                .ok_or_else(|| self.type_error(entry, "a duration in ms or like \"10s\""))
        };
        let words =
            || words(value).ok_or_else(|| self.type_error(entry, "a string or a list of strings"));
        match key {
            "name" => config.name = Some(string()?),
            "script" | "exec" => config.script = Some(string()?),
            // PM2 (Common.js): `execute_command: true` means fork mode.
            "execute_command" => {
                if boolean()? {
                    config.exec_mode = Some(crate::ExecMode::Fork);
                }
            }
            // PM2 (Common.js): `cmd` stands for `script` when there is none.
            "cmd" => {
                let cmd = string()?;
                config.script.get_or_insert(cmd);
            }
            "uid" | "user" => {
                config.uid = Some(
                    scalar_text(value)
                        .ok_or_else(|| self.type_error(entry, "a user name or number"))?,
                )
            }
            "gid" => {
                config.gid = Some(
                    scalar_text(value)
                        .ok_or_else(|| self.type_error(entry, "a group name or number"))?,
                )
            }
            "filter_env" => {
                let filter = match value {
                    Value::Bool(true) => Some(crate::ecosystem::FilterEnv::All),
                    Value::Bool(false) => None,
                    _ => Some(crate::ecosystem::FilterEnv::Containing(words()?)),
                };
                config.filter_env = filter;
                config.stored_options.insert(key.to_owned(), to_json(value));
            }
            _ if NODE_INTERNALS.contains(&key) => {
                config.stored_options.insert(key.to_owned(), to_json(value));
            }
            "args" => config.args = words()?,
            "interpreter" | "exec_interpreter" => config.interpreter = Some(string()?),
            "interpreter_args" | "node_args" | "interpreterArgs" => {
                config.interpreter_args = words()?
            }
            "cwd" => config.cwd = Some(string()?),
            "instances" => {
                config.instances = Some(
                    instances(value)
                        .ok_or_else(|| self.type_error(entry, "a number or \"max\""))?,
                )
            }
            "exec_mode" => {
                config.exec_mode = Some(
                    exec_mode(value)
                        .ok_or_else(|| self.type_error(entry, "\"fork\" or \"cluster\""))?,
                )
            }
            "env" => {
                config.env = env(value).ok_or_else(|| self.env_error(entry))?;
                config.env_literals.extend(env_literals(value));
            }
            "namespace" => config.namespace = Some(string()?),
            "autorestart" => config.autorestart = Some(boolean()?),
            "autostart" => config.autostart = Some(boolean()?),
            "treekill" => config.treekill = Some(boolean()?),
            "merge_logs" | "combine_logs" => config.merge_logs = Some(boolean()?),
            "disable_logs" => {
                let disabled = boolean()?;
                config.disable_logs = Some(disabled);
                config
                    .stored_options
                    .insert(key.to_owned(), disabled.to_string());
            }
            "time" => config.time = Some(boolean()?),
            "force" => config.force = Some(boolean()?),
            "wait_ready" => config.wait_ready = Some(boolean()?),
            "shutdown_with_message" => config.shutdown_with_message = Some(boolean()?),
            "listen_timeout" => {
                let ms = duration()?;
                config.listen_timeout_ms = Some(ms);
                config.stored_options.insert(key.to_owned(), ms.to_string());
            }
            "listen" => {
                config.handover = Some(match value {
                    Value::Str(mode) if mode == "inherit" => crate::Handover::Inherit,
                    Value::Str(mode) if mode == "proxy" => crate::Handover::Proxy,
                    _ => return Err(self.type_error(entry, "\"inherit\" or \"proxy\"")),
                })
            }
            "strategy" => {
                let strategy = match value {
                    Value::Str(text) => crate::Strategy::parse(text),
                    _ => None,
                };
                config.strategy = Some(strategy.ok_or_else(|| {
                    self.type_error(
                        entry,
                        "\"one_for_one\", \"one_for_all\" or \"rest_for_one\"",
                    )
                })?);
            }
            "max_restarts" => {
                let n = whole(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| self.type_error(entry, "a whole number (0 or more)"))?;
                config.max_restarts = Some(n);
            }
            "min_uptime" => config.min_uptime_ms = Some(duration()?),
            "restart_delay" => config.restart_delay_ms = Some(duration()?),
            "exp_backoff_restart_delay" => config.exp_backoff_restart_delay_ms = Some(duration()?),
            "kill_timeout" => config.kill_timeout_ms = Some(duration()?),
            "kill_signal" => config.kill_signal = Some(string()?),
            "stop_exit_codes" => {
                config.stop_exit_codes = exit_codes(value).ok_or_else(|| {
                    self.type_error(entry, "an exit code or a list of exit codes")
                })?;
                config.stored_options.insert(key.to_owned(), to_json(value));
            }
            "out_file" | "output" | "out" | "out_log" => config.out_file = Some(string()?),
            "error_file" | "error" | "err_file" | "err" | "err_log" => {
                config.error_file = Some(string()?)
            }
            "log_file" | "log" => {
                config.log_file = match value {
                    Value::Bool(true) => Some(CombinedLog::Default),
                    Value::Bool(false) => None,
                    Value::Str(path) => Some(CombinedLog::Path(path.clone())),
                    _ => return Err(self.type_error(entry, "a path or true")),
                }
            }
            "log_date_format" => config.log_date_format = Some(string()?),
            "logrotate" => config.logrotate = self.logrotate(entry, warnings)?,
            "log_type" => config.log_type = Some(string()?),
            "pid_file" | "pid" => config.pid_file = Some(string()?),
            "instance_var" => config.instance_var = Some(string()?),
            "increment_var" => config.increment_var = Some(string()?),
            "append_env_to_name" => config.append_env_to_name = Some(boolean()?),
            "max_memory_restart" => {
                config.max_memory_restart = Some(size_bytes(value).ok_or_else(|| {
                    self.type_error(entry, "a size in bytes or like \"150M\" or \"1G\"")
                })?)
            }
            "port" => {
                let port = whole(value)
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| self.type_error(entry, "a port number (0 to 65535)"))?;
                config.port = Some(port);
            }
            "udp_port" | "udp_ports" => {
                config.udp_ports = udp_ports(value).ok_or_else(|| {
                    self.type_error(entry, "a port number (1 to 65535) or a list of them")
                })?
            }
            _ if super::watch::KEYS.contains(&key) => self.watch_option(entry, config, warnings)?,
            _ => {
                if let Some(profile) = profile_of(key) {
                    let vars = env(value).ok_or_else(|| self.env_error(entry))?;
                    config.env_profiles.insert(profile.to_owned(), vars);
                    config.env_literals.extend(env_literals(value));
                } else if INERT.contains(&key) {
                    if !config.inert_options.iter().any(|o| o == key) {
                        config.inert_options.push(key.to_owned());
                        let message = format!(
                            "{}: option {key:?} is accepted but has no effect yet",
                            self.label
                        );
                        warnings.push(self.doc.warning(None, &message));
                    }
                } else {
                    let message = format!("{}: unknown option {key:?} (ignored)", self.label);
                    warnings.push(self.doc.warning(self.key_line(entry), &message));
                }
            }
        }
        Ok(())
    }

    fn env_error(&self, entry: &Entry) -> EcosystemError {
        self.type_error(entry, "a table of variables")
    }
}

/// PM2 accepts every option under its camelCase name too (`maxMemoryRestart`,
/// `killTimeout`: Config.js builds them from the schema): the option's own name for such a
/// key, `None` when the key is not one.
fn snake_case_alias(key: &str) -> Option<String> {
    if !key.chars().any(|c| c.is_ascii_uppercase()) || key == "windowsHide" {
        return None;
    }
    let mut snake = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    (is_known(&snake) && profile_of(&snake).is_none()).then_some(snake)
}

/// A string or a whole number, as text (`uid = 1000` or `uid = "alice"`).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) if !s.is_empty() => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The value as JSON text, as PM2 would store it in `pm2_env`.
fn to_json(value: &Value) -> String {
    value.to_json().to_string()
}

/// True for every key [`App::apply`] reads or accepts.
fn is_known(key: &str) -> bool {
    const READ: &[&str] = &[
        "name",
        "script",
        "cmd",
        "execute_command",
        "uid",
        "user",
        "gid",
        "filter_env",
        "exec",
        "args",
        "interpreter",
        "exec_interpreter",
        "interpreter_args",
        "node_args",
        "interpreterArgs",
        "cwd",
        "instances",
        "exec_mode",
        "env",
        "namespace",
        "autorestart",
        "autostart",
        "treekill",
        "strategy",
        "merge_logs",
        "combine_logs",
        "disable_logs",
        "logrotate",
        "time",
        "force",
        "max_restarts",
        "min_uptime",
        "restart_delay",
        "exp_backoff_restart_delay",
        "kill_timeout",
        "kill_signal",
        "stop_exit_codes",
        "out_file",
        "output",
        "out",
        "out_log",
        "error_file",
        "error",
        "err_file",
        "err",
        "err_log",
        "log_file",
        "log",
        "log_date_format",
        "pid_file",
        "pid",
        "instance_var",
        "increment_var",
        "append_env_to_name",
        "max_memory_restart",
        "port",
        "udp_port",
        "udp_ports",
    ];
    READ.contains(&key)
        || INERT.contains(&key)
        || NODE_INTERNALS.contains(&key)
        || super::watch::KEYS.contains(&key)
        || profile_of(key).is_some()
}

/// `production` for `env_production`.
fn profile_of(key: &str) -> Option<&str> {
    key.strip_prefix("env_").filter(|p| !p.is_empty())
}
