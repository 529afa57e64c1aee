//! A command run on a real terminal: a private tmux server (its own socket, no user
//! config) with one pane of a chosen size, whose screen the test reads and whose keys it
//! sends. For what only shows on a terminal: colours, layouts by width, redraws in place.
//!
//! Dropping it kills the server and so the pane's processes (SIGHUP).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::DEADLINE;

/// One tmux pane running a command.
pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `command` (a bash command line) in a `columns` x `rows` pane. `None` when tmux
    /// is not installed, after saying so on stderr, unless `CI` is set: there it must be.
    pub fn start(command: &str, columns: u16, rows: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is required under CI (.ci/run installs it)"
            );
            eprintln!("tmux is not installed: skipping a terminal test");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("pm2-tmux-")
            .tempdir()
            .expect("temp dir");
        let tmux = Tmux {
            socket: dir.path().join("socket"),
            _dir: dir,
        };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-x", &columns.to_string()])
            .args(["-y", &rows.to_string(), "bash", "-c", command])
            .env_remove("TMUX")
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed: {status}");
        Some(tmux)
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"]);
        command
    }

    fn output(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().expect("run tmux");
        assert!(output.status.success(), "tmux {args:?} failed: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The visible screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.output(&["capture-pane", "-p"])
    }

    /// The visible screen with its colours and attributes as escape sequences.
    pub fn screen_with_escapes(&self) -> String {
        self.output(&["capture-pane", "-p", "-e"])
    }

    /// A tmux format of the pane: `#{history_size}`, `#{cursor_flag}`...
    pub fn format(&self, format: &str) -> String {
        self.output(&["display-message", "-p", format])
            .trim()
            .to_owned()
    }

    /// Types keys (`C-c`, `Enter`, or text).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.output(&args);
    }

    /// Resizes the pane's window, as a user resizing the terminal.
    pub fn resize(&self, columns: u16, rows: u16) {
        let (columns, rows) = (columns.to_string(), rows.to_string());
        self.output(&["resize-window", "-x", &columns, "-y", &rows]);
    }

    /// Waits until the screen satisfies `check`, or panics naming `what` with the screen.
    pub fn wait_screen(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}
