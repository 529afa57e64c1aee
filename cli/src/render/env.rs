//! `pm2 env <id>`: a process's `pm2_env` as PM2 lists it, one `key: value` line each.

use pm2_protocol::ProcessInfo;

use super::inspect::Node;
use super::jlist::pm2_env;
use super::units::js_number;
use super::Paint;

/// PM2's own fields that `pm2 env` leaves out (`Common.safeExtend`'s `keysToIgnore`).
const IGNORED: &[&str] = &[
    "name",
    "exec_mode",
    "env",
    "args",
    "pm_cwd",
    "exec_interpreter",
    "pm_exec_path",
    "node_args",
    "pm_out_log_path",
    "pm_err_log_path",
    "pm_pid_path",
    "pm_id",
    "status",
    "pm_uptime",
    "created_at",
    "windowsHide",
    "username",
    "merge_logs",
    "kill_retry_time",
    "prev_restart_delay",
    "instance_var",
    "unstable_restarts",
    "restart_time",
    "axm_actions",
    "pmx_module",
    "command",
    "watch",
    "filter_env",
    "versioning",
    "vizion_runing",
    "MODULE_DEBUG",
    "pmx",
    "axm_options",
    "vizion",
    "axm_dynamic",
    "axm_monitor",
    "instances",
    "automation",
    "autostart",
    "autorestart",
    "stop_exit_codes",
    "unstable_restart",
    "treekill",
    "exit_code",
];

/// The lines of `pm2 env`: the `pm2_env` of `pm2 jlist` without PM2's own bookkeeping
/// fields and objects, last key first as PM2 walks it, values green on a terminal. In
/// practice: the process's environment variables, then `version`, the instance variable,
/// `namespace` and the options set on the app.
pub fn env_listing(p: &ProcessInfo, color: bool) -> String {
    let Node::Object(entries) = pm2_env(p) else {
        return String::new();
    };
    let mut lines = Vec::with_capacity(entries.len());
    for (key, value) in entries.iter().rev() {
        if IGNORED.contains(&key.as_str()) {
            continue;
        }
        let Some(text) = js_string(value) else {
            continue;
        };
        lines.push(format!("{key}: {}", Paint::GREEN.apply(&text, color)));
    }
    lines.join("\n")
}

/// JavaScript's `${value}`; `None` for objects (`[object Object]`, which PM2 skips).
fn js_string(node: &Node) -> Option<String> {
    Some(match node {
        Node::Null => "null".to_owned(),
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => n.as_f64().map(js_number).unwrap_or_else(|| n.to_string()),
        Node::Str(s) => s.clone(),
        Node::Array(items) => items
            .iter()
            .map(|item| match item {
                Node::Null => String::new(),
                other => js_string(other).unwrap_or_else(|| "[object Object]".to_owned()),
            })
            .collect::<Vec<_>>()
            .join(","),
        Node::Object(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture::process;

    #[test]
    fn variables_and_options_without_pm2_bookkeeping() {
        let mut p = process(3, "api");
        p.env.insert("FOO".into(), "bar".into());
        let text = env_listing(&p, false);
        let keys: Vec<&str> = text
            .lines()
            .map(|l| l.split(": ").next().unwrap())
            .collect();
        assert!(text.lines().any(|l| l == "FOO: bar"), "{text}");
        assert!(text.lines().any(|l| l == "HOME: /home/u"), "{text}");
        assert!(text.lines().any(|l| l == "namespace: default"), "{text}");
        assert!(text.lines().any(|l| l == "NODE_APP_INSTANCE: 0"), "{text}");
        for ignored in [
            "name",
            "pm_id",
            "status",
            "env",
            "pm_exec_path",
            "axm_monitor",
        ] {
            assert!(!keys.contains(&ignored), "{ignored} shown:\n{text}");
        }
        assert_eq!(
            keys.last(),
            Some(&"namespace"),
            "PM2 walks the keys backwards"
        );
    }

    #[test]
    fn values_are_green_on_a_terminal() {
        let text = env_listing(&process(0, "api"), true);
        assert!(
            text.contains("namespace: \x1b[32mdefault\x1b[39m"),
            "{text}"
        );
    }
}
