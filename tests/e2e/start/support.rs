//! What the start tests share: apps that stay up, waiting on log lines and restarts, and
//! checks for one-line errors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::common::{read, wait_until, Pm2, Run};

/// Keeps a node app alive.
pub const KEEP_ALIVE: &str = "setInterval(() => {}, 1000);\n";

/// PM2's words when a running script is started again without `-f`.
pub const ALREADY_LAUNCHED: &str = "Script already launched, add -f option to force re-execution";

/// A node app that runs `body` once and stays alive.
pub fn node_app(body: &str) -> String {
    format!("{body}\n{KEEP_ALIVE}")
}

/// Waits until the file at `path` contains `needle`; returns its text.
pub fn wait_log(path: &Path, needle: &str) -> String {
    let mut text = String::new();
    wait_until(&format!("{needle:?} in {}", path.display()), || {
        text = read(path);
        text.contains(needle)
    });
    text
}

/// Waits until `needle` occurs `count` times in the file at `path`; returns its text.
pub fn wait_until_count(path: &Path, needle: &str, count: usize) -> String {
    let mut text = String::new();
    wait_until(
        &format!("{count} x {needle:?} in {}", path.display()),
        || {
            text = read(path);
            text.matches(needle).count() >= count
        },
    );
    text
}

/// Waits until process 0 is online with `restart_time` at least `count`.
pub fn wait_restarted(pm2: &Pm2, count: u64) -> Value {
    let list = pm2.wait_for(&format!("restart_time {count} and online"), |list| {
        list.iter().any(|p| {
            p["pm_id"] == 0
                && p["pm2_env"]["status"] == "online"
                && p["pm2_env"]["restart_time"].as_u64() >= Some(count)
        })
    });
    list.into_iter()
        .find(|p| p["pm_id"] == 0)
        .expect("process 0")
}

/// The error must be a single line on stderr containing every needle.
pub fn assert_one_line_error(run: &Run, needles: &[&str]) {
    let stderr = run.stderr.trim();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr expected:\n{stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{needle:?} missing from {stderr:?}"
        );
    }
}

/// No process is managed (a daemon that never started manages none).
pub fn assert_nothing_started(pm2: &Pm2) {
    if pm2.home().join("rpc.sock").exists() {
        let list = pm2.jlist();
        assert!(list.is_empty(), "nothing should have started: {list:#?}");
    }
}

/// Runs a prepared `pm2` command (with extra environment, say).
pub fn run_command(mut command: std::process::Command) -> Run {
    let output = command.output().expect("run pm2");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `YYYY-MM-DDTHH:mm:ss`.
pub fn is_iso_timestamp(text: &str) -> bool {
    text.len() == 19
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
}

/// Where `program` is on PATH, if anywhere.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}
