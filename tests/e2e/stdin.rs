//! Every app's standard input is a pipe the daemon keeps: `pm2 send` writes a line to it,
//! `pm2 attach` connects a terminal to it, an app that never reads it does not block
//! anything, and it survives `pm2 update`.

use crate::common;

use std::time::{Duration, Instant};

use common::tmux::Tmux;
use common::{pm2_bin, read, wait_until, Pm2};

/// A bash app that echoes each line it reads, after saying it is ready.
const ECHO: &str = "echo ready\nwhile IFS= read -r line; do echo \"got: $line\"; done\n";

fn start_echo(pm2: &Pm2) {
    pm2.write("echo.sh", ECHO, false);
    pm2.run(&["start", "echo.sh"]).ok();
    let out = pm2.log("echo-out.log");
    wait_until("the app to start", || read(&out).contains("ready"));
}

#[test]
fn send_delivers_a_line_the_app_echoes() {
    let pm2 = Pm2::new();
    start_echo(&pm2);
    let run = pm2.run(&["send", "0", "hello", "there"]).ok();
    assert!(run.stdout.contains("echo"), "the table follows: {run:?}");
    let out = pm2.log("echo-out.log");
    wait_until("the echoed line", || {
        read(&out).contains("got: hello there")
    });
    // By name too (ours), and the app still reads after it was restarted.
    pm2.run(&["restart", "echo"]).ok();
    wait_until("the restarted app", || {
        read(&out).matches("ready").count() == 2
    });
    pm2.run(&["send", "echo", "again"]).ok();
    wait_until("the second line", || read(&out).contains("got: again"));
    assert_eq!(pm2.process(0).expect("echo")["pm2_env"]["restart_time"], 1);
}

#[test]
fn send_to_a_stopped_or_unknown_process_fails() {
    let pm2 = Pm2::new();
    start_echo(&pm2);
    pm2.run(&["stop", "0"]).ok();
    let stopped = pm2.run(&["send", "0", "hi"]).failed();
    assert!(stopped.stderr.contains("offline"), "{stopped:?}");
    pm2.run(&["send", "9", "hi"]).failed();
}

#[test]
fn an_app_that_never_reads_gets_errors_not_a_stuck_daemon() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "deaf", "--", "1000"])
        .ok();
    let line = "x".repeat(4000);
    let deadline = Instant::now() + common::DEADLINE;
    let refused = loop {
        let run = pm2.run(&["send", "0", &line]);
        if run.code != 0 {
            break run;
        }
        assert!(Instant::now() < deadline, "the pipe never filled");
    };
    assert!(refused.stderr.contains("stdin is full"), "{refused:?}");
    // The daemon and the app are fine.
    let started = Instant::now();
    pm2.run(&["ls"]).ok();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(pm2.process(0).expect("deaf")["pm2_env"]["status"], "online");
}

#[test]
fn stdin_survives_pm2_update() {
    let pm2 = Pm2::new();
    start_echo(&pm2);
    let pid = pm2.process(0).expect("echo")["pid"].clone();
    pm2.run(&["update"]).ok();
    pm2.wait_status(0, "online");
    assert_eq!(pm2.process(0).expect("echo")["pid"], pid, "same process");
    pm2.run(&["send", "0", "after", "update"]).ok();
    let out = pm2.log("echo-out.log");
    wait_until("the line sent after the update", || {
        read(&out).contains("got: after update")
    });
}

/// Polls the screen for at most `within`; false when `check` never held.
fn screen_shows(tmux: &Tmux, within: Duration, check: impl Fn(&str) -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check(&tmux.screen()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn attach_echoes_typed_lines_through_the_app() {
    let pm2 = Pm2::new();
    start_echo(&pm2);
    let command = format!(
        "PM2_HOME={} {} attach 0; echo attach-ended; sleep 100",
        pm2.home().display(),
        pm2_bin().display()
    );
    let Some(tmux) = Tmux::start(&command, 80, 20) else {
        return;
    };
    // A line typed before attach follows the app's output is echoed unseen: type until one
    // shows (each is new, so the app's output says which arrived).
    let deadline = Instant::now() + common::DEADLINE;
    for n in 1.. {
        tmux.send_keys(&[&format!("line-{n}"), "Enter"]);
        if screen_shows(&tmux, Duration::from_millis(500), |s| {
            s.contains("got: line-")
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing echoed:\n{}",
            tmux.screen()
        );
    }
    tmux.send_keys(&["typed-by-hand", "Enter"]);
    tmux.wait_screen("the typed line echoed", |s| {
        s.contains("got: typed-by-hand")
    });
    tmux.send_keys(&["C-c"]);
    tmux.wait_screen("attach to end on Ctrl-C", |s| s.contains("attach-ended"));
    assert!(read(&pm2.log("echo-out.log")).contains("got: typed-by-hand"));
    assert_eq!(pm2.process(0).expect("echo")["pm2_env"]["status"], "online");
}
