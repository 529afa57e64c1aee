//! `pm2 describe` (PM2 7's `lib/API/UX/pm2-describe.js`).

use std::collections::BTreeMap;

use pm2_protocol::ProcessInfo;

use super::boxes::{BoxTable, Cell};
use super::color::{status_paint, Paint};
use super::table::uptime;
use super::units::iso_time;

/// PM2's ` Describing process with id 0 - name api ` title then the key/value table of the
/// process (status, name, namespace, version, restarts, uptime, script path, script args,
/// error log path, out log path, pid path, interpreter, interpreter args, script id, exec cwd,
/// exec mode, node.js version, node env, watch & reload, unstable restarts, created at), with
/// PM2's optional rows (`max memory restart`, `entire log path`) where PM2 puts them, and two
/// rows of ours at the end: `inert options` (options accepted without effect yet) and
/// `last error`. Missing values read `N/A`. No trailing newline.
///
/// With `color`, the title is bold inverse, the keys bold cyan, the status coloured and the
/// borders grey, as PM2 paints them.
pub fn describe(p: &ProcessInfo, now_ms: i64, color: bool) -> String {
    let title = format!(
        " Describing process with id {} - name {} ",
        p.pm_id, p.spec.name
    );
    let mut table = BoxTable::key_value();
    for (key, value) in rows(p, now_ms) {
        table.push(vec![Cell::plain(key), value]);
    }
    format!(
        "{}\n{}",
        Paint::BOLD_INVERSE.apply(&title, color),
        table.render(color)
    )
}

/// PM2's ` Divergent env variables from local env ` section of `pm2 describe`: the variables
/// of `local_env` (the environment of the `pm2` command) that the process has with another
/// value, showing the process's value (cut at 240 characters as PM2 does without a
/// terminal). The section title then the table, or an empty line when nothing differs; no
/// trailing newline.
pub fn divergent_env(p: &ProcessInfo, local_env: &BTreeMap<String, String>, color: bool) -> String {
    let title = Paint::BOLD_INVERSE.apply(" Divergent env variables from local env ", color);
    let mut table = BoxTable::key_value();
    for (key, local) in local_env {
        match p.env.get(key) {
            Some(value) if !value.is_empty() && value != local => {
                let shown: String = value.chars().take(240).collect();
                table.push(vec![Cell::plain(key.as_str()), Cell::plain(shown)]);
            }
            _ => {}
        }
    }
    format!("{title}\n{}", table.render(color))
}

fn rows(p: &ProcessInfo, now_ms: i64) -> Vec<(&'static str, Cell)> {
    let spec = &p.spec;
    let or_na = |text: String| {
        if text.is_empty() {
            "N/A".to_owned()
        } else {
            text
        }
    };
    let mut rows: Vec<(&'static str, Cell)> = vec![
        (
            "status",
            Cell::new(p.status.as_str(), status_paint(p.status)),
        ),
        ("name", Cell::plain(spec.name.as_str())),
        ("namespace", Cell::plain(spec.namespace.as_str())),
        ("version", Cell::plain("N/A")),
        ("restarts", Cell::plain(p.restart_time.to_string())),
    ];
    if let Some(bytes) = spec.max_memory_restart {
        rows.push(("max memory restart", Cell::plain(bytes.to_string())));
    }
    if let Some(cron) = &spec.cron_restart {
        rows.push(("cron restart", Cell::plain(cron.as_str())));
    }
    rows.push(("uptime", Cell::plain(uptime(p, now_ms))));
    if let Some(log) = &p.combined_log {
        rows.push((
            "entire log path",
            Cell::plain(log.to_string_lossy().into_owned()),
        ));
    }
    let log_path = |log: &Option<std::path::PathBuf>| {
        log.as_ref().map_or_else(
            || "/dev/null".to_owned(),
            |l| l.to_string_lossy().into_owned(),
        )
    };
    rows.extend([
        (
            "script path",
            Cell::plain(spec.exec_path.to_string_lossy().into_owned()),
        ),
        ("script args", Cell::plain(or_na(spec.args.join(" ")))),
        ("error log path", Cell::plain(log_path(&p.err_log))),
        ("out log path", Cell::plain(log_path(&p.out_log))),
        (
            "pid path",
            Cell::plain(p.pid_file.to_string_lossy().into_owned()),
        ),
        ("interpreter", Cell::plain(spec.interpreter_name())),
        // PM2 shows the array as JavaScript turns it into a string: comma-separated.
        (
            "interpreter args",
            Cell::plain(or_na(spec.interpreter_args.join(","))),
        ),
        ("script id", Cell::plain(p.pm_id.to_string())),
        (
            "exec cwd",
            Cell::plain(spec.cwd.to_string_lossy().into_owned()),
        ),
        ("exec mode", Cell::plain(spec.exec_mode.pm2_name())),
        ("node.js version", Cell::plain("N/A")),
        (
            "node env",
            Cell::plain(p.env.get("NODE_ENV").map_or("N/A", String::as_str)),
        ),
        (
            "watch & reload",
            if spec.watch.enabled {
                Cell::new("✔", Paint::GREEN_BOLD)
            } else {
                Cell::plain("✘")
            },
        ),
        (
            "unstable restarts",
            Cell::plain(p.unstable_restarts.to_string()),
        ),
        ("created at", Cell::plain(iso_time(p.created_at))),
    ]);
    if !spec.inert_options.is_empty() {
        rows.push(("inert options", Cell::plain(spec.inert_options.join(", "))));
    }
    if let Some(error) = &p.log_error {
        rows.push(("log error", Cell::plain(error.as_str())));
    }
    if let Some(error) = &p.last_error {
        rows.push(("last error", Cell::plain(error.as_str())));
    }
    rows
}
