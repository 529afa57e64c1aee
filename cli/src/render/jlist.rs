//! `pm2 jlist` and `pm2 prettylist`: the process list in the JSON shape PM2 gives it.

use std::path::Path;

use pm2_protocol::process::Pm2Variables;
use pm2_protocol::ProcessInfo;
use serde_json::Value;

use super::inspect::{inspect_node, Node};
use super::table::reported_monit;
use super::units::json_number;

/// The process list as `pm2 jlist` prints it: an array of
/// `{ pid, name, pm2_env: {...}, pm_id, monit: { memory, cpu } }`.
///
/// `pm2_env` holds PM2's fields under PM2's names and types (`status`, `restart_time`,
/// `pm_uptime`, `exec_mode: "fork_mode"`, `pm_out_log_path`, `NODE_APP_INSTANCE`, ...), and
/// `env` the full environment of the process. `pid` is 0 and `monit` zeros when the process
/// is not online, as in PM2. Serialize with `serde_json::to_string` to print it.
///
/// `now_ms` is unused: PM2's JSON holds timestamps, not durations; it is taken for symmetry
/// with the other renderers.
pub fn jlist(procs: &[ProcessInfo], now_ms: i64) -> Value {
    let _ = now_ms;
    Value::Array(procs.iter().map(|p| process_node(p).into_value()).collect())
}

/// The process list as `pm2 prettylist` prints it: the [`jlist`] value in Node's
/// `util.inspect` notation, keys in PM2's order, without a trailing newline (PM2 writes
/// none).
pub fn prettylist(procs: &[ProcessInfo], now_ms: i64) -> String {
    let _ = now_ms;
    inspect_node(&Node::Array(procs.iter().map(process_node).collect()))
}

/// One entry of the list, keys in PM2's order.
pub(crate) fn process_node(p: &ProcessInfo) -> Node {
    let (cpu, memory) = reported_monit(p);
    Node::object([
        ("pid", Node::from(p.pid.unwrap_or(0))),
        ("name", Node::from(p.spec.name.as_str())),
        ("pm2_env", pm2_env(p)),
        ("pm_id", Node::from(p.pm_id)),
        (
            "monit",
            Node::object([
                ("memory", Node::from(memory)),
                ("cpu", Node::from(json_number(cpu))),
            ]),
        ),
    ])
}

fn path(p: &Path) -> Node {
    Node::Str(p.to_string_lossy().into_owned())
}

fn strings(items: &[String]) -> Node {
    Node::Array(items.iter().map(|s| Node::from(s.as_str())).collect())
}

/// `pm2_env.watch` as PM2 keeps it: `false`, `true`, or the paths given.
fn watch(spec: &pm2_protocol::AppSpec) -> Node {
    match (spec.watch.enabled, spec.watch.paths.is_empty()) {
        (false, _) => Node::from(false),
        (true, true) => Node::from(true),
        (true, false) => strings(&spec.watch.paths),
    }
}

