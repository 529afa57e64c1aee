//! `wait_ready` (IPC `ready`, sd_notify `READY=1`, `listen_timeout`) and
//! `shutdown_with_message`.

use std::time::{Duration, Instant};

use super::common::{alive, pid_of, read, wait_until, Pm2};
use super::support::*;

#[test]
fn wait_ready_node_app_is_launching_until_it_sends_ready() {
    let pm2 = Pm2::new();
    let start = start_launching_until_go(&pm2, "ready", "ready.js", READY_WHEN_GO_JS);
    pm2.write("go", "", false);
    start_returns(start);
    assert_eq!(status_of(&pm2, 0), "online");
}

#[test]
fn wait_ready_python_app_is_online_when_it_notifies_ready() {
    let pm2 = Pm2::new();
    let start = start_launching_until_go(&pm2, "notify", "notify.py", NOTIFY_WHEN_GO_PY);
    pm2.write("go", "", false);
    start_returns(start);
    assert_eq!(status_of(&pm2, 0), "online");
    assert!(
        read(&pm2.log("notify-error.log")).is_empty(),
        "{}",
        read(&pm2.log("notify-error.log"))
    );
}

#[test]
fn wait_ready_without_a_signal_is_online_after_listen_timeout() {
    let pm2 = Pm2::new();
    pm2.write("silent.js", "setInterval(() => {}, 1000);\n", false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"silent\"\nscript = \"silent.js\"\nwait_ready = true\n\
         listen_timeout = 2000\n",
        false,
    );
    let started = Instant::now();
    pm2.run(&["start", "ecosystem.toml"]).ok();
    pm2.wait_status(0, "online");
    assert!(
        started.elapsed() >= Duration::from_millis(2000),
        "online after {:?}, before listen_timeout",
        started.elapsed()
    );
}

#[test]
fn shutdown_with_message_stops_a_node_app_with_the_message() {
    let pm2 = Pm2::new();
    pm2.write("polite.js", POLITE_JS, false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"polite\"\nscript = \"polite.js\"\nshutdown_with_message = true\n\
         kill_timeout = 8000\n",
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let before = pm2.wait_status(0, "online");
    let log = pm2.log("polite-out.log");
    wait_until("the app to listen for messages", || {
        read(&log).contains("started")
    });

    let asked = Instant::now();
    pm2.run(&["stop", "polite"]).ok();
    pm2.wait_status(0, "stopped");
    wait_until("'got shutdown' in the log", || {
        read(&log).contains("got shutdown")
    });
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "it took {:?}: killed at kill_timeout rather than by the message?",
        asked.elapsed()
    );
    assert!(!read(&log).contains("got SIGINT"), "log: {}", read(&log));
    assert!(!alive(pid_of(&before)));
}
