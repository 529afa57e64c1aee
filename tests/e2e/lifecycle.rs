//! Lifecycle verbs and their targets, status transitions, the restart policy (max restarts,
//! stop exit codes, exponential back-off), stopping process groups, signals and `pm2 kill`.

use crate::common;

use std::time::{Duration, Instant};

use common::{alive, read, wait_until, Pm2};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Targets

#[test]
fn stop_restart_delete_by_id() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "one", None);
    start_sleeper(&pm2, "two", None);
    let before = pm2.wait_status(1, "online");

    pm2.run(&["stop", "1"]).ok();
    assert_eq!(status(&pm2, 1), "stopped");
    assert_eq!(status(&pm2, 0), "online");
    assert!(!alive(pid_of(&before)));

    pm2.run(&["restart", "0"]).ok();
    let zero = pm2.wait_status(0, "online");
    assert_eq!(zero["pm2_env"]["restart_time"], 1);
    assert_eq!(status(&pm2, 1), "stopped");

    pm2.run(&["delete", "1"]).ok();
    assert_eq!(names(&pm2.jlist()), ["one"]);
}

#[test]
fn stop_restart_delete_by_name() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "one", None);
    start_sleeper(&pm2, "two", None);
    pm2.wait_status(1, "online");

    pm2.run(&["stop", "two"]).ok();
    assert_eq!(status(&pm2, 1), "stopped");
    assert_eq!(status(&pm2, 0), "online");

    let old = pm2.wait_status(0, "online");
    pm2.run(&["restart", "one"]).ok();
    let new = pm2.wait_status(0, "online");
    assert_ne!(old["pid"], new["pid"]);
    assert_eq!(new["pm2_env"]["restart_time"], 1);

    pm2.run(&["delete", "two"]).ok();
    assert_eq!(names(&pm2.jlist()), ["one"]);
}

#[test]
fn a_namespace_targets_every_app_in_it() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "api", Some("web"));
    start_sleeper(&pm2, "worker", Some("web"));
    start_sleeper(&pm2, "cron", Some("batch"));
    wait_all_online(&pm2, 3);

    pm2.run(&["stop", "web"]).ok();
    assert_eq!(statuses(&pm2), ["stopped", "stopped", "online"]);
    pm2.run(&["restart", "web"]).ok();
    wait_all_online(&pm2, 3);
    pm2.run(&["delete", "web"]).ok();
    assert_eq!(names(&pm2.jlist()), ["cron"]);
}

#[test]
fn all_targets_every_app() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    start_sleeper(&pm2, "b", Some("other"));
    wait_all_online(&pm2, 2);

    pm2.run(&["stop", "all"]).ok();
    assert_eq!(statuses(&pm2), ["stopped", "stopped"]);
    pm2.run(&["restart", "all"]).ok();
    wait_all_online(&pm2, 2);
    pm2.run(&["delete", "all"]).ok();
    assert!(pm2.jlist().is_empty());
}

#[test]
fn a_regex_targets_matching_names_only() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "api-1", None);
    start_sleeper(&pm2, "api-2", None);
    start_sleeper(&pm2, "my-api-3", None);
    wait_all_online(&pm2, 3);

    pm2.run(&["stop", "/^api-/"]).ok();
    assert_eq!(statuses(&pm2), ["stopped", "stopped", "online"]);
    pm2.run(&["restart", "/^api-/"]).ok();
    let list = wait_all_online(&pm2, 3);
    assert_eq!(
        list[2]["pm2_env"]["restart_time"], 0,
        "my-api-3 was restarted"
    );
    pm2.run(&["delete", "/^api-/"]).ok();
    assert_eq!(names(&pm2.jlist()), ["my-api-3"]);
}

