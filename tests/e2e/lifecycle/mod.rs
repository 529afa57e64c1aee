//! Lifecycle verbs and their targets, status transitions, the restart policy (max restarts,
//! stop exit codes, exponential back-off), stopping process groups, signals and `pm2 kill`.

use crate::common;

use std::time::{Duration, Instant};

use common::{alive, read, wait_until, Pm2};
use serde_json::Value;

mod policy;
mod stopping;
mod targets;

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
