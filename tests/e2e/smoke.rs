//! The first thing a user does: start an app, see it listed, stop it.

use crate::common;

use common::Pm2;

#[test]
fn start_list_stop_delete_a_binary_on_path() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["start", "sleep", "--", "100"]).ok();
    assert!(run.stdout.contains("Starting"), "{}", run.stdout);
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "sleep");
    assert!(p["pid"].as_i64().unwrap_or(0) > 0);
    let ls = pm2.run(&["ls"]).ok();
    assert!(
        ls.stdout.contains("sleep") && ls.stdout.contains("online"),
        "{}",
        ls.stdout
    );
    pm2.run(&["stop", "sleep"]).ok();
    pm2.wait_status(0, "stopped");
    pm2.run(&["delete", "0"]).ok();
    assert!(pm2.jlist().is_empty());
}
