//! Fork-mode instances: their names, ids and log files, and `merge_logs`.

use super::common::Pm2;
use super::support::*;

#[test]
fn two_instances_share_a_name_and_have_their_own_logs() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('instance ' + process.env.NODE_APP_INSTANCE);"),
        false,
    );
    let run = pm2
        .run(&["start", "app.js", "-i", "2", "--name", "duo"])
        .ok();
    // As PM2 (determineExecMode): instances of a node app run in cluster mode.
    assert!(run.stdout.contains("cluster_mode"), "{}", run.stdout);
    let list = pm2.wait_for("two online instances", |list| {
        list.len() == 2 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    let mut ids: Vec<u64> = list.iter().filter_map(|p| p["pm_id"].as_u64()).collect();
    ids.sort();
    assert_eq!(ids, [0, 1]);
    for p in &list {
        assert_eq!(p["name"], "duo");
        assert_eq!(p["pm2_env"]["exec_mode"], "cluster_mode");
    }
    let zero = wait_log(&pm2.log("duo-out-0.log"), "instance 0");
    let one = wait_log(&pm2.log("duo-out-1.log"), "instance 1");
    assert!(!zero.contains("instance 1"), "{zero}");
    assert!(!one.contains("instance 0"), "{one}");
    assert!(
        !pm2.log("duo-out.log").exists(),
        "no unsuffixed log without --merge-logs"
    );
}

#[test]
fn merge_logs_gives_two_instances_one_set_of_files() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('merged instance ' + process.env.NODE_APP_INSTANCE);"),
        false,
    );
    pm2.run(&["start", "app.js", "-i", "2", "--name", "m", "--merge-logs"])
        .ok();
    pm2.wait_for("two online instances", |list| {
        list.len() == 2 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    let out = pm2.log("m-out.log");
    wait_log(&out, "merged instance 0");
    wait_log(&out, "merged instance 1");
    assert!(!pm2.log("m-out-0.log").exists());
    assert!(!pm2.log("m-out-1.log").exists());
}
