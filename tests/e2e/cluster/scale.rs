//! `pm2 scale`: up, down, and an unknown app.

use super::common::http::{answering_pids, free_port};
use super::common::Pm2;
use super::support::*;

#[test]
fn scale_to_a_count_down_by_and_up_by() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    pm2.run(&["scale", "web", "4"]).ok();
    let four = online_processes(&pm2, "web", 4);
    assert_eq!(answering_pids(port, 4), pids(&four));

    // As PM2: the first processes (lowest ids) are removed, the newest stay.
    pm2.run(&["scale", "web", "-2"]).ok();
    let two = online_processes(&pm2, "web", 2);
    assert_eq!(ids(&two), [2, 3], "the oldest are removed");
    assert!(pids(&two).is_subset(&pids(&four)));
    assert_eq!(answering_pids(port, 2), pids(&two));

    pm2.run(&["scale", "web", "1"]).ok();
    let one = online_processes(&pm2, "web", 1);
    assert_eq!(ids(&one), [3]);
    assert_eq!(answering_pids(port, 1), pids(&one));

    // A new process takes the lowest free instance number (PM2's injectVariables) and the
    // options of the first process, `instances` (the count started with) included.
    pm2.run(&["scale", "web", "+1"]).ok();
    let again = online_processes(&pm2, "web", 2);
    assert_eq!(ids(&again), [3, 4]);
    let instances: Vec<u64> = again
        .iter()
        .filter_map(|p| p["pm2_env"]["NODE_APP_INSTANCE"].as_u64())
        .collect();
    assert_eq!(instances, [3, 0]);
    let counts: Vec<&serde_json::Value> =
        again.iter().map(|p| &p["pm2_env"]["instances"]).collect();
    assert_eq!(counts, [2, 2]);
    assert_eq!(answering_pids(port, 2), pids(&again));
}

/// `pm2 scale web 1` from 2 removes a process: the message must not say the opposite.
#[test]
fn scale_down_to_a_count_is_not_reported_as_scaling_up() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    let run = pm2.run(&["scale", "web", "1"]).ok();
    online_processes(&pm2, "web", 1);
    assert!(
        !run.stdout.contains("Scaling up"),
        "2 -> 1 is scaling down:\n{}",
        run.stdout
    );
}

#[test]
fn scale_of_an_unknown_app_is_a_one_line_error() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    let run = pm2.run(&["scale", "nope", "3"]).failed();
    let message = run.stderr.trim();
    assert_eq!(message.lines().count(), 1, "stderr: {message:?}");
    assert!(
        message.contains("nope") && message.contains("not found"),
        "stderr: {message:?}"
    );
    assert_eq!(online_processes(&pm2, "web", 2).len(), 2);
}
