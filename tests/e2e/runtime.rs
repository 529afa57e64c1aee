//! `pm2-runtime`, the foreground manager for containers: output on stdout/stderr, signals,
//! auto-exit, the control socket, and reaping orphans as PID 1.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{read, wait_until, Pm2, DEADLINE};
use pm2_protocol::procfs::Stat;

fn runtime_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_pm2-runtime"))
}

/// A running `pm2-runtime` with its output in files (read at any time).
struct Runtime {
    child: Child,
    out: std::path::PathBuf,
    err: std::path::PathBuf,
}

impl Runtime {
    fn start(pm2: &Pm2, args: &[&str]) -> Runtime {
        Runtime::start_with(pm2, Command::new(runtime_bin()), args)
    }

    fn start_with(pm2: &Pm2, mut command: Command, args: &[&str]) -> Runtime {
        let out = pm2.work().join("runtime.out");
        let err = pm2.work().join("runtime.err");
        let child = command
            .args(args)
            .current_dir(pm2.work())
            .env("PM2_HOME", pm2.home())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out file"))
            .stderr(std::fs::File::create(&err).expect("err file"))
            .spawn()
            .expect("start pm2-runtime");
        Runtime { child, out, err }
    }

    fn stdout(&self) -> String {
        read(&self.out)
    }

    fn stderr(&self) -> String {
        read(&self.err)
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), signal);
    }

    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "pm2-runtime did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn two_apps(pm2: &Pm2) {
    pm2.write(
        "a.sh",
        "trap 'echo a-bye; exit 0' INT TERM\nwhile true; do echo a-out; sleep 0.1; done\n",
        false,
    );
    pm2.write(
        "b.sh",
        "while true; do echo b-err >&2; sleep 0.1; done\n",
        false,
    );
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"a\"\nscript = \"a.sh\"\n\n[[apps]]\nname = \"b\"\nscript = \"b.sh\"\n",
        false,
    );
}

#[test]
fn two_apps_write_to_stdout_and_stderr_and_sigterm_stops_them_with_exit_0() {
    let pm2 = Pm2::new();
    two_apps(&pm2);
    let mut runtime = Runtime::start(&pm2, &["ecosystem.toml"]);
    wait_until("both apps' output", || {
        runtime.stdout().contains("a-out") && runtime.stderr().contains("b-err")
    });
    assert!(
        !runtime.stdout().contains("b-err"),
        "stderr lines stay on stderr"
    );
    // The control socket answers from another shell.
    let ls = pm2.run(&["ls"]).ok();
    assert!(
        ls.stdout.contains(" a ") && ls.stdout.contains(" b "),
        "{}",
        ls.stdout
    );
    runtime.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(runtime.wait_exit(), 0);
    assert!(
        runtime.stdout().contains("a-bye"),
        "graceful stop: {}",
        runtime.stdout()
    );
}

#[test]
fn json_prints_one_object_per_line() {
    let pm2 = Pm2::new();
    two_apps(&pm2);
    let mut runtime = Runtime::start(&pm2, &["ecosystem.toml", "--json"]);
    wait_until("json lines of both apps", || {
        let out = runtime.stdout();
        out.contains("\"app_name\":\"a\"") && out.contains("\"app_name\":\"b\"")
    });
    for line in runtime.stdout().lines().filter(|l| l.starts_with('{')) {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(
            value["message"].is_string() && value["type"].is_string(),
            "{line}"
        );
    }
    runtime.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(runtime.wait_exit(), 0);
}

#[test]
fn it_exits_non_zero_when_the_only_app_is_gone_for_good() {
    let pm2 = Pm2::new();
    pm2.write("once.sh", "echo done\nexit 3\n", false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"once\"\nscript = \"once.sh\"\nautorestart = false\n",
        false,
    );
    let mut runtime = Runtime::start(&pm2, &["ecosystem.toml"]);
    assert_ne!(runtime.wait_exit(), 0);
    assert!(runtime.stdout().contains("done"));
}

#[test]
fn bad_input_is_one_line_and_starts_nothing() {
    let pm2 = Pm2::new();
    let mut missing = Runtime::start(&pm2, &["nope.js"]);
    assert_ne!(missing.wait_exit(), 0);
    let err = missing.stderr();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("Script not found"), "{err}");
    let mut flag = Runtime::start(&pm2, &["app.js", "--bogus"]);
    assert_ne!(flag.wait_exit(), 0);
    assert_eq!(flag.stderr().trim().lines().count(), 1, "{}", flag.stderr());
}

/// As PID 1 of a pid namespace, orphans of the apps are reaped: no zombie lasts.
#[test]
fn as_pid_1_it_leaves_no_zombie() {
    let pm2 = Pm2::new();
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: unshare --pid is not available here");
        return;
    }
    pm2.write(
        "orphans.sh",
        "while true; do ( sleep 0.05 & ) ; ( true & ) ; sleep 0.05; done\n",
        false,
    );
    let mut command = Command::new("unshare");
    command.args(["--pid", "--fork", "--mount-proc", "--kill-child"]);
    command.arg(runtime_bin());
    let mut runtime = Runtime::start_with(&pm2, command, &["orphans.sh"]);
    // unshare's child is the runtime (PID 1 inside); find it and its zombie children.
    let outer = runtime.child.id();
    wait_until("the runtime inside the namespace", || {
        children_of(outer).len() == 1
    });
    let init = children_of(outer)[0];
    std::thread::sleep(Duration::from_millis(10));
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut worst = 0;
    while Instant::now() < deadline {
        let zombies = children_of(init)
            .into_iter()
            .filter(|&pid| state_of(pid) == Some('Z'))
            .count();
        worst = worst.max(zombies);
        std::thread::sleep(Duration::from_millis(100));
    }
    // A zombie may exist for an instant before it is reaped; none may pile up.
    assert!(worst <= 2, "zombies piled up under PID 1: {worst}");
    // SIGTERM to PID 1 inside (unshare itself does not forward it): stops and exits 0.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(init as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    assert_eq!(runtime.wait_exit(), 0);
}

fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if Stat::read(pid).is_some_and(|stat| stat.ppid == parent) {
            found.push(pid);
        }
    }
    found
}

fn state_of(pid: u32) -> Option<char> {
    Some(Stat::read(pid)?.state)
}
