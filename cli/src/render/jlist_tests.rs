//! Tests of `jlist` (PM2's JSON shape) and `prettylist` (its `util.inspect` text).

use std::path::PathBuf;

use serde_json::{json, Value};

use super::fixture::{process, stopped, NOW};
use super::{jlist, prettylist};

fn first(value: &Value) -> &Value {
    &value[0]
}

#[test]
fn entries_have_pm2s_top_level_fields() {
    let list = jlist(&[process(0, "api")], NOW);
    let entry = first(&list);
    assert_eq!(entry["pid"], json!(4242));
    assert_eq!(entry["name"], json!("api"));
    assert_eq!(entry["pm_id"], json!(0));
    assert_eq!(entry["monit"], json!({ "memory": 12_897_485, "cpu": 0.5 }));
    assert!(entry["pm2_env"].is_object());
    let keys: Vec<&str> = entry
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 5, "{keys:?}");
}

#[test]
fn pm2_env_has_pm2s_names_and_types() {
    let list = jlist(&[process(0, "api")], NOW);
    let env = &first(&list)["pm2_env"];
    let expected = json!({
        "name": "api",
        "namespace": "default",
        "args": ["100"],
        "env": { "HOME": "/home/u", "PATH": "/usr/bin:/bin" },
        "merge_logs": true,
        "vizion": true,
        "autostart": true,
        "autorestart": true,
        "watch": false,
        "instance_var": "NODE_APP_INSTANCE",
        "treekill": true,
        "username": "u",
        "kill_timeout": 1600,
        "restart_delay": 0,
        "min_uptime": 1000,
        "max_restarts": 16,
        "stop_exit_codes": [],
        "node_args": [],
        "pm_exec_path": "/usr/bin/sleep",
        "pm_cwd": "/srv/app",
        "exec_interpreter": "none",
        "exec_mode": "fork_mode",
        "instances": 1,
        "pm_out_log_path": "/home/u/.pm2/logs/api-out.log",
        "pm_err_log_path": "/home/u/.pm2/logs/api-error.log",
        "pm_pid_path": "/home/u/.pm2/pids/api-0.pid",
        "NODE_APP_INSTANCE": 0,
        "status": "online",
        "pm_uptime": NOW - 300_000,
        "axm_actions": [],
        "axm_monitor": {},
        "axm_options": {},
        "axm_dynamic": {},
        "created_at": 1_795_669_103_649_i64,
        "pm_id": 0,
        "restart_time": 1,
        "unstable_restarts": 0,
        "version": "N/A",
        "HOME": "/home/u",
        "PATH": "/usr/bin:/bin",
    });
    // PM2's fields for Node/Keymetrics internals (too many for one json! literal).
    let mut expected = expected;
    for (key, value) in [
        ("filter_env", json!([])),
        ("pmx", json!(true)),
        ("automation", json!(true)),
        ("windowsHide", json!(true)),
        ("kill_retry_time", json!(100)),
    ] {
        expected[key] = value;
    }
    assert_eq!(env, &expected);
}

/// PM2's pm2_env.env is the caller's and the app's environment: the variables the daemon
/// adds for the process (`pm_id`, `name`, ...) are left out of it, unless the app set them.
#[test]
fn the_env_object_leaves_out_what_the_daemon_adds() {
    let list = jlist(&[process(0, "api")], NOW);
    let env = &first(&list)["pm2_env"];
    assert_eq!(env["env"].get("pm_id"), None, "{env:#}");
    assert_eq!(env["env"].get("name"), None, "{env:#}");
    assert_eq!(env["pm_id"], json!(0));
    let mut own = process(0, "api");
    own.spec.env.insert("name".to_owned(), "api".to_owned());
    let list = jlist(&[own], NOW);
    assert_eq!(first(&list)["pm2_env"]["env"]["name"], json!("api"));
}

