//! A daemon SIGKILLed at an unlucky moment: right after answering, with a process it never
//! wrote down, with a torn state file. What it acknowledged comes back once, and nothing it
//! started is left running unmanaged.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::common::http::free_port;
use super::common::{alive, pid_of, wait_until, Pm2};
use super::support::*;

/// A `sleep` whose command line no other test uses.
fn marker(tag: &str) -> String {
    format!("3600.{}{tag}", free_port())
}

fn sigkill_daemon(pm2: &Pm2) -> i32 {
    let daemon = pm2.daemon_pid().expect("daemon pid");
    kill(Pid::from_raw(daemon), Signal::SIGKILL).expect("SIGKILL the daemon");
    wait_until("the daemon to die", || !alive(daemon));
    daemon
}

#[test]
fn what_was_acknowledged_survives_a_sigkill_the_next_instant() {
    let pm2 = Pm2::new();
    let (one, two) = (marker("1"), marker("2"));
    pm2.run(&["start", "sleep", "--name", "s1", "--", &one])
        .ok();
    pm2.run(&["start", "sleep", "--name", "s2", "--", &two])
        .ok();
    // No wait: the second start was answered, so it is on disk.
    let old = [processes_running(&one), processes_running(&two)];
    sigkill_daemon(&pm2);

    let run = pm2.run(&["ls"]).ok();
    assert!(
        run.stdout.contains("s1") && run.stdout.contains("s2"),
        "{}",
        run.stdout
    );
    let after = wait_online(&pm2, &[(0, "s1"), (1, "s2")]);
    assert_eq!(pm2.jlist().len(), 2, "each app once");
    assert_eq!(
        processes_running(&one),
        vec![pid_of(&after[&0])],
        "s1 runs once"
    );
    assert_eq!(
        processes_running(&two),
        vec![pid_of(&after[&1])],
        "s2 runs once"
    );
    for pid in old.iter().flatten() {
        assert!(!alive(*pid), "the dead daemon's process {pid} still runs");
    }
}

#[test]
fn a_delete_that_was_answered_stays_deleted_after_a_crash() {
    let pm2 = Pm2::new();
    let (gone, kept) = (marker("3"), marker("4"));
    pm2.run(&["start", "sleep", "--name", "gone", "--", &gone])
        .ok();
    pm2.run(&["start", "sleep", "--name", "kept", "--", &kept])
        .ok();
    pm2.run(&["delete", "gone"]).ok();
    sigkill_daemon(&pm2);

    let run = pm2.run(&["ls"]).ok();
    assert!(!run.stdout.contains("gone"), "{}", run.stdout);
    wait_online(&pm2, &[(1, "kept")]);
    assert!(
        processes_running(&gone).is_empty(),
        "the deleted app came back"
    );
    assert_eq!(processes_running(&kept).len(), 1);
}

#[test]
fn a_process_the_dead_daemon_never_wrote_down_is_stopped() {
    let pm2 = Pm2::new();
    let nap = marker("5");
    pm2.run(&["start", "sleep", "--name", "nap", "--", &nap])
        .ok();
    let pid = processes_running(&nap);
    assert_eq!(pid.len(), 1);
    // As if the daemon died between the spawn and the write: no state file at all.
    let state = pm2.home().join("state.pm2");
    let daemon = pm2.daemon_pid().expect("daemon pid");
    kill(Pid::from_raw(daemon), Signal::SIGSTOP).expect("freeze the daemon");
    let _ = std::fs::remove_file(&state);
    let _ = std::fs::remove_file(pm2.home().join("state.pm2.bak"));
    kill(Pid::from_raw(daemon), Signal::SIGKILL).expect("SIGKILL the daemon");
    wait_until("the daemon to die", || !alive(daemon));

    let run = pm2.run(&["ls"]).ok();
    assert!(!run.stdout.contains("nap"), "{}", run.stdout);
    wait_until("the orphan to be stopped", || !alive(pid[0]));
    assert!(processes_running(&nap).is_empty(), "an orphan runs on");
}

#[test]
fn a_torn_state_file_gives_way_to_the_previous_good_one() {
    let pm2 = Pm2::new();
    let (first, second) = (marker("6"), marker("7"));
    pm2.run(&["start", "sleep", "--name", "first", "--", &first])
        .ok();
    pm2.run(&["start", "sleep", "--name", "second", "--", &second])
        .ok();
    let state = pm2.home().join("state.pm2");
    let daemon = pm2.daemon_pid().expect("daemon pid");
    kill(Pid::from_raw(daemon), Signal::SIGSTOP).expect("freeze the daemon");
    // Power lost mid-write: the newest file is half there; the one before is intact.
    truncate_in_the_middle(&state);
    kill(Pid::from_raw(daemon), Signal::SIGKILL).expect("SIGKILL the daemon");
    wait_until("the daemon to die", || !alive(daemon));

    pm2.run(&["ls"]).ok();
    let after = wait_online(&pm2, &[(0, "first")]);
    assert_eq!(processes_running(&first), vec![pid_of(&after[&0])]);
    // The backup predates `second`: it is not brought back, and not left running either.
    assert!(processes_running(&second).is_empty(), "an orphan runs on");
    let log = std::fs::read_to_string(pm2.home().join("pm2.log")).unwrap_or_default();
    assert!(
        log.contains("missing or torn"),
        "pm2.log says which file was read"
    );
}
