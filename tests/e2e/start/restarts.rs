//! Exits and restarts: `--no-autorestart`, `max_restarts`/`min_uptime`, `restart_delay`,
//! `kill_timeout`, `stop_exit_codes`.

use std::time::Instant;

use super::common::{alive, pid_of, read, wait_until, Pm2};
use super::support::*;

#[test]
fn no_autorestart_leaves_a_crashed_app_stopped() {
    let pm2 = Pm2::new();
    pm2.write(
        "crash.js",
        "console.log('crashing once'); process.exit(1);\n",
        false,
    );
    pm2.run(&["start", "crash.js", "--no-autorestart"]).ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pm2_env"]["restart_time"], 0, "{p:#}");
    assert_eq!(p["pm2_env"]["autorestart"], false);
    let text = wait_log(&pm2.log("crash-out.log"), "crashing once");
    assert_eq!(text.matches("crashing once").count(), 1, "{text}");
}

#[test]
fn max_restarts_and_min_uptime_make_a_crashing_app_errored() {
    let pm2 = Pm2::new();
    pm2.write("crash.js", "console.log('run'); process.exit(1);\n", false);
    pm2.run(&[
        "start",
        "crash.js",
        "--max-restarts",
        "3",
        "--min-uptime",
        "5s",
    ])
    .ok();
    let p = pm2.wait_status(0, "errored");
    // PM2: the third unstable exit reaches max_restarts = 3, after 2 restarts.
    assert_eq!(p["pm2_env"]["restart_time"], 2, "{p:#}");
    assert_eq!(p["pm2_env"]["min_uptime"], 5000);
    assert_eq!(p["pm2_env"]["max_restarts"], 3);
    let runs = read(&pm2.log("crash-out.log")).matches("run\n").count();
    assert_eq!(runs, 3, "the app ran once and was restarted twice");
}

#[test]
fn restart_delay_waits_between_restarts() {
    let pm2 = Pm2::new();
    pm2.write(
        "crash.js",
        "console.log('started at ' + Date.now()); process.exit(1);\n",
        false,
    );
    pm2.run(&["start", "crash.js", "--restart-delay", "3000"])
        .ok();
    let p = pm2.wait_status(0, "waiting restart");
    assert_eq!(p["pm2_env"]["restart_delay"], 3000);
    pm2.wait_for("the first restart", |list| {
        list.iter()
            .any(|p| p["pm2_env"]["restart_time"].as_u64() >= Some(1))
    });
    let text = wait_until_count(&pm2.log("crash-out.log"), "started at ", 2);
    let starts: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("started at "))
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    let gap = starts[1] - starts[0];
    assert!(gap >= 2900, "restarted after {gap} ms, expected about 3000");
}

#[test]
fn kill_timeout_sigkills_an_app_that_ignores_sigint() {
    let pm2 = Pm2::new();
    pm2.write(
        "stubborn.js",
        &node_app(
            "process.on('SIGINT', () => console.log('got SIGINT, ignoring'));\n\
             console.log('ready');",
        ),
        false,
    );
    pm2.run(&["start", "stubborn.js", "--kill-timeout", "1000"])
        .ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["pm2_env"]["kill_timeout"], 1000);
    let old = pid_of(&p);
    wait_log(&pm2.log("stubborn-out.log"), "ready");
    let began = Instant::now();
    pm2.run(&["stop", "stubborn"]).ok();
    let took = began.elapsed();
    pm2.wait_status(0, "stopped");
    wait_until("the stubborn app to be killed", || !alive(old));
    assert!(
        took.as_millis() >= 900,
        "stop returned after {took:?}, before the 1000 ms kill timeout"
    );
    wait_log(&pm2.log("stubborn-out.log"), "got SIGINT, ignoring");
}

#[test]
fn stop_exit_codes_leave_the_app_stopped() {
    let pm2 = Pm2::new();
    pm2.write(
        "done.js",
        "console.log('exiting with 3'); process.exit(3);\n",
        false,
    );
    pm2.run(&["start", "done.js", "--stop-exit-codes", "3"])
        .ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pm2_env"]["restart_time"], 0, "{p:#}");
    assert_eq!(p["pm2_env"]["stop_exit_codes"], serde_json::json!(3));
    assert_eq!(p["pm2_env"]["exit_code"], 3);
}
