//! systemd: one `<app>.service` unit per app, running the app with this machine's paths.

use super::{ExportApp, File};

/// Options set in a file that a unit cannot express.
pub const UNSUPPORTED: &[&str] = &[
    "exp_backoff_restart_delay",
    "max_restarts",
    "min_uptime",
    "wait_ready",
    "listen_timeout",
    "out_file",
    "error_file",
    "log_file",
];

/// One unit per app.
pub fn files(apps: &[ExportApp]) -> Vec<File> {
    apps.iter()
        .map(|app| File {
            name: format!("{}.service", unit_name(&app.name)),
            text: unit(app),
        })
        .collect()
}

/// A unit name: letters, digits and `:_.-` are kept, anything else becomes `-`.
fn unit_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ":_.-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// One unit file.
pub fn unit(app: &ExportApp) -> String {
    let mut lines = vec![
        "[Unit]".to_string(),
        format!(
            "Description={} (exported by pm2)",
            escape_specifiers(&app.name)
        ),
        "After=network.target".into(),
        String::new(),
        "[Service]".into(),
        "Type=simple".into(),
        format!(
            "WorkingDirectory={}",
            quote(&app.host_dir.display().to_string(), false)
        ),
    ];
    for (key, value) in &app.env {
        lines.push(format!(
            "Environment={}",
            quote(&format!("{key}={value}"), false)
        ));
    }
    let argv: Vec<String> = app.host_command.iter().map(|a| quote(a, true)).collect();
    lines.push(format!("ExecStart={}", argv.join(" ")));
    lines.push(format!(
        "Restart={}",
        if app.autorestart { "always" } else { "no" }
    ));
    if let Some(ms) = app.restart_delay_ms {
        lines.push(format!("RestartSec={ms}ms"));
    }
    if let Some(ms) = app.kill_timeout_ms {
        lines.push(format!("TimeoutStopSec={ms}ms"));
    }
    if let Some(signal) = &app.kill_signal {
        lines.push(format!("KillSignal={signal}"));
    }
    if !app.stop_exit_codes.is_empty() {
        let codes: Vec<String> = app.stop_exit_codes.iter().map(i32::to_string).collect();
        lines.push(format!("RestartPreventExitStatus={}", codes.join(" ")));
    }
    if let Some(bytes) = app.max_memory {
        lines.push(format!("MemoryMax={bytes}"));
    }
    lines.extend([
        String::new(),
        "[Install]".into(),
        "WantedBy=multi-user.target".into(),
        String::new(),
    ]);
    lines.join("\n")
}

/// `%` starts a specifier in most unit settings.
fn escape_specifiers(text: &str) -> String {
    text.replace('%', "%%")
}

/// One word of a unit setting: double-quoted (C escapes) when it holds anything special;
/// `%` doubled always, and `$` doubled in command lines (where it expands variables).
fn quote(word: &str, command: bool) -> String {
    let mut text = escape_specifiers(word);
    if command {
        text = text.replace('$', "$$");
    }
    let plain = !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || "\"'\\;".contains(c) || c.is_control());
    if plain {
        return text;
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
