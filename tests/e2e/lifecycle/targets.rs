//! Lifecycle verbs and the targets they take: ids, names, namespaces, `all`, regexes,
//! several at once, unknown ones.

use super::*;

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