#[test]
fn several_targets_at_once() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    start_sleeper(&pm2, "b", None);
    start_sleeper(&pm2, "c", None);
    wait_all_online(&pm2, 3);

    pm2.run(&["stop", "a", "2"]).ok();
    assert_eq!(statuses(&pm2), ["stopped", "online", "stopped"]);
    pm2.run(&["delete", "a", "2"]).ok();
    assert_eq!(names(&pm2.jlist()), ["b"]);
}

#[test]
fn targets_naming_the_same_process_twice_are_not_an_error() {
    // PM2 applies each target in turn: `pm2 stop a 0` stops a once and succeeds.
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    pm2.wait_status(0, "online");
    pm2.run(&["stop", "a", "0"]).ok();
    assert_eq!(status(&pm2, 0), "stopped");
}

#[test]
fn unknown_id_or_name_is_a_one_line_error() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    pm2.wait_status(0, "online");
    for verb in ["stop", "restart", "delete"] {
        for target in ["42", "nope"] {
            let run = pm2.run(&[verb, target]).failed();
            let lines: Vec<&str> = run
                .stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            assert_eq!(lines.len(), 1, "pm2 {verb} {target}: {}", run.stderr);
            assert!(
                lines[0].contains("not found"),
                "pm2 {verb} {target}: {}",
                lines[0]
            );
            assert!(
                lines[0].contains(target),
                "pm2 {verb} {target}: {}",
                lines[0]
            );
        }
    }
    assert_eq!(status(&pm2, 0), "online", "the existing app is untouched");
}

// ---------------------------------------------------------------------------------------
// Status transitions and the restart policy

#[test]
fn stop_then_restart_goes_online_stopped_online() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    let first = pm2.wait_status(0, "online");
    assert_eq!(first["pm2_env"]["restart_time"], 0);

    pm2.run(&["stop", "a"]).ok();
    let stopped = pm2.process(0).expect("a listed");
    assert_eq!(stopped["pm2_env"]["status"], "stopped");
    assert_eq!(stopped["pid"], 0);

    // PM2 (God.restartProcessId) counts a restart only when the process was running:
    // restarting a stopped app starts it with restart_time unchanged.
    pm2.run(&["restart", "a"]).ok();
    let restarted = pm2.wait_status(0, "online");
    assert_eq!(restarted["pm2_env"]["restart_time"], 0);
    assert_ne!(restarted["pid"], first["pid"]);

    // Restarting it while online counts.
    pm2.run(&["restart", "a"]).ok();
    let again = pm2.wait_status(0, "online");
    assert_eq!(again["pm2_env"]["restart_time"], 1);
    assert_ne!(again["pid"], restarted["pid"]);
}

#[test]
fn restart_keeps_the_start_environment_unless_update_env() {
    let pm2 = Pm2::new();
    let script = pm2.write(
        "env.sh",
        "echo \"GREETING=$GREETING\"\nexec sleep 1000\n",
        false,
    );
    let script = script.to_str().expect("utf-8 path");
    pm2.run_env(
        &["start", script, "--name", "env"],
        &[("GREETING", "first")],
    )
    .ok();
    pm2.wait_status(0, "online");
    let out = pm2.log("env-out.log");
    wait_until("the first greeting", || {
        read(&out).contains("GREETING=first")
    });

    // As PM2: a plain restart keeps the environment the app was started with.
    pm2.run_env(&["restart", "env"], &[("GREETING", "second")])
        .ok();
    wait_until("a second run", || {
        read(&out).matches("GREETING=").count() == 2
    });
    assert!(!read(&out).contains("GREETING=second"), "{}", read(&out));

    // --update-env hands over the caller's environment.
    pm2.run_env(
        &["restart", "env", "--update-env"],
        &[("GREETING", "third")],
    )
    .ok();
    wait_until("the updated greeting", || {
        read(&out).contains("GREETING=third")
    });
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["pm2_env"]["env"]["GREETING"], "third");
}