/// `pm2_env`, in the order PM2 builds it for an app started from the command line.
pub(super) fn pm2_env(p: &ProcessInfo) -> Node {
    let spec = &p.spec;
    let mut env: Vec<(String, Node)> = Vec::new();
    let mut put = |key: &str, value: Node| env.push((key.to_owned(), value));

    // Flags PM2 keeps without meaning here (`--no-vizion`, `--trace`, `filter_env` ...).
    let stored = |key: &str| -> Option<Node> {
        let text = spec.stored_options.get(key)?;
        serde_json::from_str::<Value>(text)
            .ok()
            .map(|v| Node::from(&v))
    };
    let stored_or = |key: &str, default: bool| stored(key).unwrap_or(Node::from(default));
    put("name", Node::from(spec.name.as_str()));
    put(
        "filter_env",
        stored("filter_env").unwrap_or(Node::Array(Vec::new())),
    );
    put("namespace", Node::from(spec.namespace.as_str()));
    if !spec.args.is_empty() {
        put("args", strings(&spec.args));
    }
    // The process's environment without the variables the daemon adds (PM2's pm2_env.env
    // holds only the caller's and the app's), unless the app set them itself.
    let own = |key: &str| {
        !Pm2Variables::is_added(key, spec)
            || spec.env.contains_key(key)
            || spec.base_env.contains_key(key)
    };
    // Values the file wrote as numbers or booleans keep their type, as in PM2, and so does
    // the number increment_var computes.
    let typed = |key: &str, value: &str| -> Node {
        match spec.typed_env(key, value) {
            Some(v) => Node::from(&v),
            None => Node::from(value),
        }
    };
    put(
        "env",
        Node::object(
            p.env
                .iter()
                .filter(|(k, _)| own(k))
                .map(|(k, v)| (k.clone(), typed(k, v))),
        ),
    );
    put("merge_logs", Node::from(spec.merge_logs));
    put("vizion", stored_or("vizion", true));
    put("autostart", Node::from(spec.autostart));
    // Options PM2 shows only when they are given.
    if spec.wait_ready {
        put("wait_ready", Node::from(true));
    }
    if spec.shutdown_with_message {
        put("shutdown_with_message", Node::from(true));
    }
    if spec.log_json {
        put("log_type", Node::from("json"));
    }
    if let Some(var) = &spec.increment_var {
        put("increment_var", Node::from(var.as_str()));
    }
    for key in ["listen_timeout", "watch_delay", "disable_logs"] {
        if let Some(value) = stored(key) {
            put(key, value);
        }
    }
    put("autorestart", Node::from(spec.autorestart));
    // PM2's command line always sets `watch`; a file's app has it only when it says so.
    if spec.watch.enabled || spec.stored_options.contains_key("watch") {
        put("watch", watch(spec));
    }
    if let Some(ignore) = &spec.watch.ignore {
        put("ignore_watch", strings(ignore));
    }
    if let Some(cron) = &spec.cron_restart {
        put("cron_restart", Node::from(cron.as_str()));
    }
    put("instance_var", Node::from(spec.instance_var.as_str()));
    put("pmx", stored_or("pmx", true));
    put("automation", stored_or("automation", true));
    const SHOWN_ELSEWHERE: [&str; 9] = [
        "vizion",
        "pmx",
        "automation",
        "filter_env",
        "listen_timeout",
        "watch_delay",
        "disable_logs",
        "stop_exit_codes",
        "watch",
    ];
    for key in spec.stored_options.keys() {
        if !SHOWN_ELSEWHERE.contains(&key.as_str()) {
            if let Some(value) = stored(key) {
                put(key, value);
            }
        }
    }
    put("treekill", Node::from(spec.treekill));
    match &spec.run_as {
        Some(run_as) => {
            put("username", Node::from(run_as.user.as_str()));
            put("uid", Node::from(run_as.uid));
            put("gid", Node::from(run_as.gid));
        }
        None => put("username", Node::from(p.username.as_str())),
    }
    put("windowsHide", Node::from(true));
    put("kill_retry_time", Node::from(100u32));
    put("kill_timeout", Node::from(spec.kill_timeout_ms));
    if spec.kill_signal != "SIGINT" {
        put("kill_signal", Node::from(spec.kill_signal.as_str()));
    }
    put("restart_delay", Node::from(spec.restart_delay_ms));
    if let Some(delay) = spec.exp_backoff_restart_delay_ms {
        put("exp_backoff_restart_delay", Node::from(delay));
    }
    put("min_uptime", Node::from(spec.min_uptime_ms));
    put("max_restarts", Node::from(spec.max_restarts));
    // As given: PM2 keeps `--stop-exit-codes 3` as the number 3.
    let codes = || {
        Node::Array(
            spec.stop_exit_codes
                .iter()
                .map(|c| Node::from(*c))
                .collect(),
        )
    };
    put(
        "stop_exit_codes",
        stored("stop_exit_codes").unwrap_or_else(codes),
    );
    if let Some(bytes) = spec.max_memory_restart {
        put("max_memory_restart", Node::from(bytes));
    }
    if spec.time {
        put("time", Node::from(true));
    }
    if let Some(format) = &spec.log_date_format {
        put("log_date_format", Node::from(format.as_str()));
    }
    put("node_args", strings(&spec.interpreter_args));
    put("pm_exec_path", path(&spec.exec_path));
    put("pm_cwd", path(&spec.cwd));
    put("exec_interpreter", Node::from(spec.interpreter_name()));
    put("exec_mode", Node::from(spec.exec_mode.pm2_name()));
    put("instances", Node::from(spec.instances));
    if let Some(log) = &p.combined_log {
        put("pm_log_path", path(log));
    }
    let dev_null = Path::new("/dev/null");
    put(
        "pm_out_log_path",
        path(p.out_log.as_deref().unwrap_or(dev_null)),
    );
    put(
        "pm_err_log_path",
        path(p.err_log.as_deref().unwrap_or(dev_null)),
    );
    put("pm_pid_path", path(&p.pid_file));
    put(&spec.instance_var, Node::from(p.instance));
    put("status", Node::from(p.status.as_str()));
    put("pm_uptime", Node::from(p.pm_uptime));
    put("axm_actions", Node::Array(Vec::new()));
    put("axm_monitor", Node::Object(Vec::new()));
    put("axm_options", Node::Object(Vec::new()));
    put("axm_dynamic", Node::Object(Vec::new()));
    put("created_at", Node::from(p.created_at));
    put("pm_id", Node::from(p.pm_id));
    put("restart_time", Node::from(p.restart_time));
    put("unstable_restarts", Node::from(p.unstable_restarts));
    if let Some(delay) = p.prev_restart_delay {
        put("prev_restart_delay", Node::from(delay));
    }
    put("version", Node::from("N/A"));
    if let Some(code) = p.exit_code {
        put("exit_code", Node::from(code));
    }
    // PM2 also copies the process environment to the top of pm2_env (`pm2_env.PORT`);
    // its own fields win over variables of the same name.
    for (key, value) in p.env.iter().filter(|(k, _)| own(k)) {
        if !env.iter().any(|(k, _)| k == key) {
            env.push((key.clone(), typed(key, value)));
        }
    }
    Node::Object(env)
}
