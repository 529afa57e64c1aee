//! Stopping: the whole process group, kill_timeout, reset, signals and `pm2 kill`.

use super::*;

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