#[test]
fn start_or_reload_starts_then_reloads_an_ecosystem() {
    let pm2 = Pm2::new();
    pm2.write("tick.sh", "exec sleep 1000\n", false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"tick\"\nscript = \"tick.sh\"\n",
        false,
    );
    pm2.run(&["startOrReload", "ecosystem.toml"]).ok();
    let first = pm2.wait_status(0, "online");
    pm2.run(&["startOrReload", "ecosystem.toml"]).ok();
    let list = wait_all_online(&pm2, 1);
    assert_ne!(list[0]["pid"], first["pid"], "reloaded: a new process");
    assert_eq!(list[0]["pm2_env"]["restart_time"], 1);
}

#[test]
fn instant_crashes_end_errored_at_max_restarts() {
    // PM2 7 with max_restarts 3 and min_uptime 5000 runs the script three times, then
    // shows `errored`, restart_time 2 and unstable_restarts 0 (reset when it gives up).
    let pm2 = Pm2::new();
    pm2.write("crash.sh", "echo crashing\nexit 1\n", false);
    pm2.run(&[
        "start",
        "crash.sh",
        "--max-restarts",
        "3",
        "--min-uptime",
        "5000",
    ])
    .ok();
    let p = pm2.wait_status(0, "errored");
    assert_eq!(p["pm2_env"]["restart_time"], 2, "{p:#?}");
    assert_eq!(p["pm2_env"]["unstable_restarts"], 0, "{p:#?}");
    assert_eq!(p["pid"], 0);
    assert_eq!(p["pm2_env"]["exit_code"], 1);
    let log = pm2.log("crash-out.log");
    wait_until("three runs logged", || {
        read(&log).matches("crashing").count() >= 3
    });
    assert_eq!(read(&log).matches("crashing").count(), 3, "{}", read(&log));
}

#[test]
fn exit_with_a_stop_exit_code_is_stopped_not_restarted() {
    let pm2 = Pm2::new();
    pm2.write("done.sh", "echo finished\nexit 0\n", false);
    pm2.run(&["start", "done.sh", "--stop-exit-codes", "0"])
        .ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pm2_env"]["restart_time"], 0);
    assert_eq!(p["pm2_env"]["exit_code"], 0);
    // As given: PM2 keeps one code as a number.
    assert_eq!(p["pm2_env"]["stop_exit_codes"], serde_json::json!(0));
}

#[test]
fn no_autorestart_leaves_a_crashed_app_stopped() {
    let pm2 = Pm2::new();
    pm2.write("crash.sh", "echo crashing\nexit 1\n", false);
    pm2.run(&["start", "crash.sh", "--no-autorestart"]).ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pm2_env"]["restart_time"], 0);
    assert_eq!(p["pm2_env"]["autorestart"], false);
    assert_eq!(p["pm2_env"]["exit_code"], 1);
}

