//! One side of the comparison: the reference PM2 or ours, each with its own `PM2_HOME`, both
//! running in the one shared work dir (so absolute paths such as `pm_exec_path` are equal).
//!
//! Dropping a side runs `pm2 kill` and then kills, by pid, whatever it started that is still
//! alive, so a panicking test leaves nothing behind. Nothing is ever killed by name.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use serde_json::Value;

/// A command still running after this is killed (and reported as timed out).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Which implementation a side runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The real PM2 7 under `target/pm2-ref`.
    Reference,
    /// Our `pm2` binary.
    Ours,
}

impl Kind {
    /// How reports name the side.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Reference => "reference",
            Kind::Ours => "ours",
        }
    }
}

/// What one command printed and how it ended.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The exit code; -1 when killed by a signal or by the timeout.
    pub code: i32,
    /// Standard output, as printed.
    pub stdout: String,
    /// Standard error, as printed.
    pub stderr: String,
}

/// A `PM2_HOME` and the program to run pm2 with.
pub struct Side {
    /// Reference or ours.
    pub kind: Kind,
    /// This side's `PM2_HOME` (removed on drop).
    home: tempfile::TempDir,
    /// The shared work dir: every command's cwd.
    work: PathBuf,
    /// The program and its first arguments (`node .../bin/pm2`, or our binary).
    program: Vec<String>,
    /// Every app and daemon pid seen, killed on drop when still ours (see [`Side::owns`]).
    seen: RefCell<BTreeSet<i32>>,
    /// Holds our binary's hard link (see [`pinned_binary`]); removed on drop.
    _bin: Option<tempfile::TempDir>,
}

/// The reference PM2's CLI script, when installed.
pub fn reference_cli() -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pm2-ref/node_modules/pm2/bin/pm2");
    path.exists().then_some(path)
}

/// Our binary, hard-linked (copied across file systems) into a temp dir: a `cargo build`
/// running meanwhile replaces `target/debug/pm2`, which must not vanish under a test.
fn pinned_binary() -> (tempfile::TempDir, PathBuf) {
    let built = Path::new(env!("CARGO_BIN_EXE_pm2"));
    let target = built
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let dir = tempfile::Builder::new()
        .prefix("compat-bin-")
        .tempdir_in(target)
        .or_else(|_| tempfile::Builder::new().prefix("compat-bin-").tempdir())
        .expect("temp dir for the binary");
    let path = dir.path().join("pm2");
    if std::fs::hard_link(built, &path).is_err() {
        std::fs::copy(built, &path).expect("copy the pm2 binary");
    }
    (dir, path)
}

impl Side {
    /// A side with a fresh home, running in `work`.
    pub fn new(kind: Kind, work: &Path) -> Side {
        let (program, bin) = match kind {
            Kind::Reference => {
                let cli = reference_cli().expect("the reference PM2 is installed");
                (
                    vec!["node".to_string(), cli.to_string_lossy().into_owned()],
                    None,
                )
            }
            Kind::Ours => {
                let (dir, path) = pinned_binary();
                (vec![path.to_string_lossy().into_owned()], Some(dir))
            }
        };
        let home = tempfile::Builder::new()
            .prefix(&format!("compat-{}-", kind.label()))
            .tempdir()
            .expect("temp PM2_HOME");
        Side {
            kind,
            home,
            work: work.to_path_buf(),
            program,
            seen: RefCell::new(BTreeSet::new()),
            _bin: bin,
        }
    }

    /// This side's `PM2_HOME`.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `pm2 args...` with `env` added, in the work dir; killed after 30 s.
    pub fn run(&self, args: &[String], env: &[(String, String)]) -> Output {
        let mut command = Command::new(&self.program[0]);
        command
            .args(&self.program[1..])
            .args(args)
            .current_dir(&self.work)
            .env("PM2_HOME", self.home())
            .env_remove("NO_COLOR")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so that a timeout kills the CLI and whatever it spawned
        // in the foreground (a daemon detaches into its own session).
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = match command.spawn() {
            Ok(child) => child,
            // Reported as a failed command: a panic here could be one during a drop.
            Err(e) => {
                return Output {
                    code: -1,
                    stdout: String::new(),
                    stderr: format!("cannot run {}: {e}", self.program[0]),
                }
            }
        };
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        let start = Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().expect("wait pm2") {
                break status.code().unwrap_or(-1);
            }
            if start.elapsed() > COMMAND_TIMEOUT {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                break -1;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        // A daemon that kept the pipes open must not hang the test: take what came.
        let take = |rx: mpsc::Receiver<String>| rx.recv_timeout(Duration::from_secs(2));
        Output {
            code,
            stdout: take(stdout).unwrap_or_default(),
            stderr: take(stderr).unwrap_or_default(),
        }
    }

    /// `pm2 jlist`, parsed (empty when it does not print a JSON array); remembers the pids.
    pub fn jlist(&self) -> Vec<Value> {
        let output = self.run(&["jlist".to_string()], &[]);
        let list = parse_jlist(&output.stdout);
        let mut seen = self.seen.borrow_mut();
        seen.extend(
            list.iter()
                .filter_map(|p| p["pid"].as_i64())
                .map(|p| p as i32),
        );
        seen.extend(self.daemon_pid());
        list
    }

    /// The daemon's pid from `$PM2_HOME/pm2.pid`.
    pub fn daemon_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.home().join("pm2.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// True when `pid` is alive and was started for this home (its environment says so):
    /// a pid seen earlier may since belong to someone else, who must not be killed.
    fn owns(&self, pid: i32) -> bool {
        if pid <= 1 {
            return false;
        }
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            return false;
        };
        let needle = format!("PM2_HOME={}", self.home().display());
        environ
            .split(|&b| b == 0)
            .any(|var| var == needle.as_bytes())
    }
}

/// Reads a pipe to its end on a thread; the text arrives on the channel.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

/// The JSON array `jlist` prints (PM2 may print a line before it when it spawns its daemon).
pub fn parse_jlist(stdout: &str) -> Vec<Value> {
    let start = stdout.find('[').unwrap_or(0);
    match serde_json::from_str::<Value>(stdout[start..].trim()) {
        Ok(Value::Array(list)) => list,
        _ => Vec::new(),
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        if self.home().join("pm2.pid").exists() {
            self.jlist();
            let _ = self.run(&["kill".to_string()], &[]);
        }
        let seen = std::mem::take(&mut *self.seen.borrow_mut());
        for pid in seen.into_iter().chain(self.daemon_pid()) {
            if self.owns(pid) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}
