//! Status transitions and the restart policy: max restarts, stop exit codes, autorestart,
//! exponential back-off, `--update-env`, startOrReload.

use super::*;

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