#[test]
fn exponential_backoff_waits_longer_between_later_restarts() {
    let pm2 = Pm2::new();
    pm2.write("crash.sh", "exit 1\n", false);
    pm2.run(&["start", "crash.sh", "--exp-backoff-restart-delay", "500"])
        .ok();

    // When restart_time was first seen at each value.
    let mut seen_at: Vec<Option<Instant>> = vec![None; 5];
    let mut saw_waiting = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen_at[4].is_none() {
        assert!(
            Instant::now() < deadline,
            "restart_time did not reach 4: {seen_at:?}"
        );
        let p = pm2.process(0).expect("listed");
        saw_waiting |= p["pm2_env"]["status"] == "waiting restart";
        assert_eq!(p["pm2_env"]["exp_backoff_restart_delay"], 500);
        let n = p["pm2_env"]["restart_time"].as_u64().unwrap_or(0) as usize;
        for slot in seen_at.iter_mut().take(n.min(4) + 1) {
            slot.get_or_insert_with(Instant::now);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saw_waiting, "status `waiting restart` was never shown");
    let at = |n: usize| seen_at[n].expect("seen");
    let early = at(2) - at(1);
    let late = at(4) - at(3);
    assert!(
        late.as_secs_f64() > 1.2 * early.as_secs_f64(),
        "back-off did not grow: 1->2 took {early:?}, 3->4 took {late:?}"
    );
    // The first delay is honoured (500 ms, less a polling margin).
    assert!(
        early >= Duration::from_millis(350),
        "1->2 took only {early:?}"
    );
}

#[test]
fn restart_time_counts_a_delayed_restart_when_it_happens() {
    // PM2 (God.handleExit) increments restart_time when the delayed restart fires: while
    // `waiting restart` for the first time, `pm2 ls` shows 0 restarts.
    let pm2 = Pm2::new();
    pm2.write("crash.sh", "exit 1\n", false);
    pm2.run(&["start", "crash.sh", "--exp-backoff-restart-delay", "3000"])
        .ok();
    let p = pm2.wait_status(0, "waiting restart");
    assert_eq!(p["pm2_env"]["restart_time"], 0, "{p:#?}");
}

#[test]
fn backoff_delay_is_shown_as_prev_restart_delay() {
    // PM2 keeps the last back-off delay in pm2_env.prev_restart_delay.
    let pm2 = Pm2::new();
    pm2.write("crash.sh", "exit 1\n", false);
    pm2.run(&["start", "crash.sh", "--exp-backoff-restart-delay", "3000"])
        .ok();
    let p = pm2.wait_status(0, "waiting restart");
    assert_eq!(p["pm2_env"]["prev_restart_delay"], 3000, "{p:#?}");
}

#[test]
fn stop_while_waiting_restart_cancels_the_restart() {
    let pm2 = Pm2::new();
    pm2.write("crash.sh", "exit 1\n", false);
    pm2.run(&["start", "crash.sh", "--restart-delay", "1000"])
        .ok();
    let waiting = pm2.wait_status(0, "waiting restart");
    pm2.run(&["stop", "crash"]).ok();
    assert_eq!(status(&pm2, 0), "stopped");
    // The pending restart was due within 1 s: watch it not happen for 1.5 s.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let p = pm2.process(0).expect("listed");
        assert_eq!(p["pm2_env"]["status"], "stopped", "{p:#?}");
        assert_eq!(
            p["pm2_env"]["restart_time"],
            waiting["pm2_env"]["restart_time"]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------
// Stopping, signals, kill

#[test]
fn stop_signals_the_whole_process_group() {
    let pm2 = Pm2::new();
    pm2.write(
        "parent.sh",
        "sleep 1000 &\necho \"grandchild $!\"\nwait\n",
        false,
    );
    pm2.run(&["start", "parent.sh"]).ok();
    let p = pm2.wait_status(0, "online");
    let app = pid_of(&p);
    let log = pm2.log("parent-out.log");
    wait_until("the grandchild's pid", || {
        read(&log).contains("grandchild ")
    });
    let grandchild: i32 = read(&log)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("grandchild pid");
    assert!(alive(app) && alive(grandchild));

    pm2.run(&["stop", "parent"]).ok();
    assert_eq!(status(&pm2, 0), "stopped");
    wait_until("app and grandchild gone", || {
        !alive(app) && !alive(grandchild)
    });
}

#[test]
fn kill_timeout_sigkills_an_app_that_ignores_sigint() {
    let pm2 = Pm2::new();
    pm2.write(
        "stubborn.sh",
        "trap '' INT\necho ready\nwhile true; do sleep 0.1; done\n",
        false,
    );
    pm2.run(&["start", "stubborn.sh", "--kill-timeout", "500"])
        .ok();
    let p = pm2.wait_status(0, "online");
    let log = pm2.log("stubborn-out.log");
    wait_until("the INT trap set", || read(&log).contains("ready"));

    let started = Instant::now();
    pm2.run(&["stop", "stubborn"]).ok();
    let took = started.elapsed();
    assert_eq!(status(&pm2, 0), "stopped");
    assert!(
        took >= Duration::from_millis(450),
        "stop returned before kill_timeout: {took:?}"
    );
    assert!(took < Duration::from_secs(10), "stop took {took:?}");
    wait_until("the app gone", || !alive(pid_of(&p)));
}

#[test]
fn reset_sets_restart_time_back_to_zero() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    pm2.wait_status(0, "online");
    pm2.run(&["restart", "a"]).ok();
    pm2.run(&["restart", "a"]).ok();
    assert_eq!(pm2.wait_status(0, "online")["pm2_env"]["restart_time"], 2);

    pm2.run(&["reset", "a"]).ok();
    let p = pm2.process(0).expect("listed");
    assert_eq!(p["pm2_env"]["restart_time"], 0);
    assert_eq!(p["pm2_env"]["status"], "online", "reset does not restart");
}

#[test]
fn send_signal_reaches_the_app() {
    let pm2 = Pm2::new();
    pm2.write(
        "usr2.sh",
        "trap 'echo got-usr2' USR2\necho ready\nwhile true; do sleep 0.1; done\n",
        false,
    );
    pm2.run(&["start", "usr2.sh"]).ok();
    pm2.wait_status(0, "online");
    let log = pm2.log("usr2-out.log");
    wait_until("the USR2 trap set", || read(&log).contains("ready"));

    pm2.run(&["sendSignal", "SIGUSR2", "usr2"]).ok();
    wait_until("the app to log the signal", || {
        read(&log).contains("got-usr2")
    });
    assert_eq!(status(&pm2, 0), "online");
}

#[test]
fn kill_stops_every_app_and_the_daemon() {
    let pm2 = Pm2::new();
    start_sleeper(&pm2, "a", None);
    start_sleeper(&pm2, "b", Some("other"));
    let pids: Vec<i32> = wait_all_online(&pm2, 2).iter().map(pid_of).collect();
    let daemon = pm2.daemon_pid().expect("daemon pid file");
    assert!(alive(daemon));

    pm2.run(&["kill"]).ok();
    wait_until("apps and daemon gone", || {
        pids.iter().all(|&pid| !alive(pid)) && !alive(daemon)
    });
    assert!(!pm2.home().join("pm2.pid").exists(), "pm2.pid left behind");
    assert!(
        !pm2.home().join("rpc.sock").exists(),
        "rpc.sock left behind"
    );
}

// ---------------------------------------------------------------------------------------
// Helpers

/// `pm2 start sleep --name <name> [--namespace <ns>] -- 1000`.
fn start_sleeper(pm2: &Pm2, name: &str, namespace: Option<&str>) {
    let mut args = vec!["start", "sleep", "--name", name];
    if let Some(ns) = namespace {
        args.extend(["--namespace", ns]);
    }
    args.extend(["--", "1000"]);
    pm2.run(&args).ok();
}

/// Waits until exactly `count` processes are listed, all online; returns them.
fn wait_all_online(pm2: &Pm2, count: usize) -> Vec<Value> {
    pm2.wait_for(&format!("{count} processes online"), |l| {
        l.len() == count && l.iter().all(|p| p["pm2_env"]["status"] == "online")
    })
}

/// The current status of one process.
fn status(pm2: &Pm2, pm_id: u64) -> String {
    let p = pm2
        .process(pm_id)
        .unwrap_or_else(|| panic!("process {pm_id} not listed"));
    p["pm2_env"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every status, in id order.
fn statuses(pm2: &Pm2) -> Vec<String> {
    pm2.jlist()
        .iter()
        .map(|p| {
            p["pm2_env"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn names(list: &[Value]) -> Vec<&str> {
    list.iter().filter_map(|p| p["name"].as_str()).collect()
}

fn pid_of(p: &Value) -> i32 {
    let pid = p["pid"].as_i64().unwrap_or(0);
    assert!(pid > 0, "no pid: {p:#?}");
    pid as i32
}
