//! `pm2 ls -m`: PM2 7's `miniDisplay` (`lib/API/UX/pm2-ls-minimal.js`), a block of
//! `key : value` lines per process with no box and no colour, for reading by eye on a
//! narrow terminal or by `grep`.

use std::path::Path;

use pm2_protocol::ProcessInfo;

use super::table::{reported_monit, uptime};
use super::units::human_bytes;

/// The mini list of `rows`, in the order given (PM2 keeps the daemon's id order).
///
/// Byte for byte PM2's: each block ends with an empty line, and memory keeps PM2's
/// trailing space (`memory usage : 12.3mb `). As the other renderers, the text has no
/// final newline, so printing it with one line ending gives PM2's output exactly; no
/// process gives an empty string (PM2 prints nothing).
pub fn mini_list(rows: &[&ProcessInfo], now_ms: i64) -> String {
    let blocks: Vec<String> = rows.iter().map(|p| block(p, now_ms)).collect();
    blocks
        .concat()
        .strip_suffix('\n')
        .unwrap_or_default()
        .to_owned()
}

fn block(p: &ProcessInfo, now_ms: i64) -> String {
    let mode = p.spec.exec_mode.pm2_name().trim_end_matches("_mode");
    let err_log = p.err_log.as_deref().unwrap_or(Path::new("/dev/null"));
    let lines = [
        format!("+--- {}", p.spec.name),
        format!("namespace : {}", p.spec.namespace),
        "version : N/A".to_owned(),
        format!("pid : {}", p.pid.unwrap_or(0)),
        format!("pm2 id : {}", p.pm_id),
        format!("status : {}", p.status.as_str()),
        format!("mode : {mode}"),
        format!("restarted : {}", p.restart_time),
        format!("uptime : {}", uptime(p, now_ms)),
        format!("memory usage : {} ", human_bytes(reported_monit(p).1)),
        format!("error log : {}", err_log.display()),
        format!(
            "watching : {}",
            if p.spec.watch.enabled { "yes" } else { "no" }
        ),
        format!("PID file : {}", p.pid_file.display()),
    ];
    let mut text = lines.join("\n");
    text.push_str("\n\n");
    text
}
