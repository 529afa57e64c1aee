//! Resolving an [`AppConfig`] into an [`AppSpec`], the way PM2 resolves app attributes.
//!
//! Everything that depends on the caller (cwd, PATH, environment, `PM2_HOME`) is settled
//! here, in the frontend, so that the daemon runs exactly what the user meant.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{AppConfig, CombinedLog, Instances};
use crate::{AppSpec, ExecMode};

/// What a spec is resolved against: the caller's side of the world.
#[derive(Debug, Clone)]
pub struct ResolveContext {
    /// The caller's working directory (or the ecosystem file's folder).
    pub cwd: PathBuf,
    /// The caller's environment; it reaches the app, as in PM2.
    pub caller_env: BTreeMap<String, String>,
    /// `--env <profile>`: which `env_<profile>` table applies.
    pub env_profile: Option<String>,
    /// The daemon's home, for default log and pid paths (which PM2's variables may move).
    pub home: crate::Home,
    /// Number of CPU cores, for `instances = max`.
    pub cpus: u32,
}

/// Why an app cannot be started as written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResolveError {
    /// No `script` was given.
    #[error("app {0:?} has no script")]
    MissingScript(String),
    /// The script is neither a file nor a command on PATH.
    #[error("Script not found: {0}")]
    ScriptNotFound(PathBuf),
    /// The script has no known interpreter and is not executable.
    #[error("script is not executable: {0} (chmod +x it, or set --interpreter)")]
    NotExecutable(PathBuf),
    /// The interpreter is not installed.
    #[error("interpreter {interpreter:?} not found in PATH (needed to run {script})")]
    InterpreterNotFound {
        /// The interpreter.
        interpreter: String,
        /// The script it should run.
        script: String,
    },
    /// The working directory does not exist.
    #[error("cwd does not exist: {0}")]
    CwdMissing(PathBuf),
    /// A TypeScript script, without bun on PATH nor a node that strips types.
    #[error(
        "interpreter \"bun\" not found in PATH (needed to run {0}): TypeScript apps need bun, \
         Node.js >= 22.18 (>= 22.6 with type stripping) or an --interpreter"
    )]
    BunNotFound(String),
    /// `udp_port` on an app that does not run in cluster mode (where instances share it).
    #[error("app {0:?}: udp_port needs exec_mode = \"cluster\"")]
    UdpNeedsCluster(String),
    /// `cron_restart` is not a cron expression we can run.
    #[error(transparent)]
    Cron(#[from] crate::cron::CronError),
    /// `uid`/`gid` name nobody, or the caller may not switch users.
    #[error(transparent)]
    RunAs(#[from] super::users::RunAsError),
}

/// True when this process runs as root (`/proc/self` belongs to the effective user).
fn caller_is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Interpreter PM2 picks for a script extension (`lib/API/interpreter.json`).
pub fn interpreter_for(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?;
    Some(match ext {
        "js" | "cjs" | "mjs" => "node",
        "py" => "python3",
        "rb" => "ruby",
        "sh" => "bash",
        "php" => "php",
        "pl" => "perl",
        "coffee" => "coffee",
        "ls" => "lsc",
        "ts" | "tsx" => "bun",
        _ => return None,
    })
}

/// Finds `program` in the `PATH` of `env` (or checks it directly when it has a slash).
pub fn find_in_path(program: &str, env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return is_executable(&path).then_some(path);
    }
    let path_var = env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok())?;
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// PM2 replaces characters other than letters, digits, `.` and `-` in file names.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn absolute(base: &Path, path: &str) -> PathBuf {
    let path = expand_home(path);
    // As node's path.resolve: `sub/../app.js` is `app.js` (PM2 shows and compares it so).
    crate::lexical::normalize(&if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The port a cluster app serves: `port`, else `PORT` in the app's env, else the caller's.
fn cluster_ports(
    config: &AppConfig,
    env: &BTreeMap<String, String>,
    caller_env: &BTreeMap<String, String>,
) -> Vec<u16> {
    config
        .port
        .or_else(|| env.get("PORT").and_then(|p| p.parse().ok()))
        .or_else(|| caller_env.get("PORT").and_then(|p| p.parse().ok()))
        .into_iter()
        .collect()
}

/// Resolves `config` into a spec: script path, interpreter, name, env and log paths.
pub fn resolve(config: &AppConfig, ctx: &ResolveContext) -> Result<AppSpec, ResolveError> {
    let script = config
        .script
        .clone()
        .ok_or_else(|| ResolveError::MissingScript(config.name.clone().unwrap_or_default()))?;
    let cwd = match &config.cwd {
        Some(dir) => absolute(&ctx.cwd, dir),
        None => ctx.cwd.clone(),
    };
    if !cwd.is_dir() {
        return Err(ResolveError::CwdMissing(cwd));
    }

    // As PM2's mergeEnvironmentVariables: deploy.<profile>.env, then env, then
    // env_<profile>.
    let mut env = ctx
        .env_profile
        .as_ref()
        .and_then(|profile| config.deploy_env.get(profile))
        .cloned()
        .unwrap_or_default();
    env.extend(config.env.clone());
    if let Some(profile) = &ctx.env_profile {
        if let Some(extra) = config.env_profiles.get(profile) {
            env.extend(extra.clone());
        }
    }
    if let Some(port) = config.port {
        env.insert("PORT".into(), port.to_string());
    }
    let mut lookup_env = ctx.caller_env.clone();
    lookup_env.extend(env.clone());

    let mut args = config.args.clone();
    let mut interpreter = config.interpreter.clone().filter(|i| i != "none");
    let explicit_none = config.interpreter.as_deref() == Some("none");
    let mut interpreter_args = config.interpreter_args.clone();
    let default_name;
    let script_path = absolute(&cwd, &script);
    let exec_path = if script_path.is_file() {
        default_name = script_path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string);
        if interpreter.is_none() && !explicit_none {
            interpreter = interpreter_for(&script_path).map(str::to_string);
            if interpreter.as_deref() == Some("bun") && find_in_path("bun", &lookup_env).is_none() {
                let node = super::typescript::without_bun(&script_path, &lookup_env)?;
                interpreter = Some(node.interpreter);
                interpreter_args.extend(node.args);
            }
        }
        if interpreter.is_none() && !is_executable(&script_path) {
            return Err(ResolveError::NotExecutable(script_path));
        }
        script_path
    } else if script.contains(' ') && interpreter.is_none() {
        // `pm2 start "python3 -m http.server"`: run through bash -c, named after the command.
        default_name = Some(script.clone());
        let mut shell_args = vec!["-c".to_string(), script.clone()];
        shell_args.append(&mut args);
        args = shell_args;
        find_in_path("bash", &lookup_env)
            .or_else(|| find_in_path("sh", &lookup_env))
            .ok_or_else(|| ResolveError::ScriptNotFound(PathBuf::from("bash")))?
    } else if !script.contains('/') {
        // A command on PATH (`pm2 start sleep -- 100`).
        default_name = Some(script.clone());
        match find_in_path(&script, &lookup_env) {
            Some(found) => found,
            None => return Err(ResolveError::ScriptNotFound(script_path)),
        }
    } else {
        return Err(ResolveError::ScriptNotFound(script_path));
    };
    if let Some(program) = &interpreter {
        if find_in_path(program, &lookup_env).is_none() {
            return Err(ResolveError::InterpreterNotFound {
                interpreter: program.clone(),
                script: exec_path.display().to_string(),
            });
        }
        if program.contains("python") {
            env.entry("PYTHONUNBUFFERED".into())
                .or_insert_with(|| "1".into());
        }
    }

    let mut name = config
        .name
        .clone()
        .or(default_name)
        .unwrap_or_else(|| script.clone());
    if config.append_env_to_name == Some(true) {
        if let Some(profile) = &ctx.env_profile {
            name = format!("{name}-{profile}");
        }
    }
    // As PM2 (determineExecMode): instances on a node app mean cluster mode.
    let runs_on_node = interpreter
        .as_deref()
        .and_then(|i| Path::new(i).file_name())
        .is_some_and(|n| n == "node" || n == "nodejs");
    let exec_mode = config
        .exec_mode
        .unwrap_or(if config.instances.is_some() && runs_on_node {
            ExecMode::Cluster
        } else {
            ExecMode::Fork
        });
    if !config.udp_ports.is_empty() && exec_mode != ExecMode::Cluster {
        return Err(ResolveError::UdpNeedsCluster(name));
    }
    let instances = match config.instances {
        None => 1,
        Some(Instances::Count(0)) | Some(Instances::Max) => ctx.cpus.max(1),
        Some(Instances::Count(n)) => n,
        Some(Instances::AllBut(n)) => ctx.cpus.saturating_sub(n).max(1),
    };
    // PM2 merges logs of a single fork app (no suffix) unless told otherwise.
    let merge_logs = config
        .merge_logs
        .unwrap_or(exec_mode == ExecMode::Fork && config.instances.is_none());

    let logs_dir = ctx.home.logs_dir();
    let safe = file_safe(&name);
    let disable_logs = config.disable_logs.unwrap_or(false);
    let log_path = |given: &Option<String>, default: String| -> Option<PathBuf> {
        if disable_logs {
            return Some(PathBuf::from("/dev/null"));
        }
        Some(match given.as_deref() {
            Some("NULL") | Some("/dev/null") => PathBuf::from("/dev/null"),
            Some(path) => absolute(&cwd, path),
            None => logs_dir.join(default),
        })
    };
    let out_file = log_path(&config.out_file, format!("{safe}-out.log"));
    let error_file = log_path(&config.error_file, format!("{safe}-error.log"));
    let log_file = match &config.log_file {
        _ if disable_logs => None,
        None => None,
        Some(CombinedLog::Default) => Some(logs_dir.join(format!("{safe}.log"))),
        Some(CombinedLog::Path(path)) => Some(absolute(&cwd, path)),
    };
    let pid_file = match &config.pid_file {
        Some(path) => absolute(&cwd, path),
        None => ctx.home.pids_dir().join(format!("{safe}.pid")),
    };
    let time = config.time.unwrap_or(false);

    let run_as = match (&config.uid, &config.gid) {
        (None, None) => None,
        (user, group) => {
            let user = user.clone().unwrap_or_else(|| "root".into());
            let found = super::users::resolve(
                &user,
                group.as_deref(),
                caller_is_root(),
                Path::new("/etc"),
            )?;
            env.insert("HOME".into(), found.home.clone());
            Some(found)
        }
    };
    let base_env = match &config.filter_env {
        Some(filter) => filter.apply(&ctx.caller_env),
        None => ctx.caller_env.clone(),
    };
    let ports = cluster_ports(config, &env, &ctx.caller_env);
    let cron_restart = match config.cron_restart.as_deref() {
        Some(text) if !crate::cron::is_disabled(text) => {
            crate::cron::CronSchedule::parse(text)?;
            Some(text.to_string())
        }
        _ => None,
    };
    let defaults = super::defaults::Defaults(&ctx.caller_env);
    Ok(AppSpec {
        name,
        namespace: config.namespace.clone().unwrap_or_else(|| "default".into()),
        exec_path,
        args,
        interpreter,
        interpreter_args,
        cwd,
        instances,
        exec_mode,
        env_literals: config
            .env_literals
            .iter()
            .filter(|(k, literal)| {
                env.get(*k)
                    .is_some_and(|v| crate::spec::literal_of(literal, v).is_some())
            })
            .map(|(k, literal)| (k.clone(), literal.clone()))
            .collect(),
        env,
        base_env,
        instance_var: config
            .instance_var
            .clone()
            .or_else(|| defaults.text("PM2_PROCESS_INSTANCE_VAR"))
            .unwrap_or_else(|| "NODE_APP_INSTANCE".into()),
        increment_var: config.increment_var.clone(),
        autorestart: config.autorestart.unwrap_or(true),
        autostart: config.autostart.unwrap_or(true),
        max_restarts: config.max_restarts.unwrap_or(16),
        min_uptime_ms: config.min_uptime_ms.unwrap_or(1000),
        restart_delay_ms: config.restart_delay_ms.unwrap_or(0),
        exp_backoff_restart_delay_ms: config.exp_backoff_restart_delay_ms,
        kill_timeout_ms: config
            .kill_timeout_ms
            .or_else(|| defaults.ms("PM2_KILL_TIMEOUT"))
            .unwrap_or(1600),
        kill_signal: config
            .kill_signal
            .clone()
            .or_else(|| defaults.text("PM2_KILL_SIGNAL"))
            .unwrap_or_else(|| "SIGINT".into()),
        treekill: config.treekill.unwrap_or(true),
        stop_exit_codes: config.stop_exit_codes.clone(),
        out_file,
        error_file,
        log_file,
        pid_file,
        merge_logs,
        time,
        log_date_format: config.log_date_format.clone().or_else(|| {
            time.then(|| {
                defaults
                    .text("PM2_LOG_DATE_FORMAT")
                    .unwrap_or_else(|| "YYYY-MM-DDTHH:mm:ss".to_string())
            })
        }),
        log_json: config.log_type.as_deref() == Some("json"),
        ports,
        udp_ports: config.udp_ports.clone(),
        handover: config.handover.unwrap_or_default(),
        strategy: config.strategy.unwrap_or_default(),
        wait_ready: config.wait_ready.unwrap_or(false),
        listen_timeout_ms: config
            .listen_timeout_ms
            .or_else(|| defaults.ms("PM2_GRACEFUL_LISTEN_TIMEOUT"))
            .unwrap_or(3000),
        shutdown_with_message: config.shutdown_with_message.unwrap_or_else(|| {
            defaults
                .text("PM2_KILL_USE_MESSAGE")
                .is_some_and(|v| v != "false")
        }),
        max_memory_restart: config.max_memory_restart,
        watch: config.watch.to_spec(),
        cron_restart,
        logrotate: config.logrotate.clone(),
        inert_options: config.inert_options.clone(),
        run_as,
        stored_options: config.stored_options.clone(),
    })
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