/// A variable the file wrote as a number keeps its type, while its value is the one the
/// process got; increment_var's values are numbers, as PM2's.
#[test]
fn env_values_keep_the_type_the_file_gave_them() {
    let mut p = process(1, "api");
    p.spec
        .env_literals
        .insert("DEBUG".to_owned(), "true".to_owned());
    p.spec
        .env_literals
        .insert("PORT".to_owned(), "5000".to_owned());
    p.spec.increment_var = Some("PORT".to_owned());
    p.env.insert("DEBUG".to_owned(), "true".to_owned());
    p.env.insert("PORT".to_owned(), "5001".to_owned());
    let list = jlist(&[p], NOW);
    let env = &first(&list)["pm2_env"];
    assert_eq!(env["env"]["DEBUG"], json!(true));
    assert_eq!(env["env"]["PORT"], json!(5001));
    assert_eq!(env["PORT"], json!(5001));
    assert_eq!(env["increment_var"], json!("PORT"));
    assert_eq!(env["env"]["HOME"], json!("/home/u"));
}

/// PM2's command line always sets `watch`; an ecosystem file's app has it only when the file
/// says so.
#[test]
fn watch_is_shown_when_given() {
    let mut from_file = process(0, "api");
    from_file.spec.stored_options.clear();
    let list = jlist(&[from_file], NOW);
    assert_eq!(first(&list)["pm2_env"].get("watch"), None);
    let list = jlist(&[process(0, "api")], NOW);
    assert_eq!(first(&list)["pm2_env"]["watch"], json!(false));
}

#[test]
fn optional_fields_appear_when_set() {
    let mut p = process(2, "api");
    p.spec.exec_mode = pm2_protocol::ExecMode::Cluster;
    p.spec.interpreter = Some("node".to_owned());
    p.spec.interpreter_args = vec!["--inspect".to_owned()];
    p.spec.exp_backoff_restart_delay_ms = Some(100);
    p.spec.max_memory_restart = Some(209_715_200);
    p.spec.instance_var = "INSTANCE_ID".to_owned();
    p.spec.time = true;
    p.instance = 3;
    p.combined_log = Some(PathBuf::from("/tmp/combined-2.log"));
    p.exit_code = Some(1);
    let list = jlist(&[p], NOW);
    let env = &first(&list)["pm2_env"];
    assert_eq!(env["exec_mode"], json!("cluster_mode"));
    assert_eq!(env["exec_interpreter"], json!("node"));
    assert_eq!(env["node_args"], json!(["--inspect"]));
    assert_eq!(env["exp_backoff_restart_delay"], json!(100));
    assert_eq!(env["max_memory_restart"], json!(209_715_200));
    assert_eq!(env["INSTANCE_ID"], json!(3));
    assert_eq!(env["NODE_APP_INSTANCE"], Value::Null);
    assert_eq!(env["time"], json!(true));
    assert_eq!(env["pm_log_path"], json!("/tmp/combined-2.log"));
    assert_eq!(env["exit_code"], json!(1));
}

