//! Compose: one `compose.yaml` with a service per app.

use serde_json::{json, Map, Value};

use super::{dns_label, memory_units, yaml, ExportApp, File};

/// Options set in a file that a compose service cannot express.
pub const UNSUPPORTED: &[&str] = &[
    "restart_delay",
    "exp_backoff_restart_delay",
    "max_restarts",
    "min_uptime",
    "stop_exit_codes",
    "wait_ready",
    "listen_timeout",
    "out_file",
    "error_file",
    "log_file",
];

/// The one file.
pub fn files(apps: &[ExportApp], image: &str) -> Vec<File> {
    let mut services = Map::new();
    for app in apps {
        services.insert(dns_label(&app.name), service(app, image));
    }
    vec![File {
        name: "compose.yaml".into(),
        text: yaml(&json!({ "services": services })),
    }]
}

fn service(app: &ExportApp, image: &str) -> Value {
    let mut s = Map::new();
    s.insert("image".into(), json!(image));
    s.insert("command".into(), json!(app.command));
    s.insert("working_dir".into(), json!(app.container_dir));
    s.insert(
        "restart".into(),
        json!(if app.autorestart { "always" } else { "no" }),
    );
    if !app.env.is_empty() {
        s.insert("environment".into(), json!(app.env));
    }
    if let Some(port) = app.port {
        // Several replicas cannot share one host port: publish on ephemeral host ports.
        let mapping = if app.instances > 1 {
            port.to_string()
        } else {
            format!("{port}:{port}")
        };
        s.insert("ports".into(), json!([mapping]));
    }
    if let Some(bytes) = app.max_memory {
        s.insert(
            "mem_limit".into(),
            json!(memory_units(bytes, "k", "m", "g", "b")),
        );
    }
    if let Some(ms) = app.kill_timeout_ms {
        s.insert("stop_grace_period".into(), json!(format!("{ms}ms")));
    }
    if let Some(signal) = &app.kill_signal {
        s.insert("stop_signal".into(), json!(signal));
    }
    s.insert("deploy".into(), json!({ "replicas": app.instances }));
    Value::Object(s)
}
