//! The daemon dies or is replaced: recovery after SIGKILL from the state file, and
//! `pm2 update` handing the running apps to the re-executed daemon.

use std::collections::BTreeSet;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::common::http::{answering_pids, free_port};
use super::common::{alive, pid_of, read, wait_until, Pm2};
use super::support::*;

#[test]
fn a_daemon_killed_with_sigkill_is_recovered_by_the_next_command() {
    let pm2 = Pm2::new();
    let port = free_port();
    // A duration no other test uses, to find this test's sleep among all processes.
    let nap_marker = format!("3600.{port}");
    pm2.run(&["start", "sleep", "--name", "nap", "--", &nap_marker])
        .ok();
    let script = pm2.write("web.js", PID_SERVER_JS, false);
    let script = script.to_str().expect("utf-8 path");
    pm2.run_env(
        &["start", script, "--name", "web", "-i", "2"],
        &[("PORT", &port.to_string())],
    )
    .ok();
    let before = wait_online(&pm2, &[(0, "nap"), (1, "web"), (2, "web")]);
    let old_pids: BTreeSet<i32> = before.values().map(pid_of).collect();
    assert_eq!(
        answering_pids(port, 2),
        [&before[&1], &before[&2]].into_iter().map(pid_of).collect(),
        "web before the crash"
    );

    // The daemon keeps its state every second; crash it once the state holds every pid.
    let state = pm2.home().join("state.pm2");
    wait_until("state.pm2 to list the running processes", || {
        state_pids(&state) == old_pids
    });
    let daemon = pm2.daemon_pid().expect("daemon pid");
    kill(Pid::from_raw(daemon), Signal::SIGKILL).expect("SIGKILL the daemon");
    wait_until("the daemon to die", || !alive(daemon));

    let run = pm2.run(&["ls"]).ok();
    assert!(
        run.stdout.contains("nap") && run.stdout.contains("web"),
        "pm2 ls after the crash should list the recovered apps:\n{}",
        run.stdout
    );
    let new_daemon = pm2.daemon_pid().expect("a new daemon");
    assert_ne!(new_daemon, daemon);

    let after = wait_online(&pm2, &[(0, "nap"), (1, "web"), (2, "web")]);
    let list = pm2.jlist();
    let ids: Vec<u64> = list.iter().filter_map(|p| p["pm_id"].as_u64()).collect();
    assert_eq!(ids.len(), 3, "exactly one entry per id: {list:#?}");
    let new_pids: BTreeSet<i32> = after.values().map(pid_of).collect();
    assert!(
        new_pids.is_disjoint(&old_pids),
        "old pids {old_pids:?}, new pids {new_pids:?}"
    );
    for pid in &old_pids {
        assert!(
            !alive(*pid),
            "process {pid} of the dead daemon still runs next to its replacement"
        );
    }
    // Exactly one OS process per id: no orphan left next to its replacement.
    assert_eq!(
        processes_running(&nap_marker),
        vec![pid_of(&after[&0])],
        "sleep processes of nap"
    );
    let web_pids: BTreeSet<i32> = [&after[&1], &after[&2]].into_iter().map(pid_of).collect();
    assert_eq!(
        processes_running(script)
            .into_iter()
            .collect::<BTreeSet<_>>(),
        web_pids,
        "node processes of web"
    );
    assert_eq!(
        answering_pids(port, 2),
        web_pids,
        "the port should be served by the new web processes only"
    );
    let log = read(&pm2.home().join("pm2.log"));
    assert_eq!(
        log.matches(RECOVERED).count(),
        1,
        "pm2.log should say once that the apps were recovered:\n{log}"
    );

    // A clean kill leaves nothing to recover.
    pm2.run(&["kill"]).ok();
    assert!(
        !state.exists(),
        "state.pm2 left behind by a clean kill: {}",
        read(&state)
    );
    for pid in &new_pids {
        assert!(!alive(*pid), "process {pid} survived pm2 kill");
    }
    let run = pm2.run(&["ls"]).ok();
    assert!(
        run.stdout.contains("Spawning PM2 daemon"),
        "pm2 ls after kill should start a new daemon:\n{}",
        run.stdout
    );
    let list = pm2.jlist();
    assert!(
        list.is_empty(),
        "the daemon after a clean kill started {list:#?}"
    );
    assert!(processes_running(&nap_marker).is_empty());
    let log = read(&pm2.home().join("pm2.log"));
    assert_eq!(
        log.matches(RECOVERED).count(),
        1,
        "no recovery after a clean kill:\n{log}"
    );
}

/// `pm2 update` hands the running apps to the re-executed daemon: every pid stays the same,
/// output written before and after lands in the same log files in order, and a cluster
/// app's port keeps answering.
#[test]
fn update_keeps_every_app_running_with_the_same_pids_and_logs() {
    let pm2 = Pm2::new();
    let unique = free_port();
    let marker = format!("3601.{unique}");
    pm2.run(&["start", "sleep", "--name", "one", "--", &marker])
        .ok();
    pm2.write(
        "count.sh",
        "i=0\nwhile true; do i=$((i+1)); echo \"line $i\"; sleep 0.02; done\n",
        false,
    );
    pm2.run(&["start", "count.sh", "--name", "count"]).ok();
    let before = wait_online(&pm2, &[(0, "one"), (1, "count")]);
    let daemon = pm2.daemon_pid().expect("daemon pid");
    let out = pm2.log("count-out.log");
    wait_until("some lines before the update", || {
        read(&out).lines().count() >= 5
    });

    let run = pm2.run(&["update"]).ok();
    assert!(run.stdout.contains("in place"), "{}", run.stdout);
    let after = wait_online(&pm2, &[(0, "one"), (1, "count")]);
    assert_eq!(
        pm2.daemon_pid(),
        Some(daemon),
        "re-executed in place: same daemon pid"
    );
    for id in [0, 1] {
        assert_eq!(
            pid_of(&before[&id]),
            pid_of(&after[&id]),
            "process {id} kept its pid"
        );
    }
    let at_update = read(&out).lines().count();
    wait_until("lines written after the update", || {
        read(&out).lines().count() >= at_update + 10
    });
    let numbers: Vec<u64> = read(&out)
        .lines()
        .filter_map(|l| l.strip_prefix("line ")?.parse().ok())
        .collect();
    let first = numbers[0];
    let expected: Vec<u64> = (first..first + numbers.len() as u64).collect();
    assert_eq!(numbers, expected, "one log, in order, across the update");
    let log = read(&pm2.home().join("pm2.log"));
    assert!(
        log.contains("adopted the previous daemon's processes"),
        "{log}"
    );
    assert!(
        !log.contains(RECOVERED),
        "update was taken for a daemon crash:\n{log}"
    );
    assert_eq!(processes_running(&marker), vec![pid_of(&after[&0])]);

    // The adopted processes are still managed: a crash is restarted, a stop stops.
    let count_pid = pid_of(&after[&1]);
    kill(Pid::from_raw(count_pid), Signal::SIGKILL).expect("kill count");
    wait_until("count restarted after its crash", || {
        pm2.process(1)
            .is_some_and(|p| p["pm2_env"]["status"] == "online" && pid_of(&p) != count_pid)
    });
    pm2.run(&["stop", "one"]).ok();
    pm2.wait_status(0, "stopped");
    assert!(!alive(pid_of(&after[&0])));
}
