//! What the persistence tests share: app scripts, waiting for processes, reading dumps,
//! state files and `/proc`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::common::{read, Pm2};

/// The line `pm2.log` has when a daemon finds that its predecessor died.
pub const RECOVERED: &str = "the previous daemon died: recovering its apps";

/// A bash app that stays up with its arguments in its argv.
pub const APP_SH: &str = "#!/bin/bash\necho \"args=$* cwd=$PWD\"\nsleep 1000 &\nwait\n";

/// A bash worker that prints its arguments and a variable, then sleeps.
pub const WORKER_SH: &str =
    "#!/bin/bash\necho \"args: $* GREETING=$GREETING\"\nsleep 1000 &\nwait\n";

/// A Node server on `PORT` answering with its pid.
pub const PID_SERVER_JS: &str =
    "require('http').createServer((q, s) => s.end(String(process.pid))).listen(process.env.PORT);\n";

/// One process as PM2 7 saves it in `dump.pm2`: its `pm2_env` without `pm_id` and
/// `instances`, with the caller's environment both in `env` and at the top level. With
/// `id` (one process of an app with several), the log and pid paths carry that id and
/// `merge_logs` is absent, as PM2 saves them.
pub fn pm2_env(pm2: &Pm2, name: &str, script: &Path, cwd: &Path, id: Option<u32>) -> Value {
    let logs = pm2.home().join("logs");
    let suffix = id.map(|i| format!("-{i}")).unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    let unique_id = format!("00000000-0000-4000-8000-{:012}", id.unwrap_or(0));
    let mut saved = json!({
        "name": name,
        "filter_env": [],
        "namespace": "default",
        "vizion": true,
        "autostart": true,
        "autorestart": true,
        "watch": false,
        "instance_var": "NODE_APP_INSTANCE",
        "pmx": true,
        "automation": true,
        "treekill": true,
        "username": "root",
        "windowsHide": true,
        "kill_retry_time": 100,
        "node_args": [],
        "pm_exec_path": script,
        "pm_cwd": cwd,
        "exec_interpreter": "none",
        "exec_mode": "fork_mode",
        "pm_out_log_path": logs.join(format!("{name}-out{suffix}.log")),
        "pm_err_log_path": logs.join(format!("{name}-error{suffix}.log")),
        "pm_pid_path": pm2.home().join("pids").join(format!("{name}-{}.pid", id.unwrap_or(0))),
    });
    let more = json!({
        "km_link": false,
        "vizion_running": false,
        "unique_id": unique_id,
        "status": "online",
        "pm_uptime": 1_700_000_000_000u64,
        "axm_actions": [],
        "axm_monitor": {},
        "axm_options": {},
        "axm_dynamic": {},
        "created_at": 1_700_000_000_000u64,
        "restart_time": 0,
        "unstable_restarts": 0,
        "version": "N/A",
        "NODE_APP_INSTANCE": 0,
        "PATH": path,
        "PM2_HOME": pm2.home(),
        "PM2_USAGE": "CLI",
        "env": {
            "PATH": path,
            "PM2_HOME": pm2.home(),
            "PM2_USAGE": "CLI",
            name: {},
            "unique_id": unique_id,
        },
    });
    if let (Some(saved), Value::Object(more)) = (saved.as_object_mut(), more) {
        saved.extend(more);
    }
    saved
}

pub fn mkdir(pm2: &Pm2, name: &str) -> PathBuf {
    let dir = pm2.work().join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// Waits until the processes are exactly these ids with these names, all online with a
/// pid; returns them by id.
pub fn wait_online(pm2: &Pm2, want: &[(u64, &str)]) -> BTreeMap<u64, Value> {
    let list = pm2.wait_for(&format!("processes {want:?} online"), |list| {
        list.len() == want.len()
            && want.iter().all(|(id, name)| {
                list.iter().any(|p| {
                    p["pm_id"].as_u64() == Some(*id)
                        && p["name"] == *name
                        && p["pm2_env"]["status"] == "online"
                        && p["pid"].as_i64() > Some(0)
                })
            })
    });
    list.into_iter()
        .filter_map(|p| Some((p["pm_id"].as_u64()?, p)))
        .collect()
}

/// The names of the saved processes, one per process, whatever the format: ours
/// (`{"apps": [{"ids", "spec": {"name"}}]}`) or PM2's (an array of `pm2_env`).
pub fn saved_names(path: &Path) -> Vec<String> {
    let text = read(path);
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON ({e}):\n{text}", path.display()));
    match &value {
        Value::Array(entries) => entries
            .iter()
            .map(|e| e["name"].as_str().expect("a name").to_string())
            .collect(),
        Value::Object(_) => value["apps"]
            .as_array()
            .unwrap_or_else(|| panic!("no apps in {text}"))
            .iter()
            .flat_map(|app| {
                let name = app["spec"]["name"].as_str().expect("a name").to_string();
                let count = app["ids"].as_array().map_or(1, Vec::len);
                std::iter::repeat_n(name, count)
            })
            .collect(),
        _ => panic!("{} is not a process list:\n{text}", path.display()),
    }
}

/// The pids the daemon's state file says are running.
pub fn state_pids(path: &Path) -> BTreeSet<i32> {
    let Ok(value) = serde_json::from_str::<Value>(&read(path)) else {
        return BTreeSet::new();
    };
    value["apps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|app| app["running"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["pid"].as_i64().map(|pid| pid as i32))
        .collect()
}

/// Cuts a file in the middle.
pub fn truncate_in_the_middle(path: &Path) {
    let bytes = std::fs::read(path).expect("read file");
    assert!(bytes.len() > 10, "{} is too short to cut", path.display());
    std::fs::write(path, &bytes[..bytes.len() / 2]).expect("write file");
}

pub use super::common::processes_running;

pub fn proc_environ(pid: i32) -> BTreeMap<String, String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_else(|e| panic!("environment of {pid}: {e}"))
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

pub fn proc_cwd(pid: i32) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_else(|e| panic!("cwd of {pid}: {e}"))
}
