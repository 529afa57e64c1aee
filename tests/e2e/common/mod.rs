//! Shared helpers for end-to-end tests: a private `PM2_HOME`, the real `pm2` binary, and
//! waiting for conditions with a deadline (never a bare sleep).
//!
//! Every [`Pm2`] kills its daemon and every process it started when dropped, so a failing
//! test leaves nothing behind.

#![allow(dead_code)]

pub mod http;
pub mod logs;
pub mod socket;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use pm2_protocol::procfs::Stat;
use serde_json::Value;

/// Default deadline for conditions in tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A private `PM2_HOME` and a scratch directory for apps, with the `pm2` binary.
pub struct Pm2 {
    /// Holds `PM2_HOME`.
    pub home: tempfile::TempDir,
    /// Scratch space for scripts.
    pub work: tempfile::TempDir,
}

/// The output of one command, decoded.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the command succeeded.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the command failed; returns it for checking the message.
    pub fn failed(self) -> Run {
        assert_ne!(
            self.code, 0,
            "command should have failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The `pm2` binary under test.
pub fn pm2_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pm2"))
}

impl Pm2 {
    /// A fresh home (mode 0700 is the daemon's job) and work directory.
    pub fn new() -> Pm2 {
        Pm2 {
            home: tempfile::Builder::new()
                .prefix("pm2-home-")
                .tempdir()
                .expect("temp home"),
            work: tempfile::Builder::new()
                .prefix("pm2-work-")
                .tempdir()
                .expect("temp work"),
        }
    }

    /// `PM2_HOME`.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The scratch directory.
    pub fn work(&self) -> &Path {
        self.work.path()
    }

    /// A `pm2` command in the work directory with this home.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(pm2_bin());
        command
            .args(args)
            .current_dir(self.work())
            .env("PM2_HOME", self.home())
            .env_remove("NO_COLOR");
        command
    }

    /// Runs `pm2 args...` and returns its output.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run pm2"))
    }

    /// Runs `pm2 args...` with extra environment variables (they reach started apps).
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        Run::from(
            self.command(args)
                .envs(vars.iter().copied())
                .output()
                .expect("run pm2"),
        )
    }

    /// Writes a file in the work directory (and makes it executable when asked).
    pub fn write(&self, name: &str, text: &str, executable: bool) -> PathBuf {
        let path = self.work().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write file");
        if executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }

    /// `pm2 jlist`, parsed.
    pub fn jlist(&self) -> Vec<Value> {
        let run = self.run(&["jlist"]).ok();
        match serde_json::from_str::<Value>(run.stdout.trim()) {
            Ok(Value::Array(list)) => list,
            other => panic!("jlist is not a JSON array: {other:?}\n{}", run.stdout),
        }
    }

    /// The jlist entry of one process id.
    pub fn process(&self, pm_id: u64) -> Option<Value> {
        self.jlist()
            .into_iter()
            .find(|p| p["pm_id"].as_u64() == Some(pm_id))
    }

    /// Waits until `check` holds for the jlist, or panics naming `what`.
    pub fn wait_for(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let list = self.jlist();
            if check(&list) {
                return list;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; jlist: {list:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until process `pm_id` has `status`.
    pub fn wait_status(&self, pm_id: u64, status: &str) -> Value {
        let list = self.wait_for(&format!("process {pm_id} to be {status}"), |list| {
            list.iter()
                .any(|p| p["pm_id"].as_u64() == Some(pm_id) && p["pm2_env"]["status"] == status)
        });
        list.into_iter()
            .find(|p| p["pm_id"].as_u64() == Some(pm_id))
            .expect("process present")
    }

    /// A log file under `PM2_HOME/logs`.
    pub fn log(&self, name: &str) -> PathBuf {
        self.home().join("logs").join(name)
    }

    /// The daemon's pid, if it is running.
    pub fn daemon_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.home().join("pm2.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

impl Drop for Pm2 {
    fn drop(&mut self) {
        let pids: Vec<i32> = if self.home().join("rpc.sock").exists() {
            self.jlist_quiet()
        } else {
            Vec::new()
        };
        let daemon = self.daemon_pid();
        let _ = self.command(&["kill"]).output();
        // Backstop: nothing the test started may survive it.
        for pid in pids {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        if let Some(pid) = daemon {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Pm2 {
    fn jlist_quiet(&self) -> Vec<i32> {
        let Ok(output) = self.command(&["jlist"]).output() else {
            return Vec::new();
        };
        let Ok(Value::Array(list)) = serde_json::from_slice::<Value>(&output.stdout) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|p| p["pid"].as_i64())
            .filter(|&pid| pid > 0)
            .map(|pid| pid as i32)
            .collect()
    }
}

/// Waits until `check` is true, or panics naming `what`.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True while a pid exists (and is not a zombie we could reap).
pub fn alive(pid: i32) -> bool {
    if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
        return false;
    }
    // A zombie still answers kill(0); read its state.
    u32::try_from(pid).is_ok_and(pm2_protocol::procfs::running)
}

/// Reads a file, empty when missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A log file and the pieces rotated out of it (pm2-logrotate names them
/// `<stem>__<date>.log`), oldest first, the live file last: together they hold every line.
pub fn log_pieces(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().expect("a directory");
    let stem = path.file_stem().expect("a name").to_string_lossy();
    let prefix = format!("{stem}__");
    let mut rotated: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    rotated.sort();
    rotated
        .into_iter()
        .map(|(_, p)| p)
        .chain(std::iter::once(path.to_path_buf()))
        .collect()
}

/// The bytes of a log with its rotated pieces ([`log_pieces`]).
pub fn log_size(path: &Path) -> u64 {
    log_pieces(path)
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}

// ---------------------------------------------------------------------------------------
// Ports and HTTP on 127.0.0.1 (cluster tests)
// ---------------------------------------------------------------------------------------

/// Panics, naming `what`, unless `check` holds for the whole `window`: for what must *not*
/// happen (no restart after an ignored write), which only an observation window can show.
pub fn stays(what: &str, window: Duration, mut check: impl FnMut() -> bool) {
    let end = Instant::now() + window;
    while Instant::now() < end {
        assert!(check(), "{what} did not hold for {window:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The OS pid of a `jlist` entry (0 when it is not running).
pub fn pid_of(p: &Value) -> i32 {
    p["pid"].as_i64().expect("a pid") as i32
}

/// A path with symlinks resolved (temporary folders may sit behind one); the path itself
/// when it cannot be resolved.
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The live (not zombie) processes with `needle` as one of their arguments.
pub fn processes_running(needle: &str) -> Vec<i32> {
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| alive(pid) && cmdline(pid).iter().any(|a| a == needle))
        .collect();
    pids.sort_unstable();
    pids
}

/// The argv of a process (empty once it is gone).
pub fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// Resident memory of a process (`VmRSS` of `/proc/<pid>/status`), in bytes.
pub fn rss_bytes(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time a process has used, user and system, in clock ticks (`USER_HZ`: 100 a second).
pub fn cpu_ticks(pid: i32) -> Option<u64> {
    Some(Stat::read(u32::try_from(pid).ok()?)?.cpu_ticks)
}
