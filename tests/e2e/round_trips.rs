//! What a command costs in round trips to the daemon, read from the daemon's own log of
//! requests (`RUST_LOG=pm2::requests=debug`): a verb and the table it prints come back in
//! one answer.

use crate::common::{wait_until, Pm2};

/// The request lines of pm2.log, in order.
fn requests(pm2: &Pm2) -> Vec<String> {
    let log = std::fs::read_to_string(pm2.home().join("pm2.log")).unwrap_or_default();
    log.lines()
        .filter_map(|line| {
            line.split_once(" DEBUG request ")
                .map(|(_, name)| name.to_string())
        })
        .collect()
}

/// Runs `pm2 args` and answers the requests it made: those logged before the `ping` sent
/// right after it (the daemon logs each request as it takes it, in order).
fn requests_of(pm2: &Pm2, args: &[&str]) -> Vec<String> {
    let before = requests(pm2).len();
    pm2.run(args).ok();
    pm2.run(&["ping"]).ok();
    wait_until("the ping in pm2.log", || {
        requests(pm2).last().map(String::as_str) == Some("ping")
    });
    let all = requests(pm2);
    all[before..all.len() - 1].to_vec()
}

#[test]
fn each_verb_is_one_round_trip_with_its_table() {
    let pm2 = Pm2::new();
    pm2.run_env(&["ping"], &[("RUST_LOG", "info,pm2::requests=debug")])
        .ok();
    let script = pm2.write("idle.sh", "#!/bin/sh\nexec sleep 1000\n", true);
    let script = script.to_str().expect("utf-8 path");
    assert_eq!(
        requests_of(&pm2, &["start", script, "--name", "a"]),
        ["describe", "start then list"],
        "start: is an app of that name running, then the start with the table"
    );
    for verb in ["restart", "stop", "reset"] {
        assert_eq!(requests_of(&pm2, &[verb, "a"]), ["act then list"], "{verb}");
    }
    assert_eq!(requests_of(&pm2, &["scale", "a", "2"]), ["scale then list"]);
    assert_eq!(
        requests_of(&pm2, &["sendSignal", "SIGCONT", "a"]),
        ["signal then list"]
    );
    assert_eq!(requests_of(&pm2, &["delete", "a"]), ["act then list"]);
    // A name that is not there: still one request, and PM2's line.
    let before = requests(&pm2).len();
    let run = pm2.run(&["stop", "nope"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("Process or Namespace nope not found"),
        "{}",
        run.stderr
    );
    pm2.run(&["ping"]).ok();
    wait_until("the ping in pm2.log", || {
        requests(&pm2).last().map(String::as_str) == Some("ping")
    });
    assert_eq!(requests(&pm2)[before..], ["act then list", "ping"]);
}