#[test]
fn absent_optional_fields_are_left_out() {
    let mut p = process(0, "api");
    p.spec.args.clear();
    let list = jlist(&[p], NOW);
    let env = first(&list)["pm2_env"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for key in [
        "args",
        "exp_backoff_restart_delay",
        "max_memory_restart",
        "pm_log_path",
        "exit_code",
        "node_version",
        "unique_id",
        "kill_signal",
        "time",
    ] {
        assert!(!env.contains_key(key), "{key} should be absent");
    }
}

#[test]
fn processes_not_online_have_pid_zero_and_no_usage() {
    let list = jlist(&[stopped(1, "worker")], NOW);
    let entry = first(&list);
    assert_eq!(entry["pid"], json!(0));
    assert_eq!(entry["monit"], json!({ "memory": 0, "cpu": 0 }));
    assert_eq!(entry["pm2_env"]["status"], json!("stopped"));
    assert_eq!(entry["pm2_env"]["exit_code"], json!(0));
}

#[test]
fn disabled_logs_read_dev_null() {
    let mut p = process(0, "api");
    p.out_log = None;
    p.err_log = None;
    let list = jlist(&[p], NOW);
    assert_eq!(
        first(&list)["pm2_env"]["pm_out_log_path"],
        json!("/dev/null")
    );
    assert_eq!(
        first(&list)["pm2_env"]["pm_err_log_path"],
        json!("/dev/null")
    );
}

#[test]
fn jlist_serializes_numbers_as_numbers() {
    let text = serde_json::to_string(&jlist(&[process(0, "api")], NOW)).unwrap_or_default();
    assert!(text.contains(r#""restart_time":1"#), "{text}");
    assert!(text.contains(r#""pid":4242"#), "{text}");
    assert!(text.contains(r#""cpu":0.5"#), "{text}");
}

#[test]
fn empty_lists() {
    assert_eq!(jlist(&[], NOW), json!([]));
    assert_eq!(prettylist(&[], NOW), "[]");
}

#[test]
fn prettylist_keeps_pm2s_key_order() {
    let text = prettylist(&[process(0, "api")], NOW);
    assert!(
        text.starts_with("[\n  {\n    pid: 4242,\n    name: 'api',\n    pm2_env: {\n      name: 'api',\n      filter_env: [],\n      namespace: 'default',\n"),
        "{text}"
    );
    assert!(text.contains("\n      restart_time: 1,\n"), "{text}");
    assert!(
        text.ends_with("    pm_id: 0,\n    monit: { memory: 12897485, cpu: 0.5 }\n  }\n]"),
        "{text}"
    );
}

/// Checked with Node: `util.inspect(eval('(' + text + ')'), false, null, false) === text`.
#[test]
fn prettylist_of_a_stopped_process() {
    let mut p = stopped(1, "it's-long");
    p.env.insert("MY-VAR".to_owned(), "x".to_owned());
    let expected = r#"[
  {
    pid: 0,
    name: "it's-long",
    pm2_env: {
      name: "it's-long",
      filter_env: [],
      namespace: 'default',
      args: [ '100' ],
      env: { HOME: '/home/u', 'MY-VAR': 'x', PATH: '/usr/bin:/bin' },
      merge_logs: true,
      vizion: true,
      autostart: true,
      autorestart: true,
      watch: false,
      instance_var: 'NODE_APP_INSTANCE',
      pmx: true,
      automation: true,
      treekill: true,
      username: 'u',
      windowsHide: true,
      kill_retry_time: 100,
      kill_timeout: 1600,
      restart_delay: 0,
      min_uptime: 1000,
      max_restarts: 16,
      stop_exit_codes: [],
      node_args: [],
      pm_exec_path: '/usr/bin/sleep',
      pm_cwd: '/srv/app',
      exec_interpreter: 'none',
      exec_mode: 'fork_mode',
      instances: 1,
      pm_out_log_path: "/home/u/.pm2/logs/it's-long-out.log",
      pm_err_log_path: "/home/u/.pm2/logs/it's-long-error.log",
      pm_pid_path: "/home/u/.pm2/pids/it's-long-1.pid",
      NODE_APP_INSTANCE: 0,
      status: 'stopped',
      pm_uptime: 1795668900000,
      axm_actions: [],
      axm_monitor: {},
      axm_options: {},
      axm_dynamic: {},
      created_at: 1795669103649,
      pm_id: 1,
      restart_time: 1,
      unstable_restarts: 0,
      version: 'N/A',
      exit_code: 0,
      HOME: '/home/u',
      'MY-VAR': 'x',
      PATH: '/usr/bin:/bin'
    },
    pm_id: 1,
    monit: { memory: 0, cpu: 0 }
  }
]"#;
    assert_eq!(prettylist(&[p], NOW), expected);
}
