//! The same two apps written in TOML, JSON and YAML, and what each must read as.

use std::collections::BTreeMap;

use crate::ecosystem::{AppConfig, CombinedLog, Instances};
use crate::ExecMode;

pub(super) fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) const FULL_TOML: &str = r#"# two apps
[[apps]]
name = "api"
script = "server.js"
args = "--port 3000 --name 'my app'"
interpreter = "node"
node_args = ["--max-old-space-size=256"]
cwd = "srv"
instances = 4
exec_mode = "cluster_mode"
namespace = "web"
autorestart = true
max_restarts = 5
min_uptime = "10s"
restart_delay = 250
kill_timeout = "3s"
kill_signal = "SIGTERM"
stop_exit_codes = [0, 2]
output = "logs/out.log"
error = "logs/err.log"
log = true
merge_logs = true
time = true
log_date_format = "YYYY-MM-DD"
pid = "api.pid"
instance_var = "INSTANCE_ID"
max_memory_restart = "150M"
port = 3000
force = false

[apps.env]
NODE_ENV = "development"
DEBUG = true
WORKERS = 2

[apps.env_production]
NODE_ENV = "production"

[[apps]]
name = "worker"
script = "worker.py"
instances = "max"
exp_backoff_restart_delay = 100
treekill = false
autostart = false
disable_logs = true
log_file = "combined.log"
error_file = "w-err.log"

[deploy.production]
user = "node"

[[groups]]
apps = ["api", "worker"]
strategy = "one_for_all"
"#;

pub(super) fn expected_apps() -> Vec<AppConfig> {
    let api = AppConfig {
        name: Some("api".into()),
        script: Some("server.js".into()),
        args: vec![
            "--port".into(),
            "3000".into(),
            "--name".into(),
            "my app".into(),
        ],
        interpreter: Some("node".into()),
        interpreter_args: vec!["--max-old-space-size=256".into()],
        cwd: Some("srv".into()),
        instances: Some(Instances::Count(4)),
        exec_mode: Some(ExecMode::Cluster),
        env: vars(&[
            ("NODE_ENV", "development"),
            ("DEBUG", "true"),
            ("WORKERS", "2"),
        ]),
        // Written as a boolean and a number: jlist shows them so, as PM2.
        env_literals: vars(&[("DEBUG", "true"), ("WORKERS", "2")]),
        env_profiles: [(
            "production".to_string(),
            vars(&[("NODE_ENV", "production")]),
        )]
        .into_iter()
        .collect(),
        namespace: Some("web".into()),
        autorestart: Some(true),
        max_restarts: Some(5),
        min_uptime_ms: Some(10_000),
        restart_delay_ms: Some(250),
        kill_timeout_ms: Some(3_000),
        kill_signal: Some("SIGTERM".into()),
        stop_exit_codes: vec![0, 2],
        out_file: Some("logs/out.log".into()),
        error_file: Some("logs/err.log".into()),
        log_file: Some(CombinedLog::Default),
        merge_logs: Some(true),
        time: Some(true),
        log_date_format: Some("YYYY-MM-DD".into()),
        pid_file: Some("api.pid".into()),
        instance_var: Some("INSTANCE_ID".into()),
        max_memory_restart: Some(150 * 1024 * 1024),
        port: Some(3000),
        force: Some(false),
        // jlist shows it as given, as PM2.
        stored_options: [("stop_exit_codes".to_string(), "[0,2]".to_string())].into(),
        ..AppConfig::default()
    };
    let worker = AppConfig {
        name: Some("worker".into()),
        script: Some("worker.py".into()),
        instances: Some(Instances::Max),
        exp_backoff_restart_delay_ms: Some(100),
        treekill: Some(false),
        autostart: Some(false),
        disable_logs: Some(true),
        log_file: Some(CombinedLog::Path("combined.log".into())),
        error_file: Some("w-err.log".into()),
        stored_options: [("disable_logs".to_string(), "true".to_string())].into(),
        ..AppConfig::default()
    };
    vec![api, worker]
}

pub(super) const FULL_JSON: &str = r#"{
  "apps": [
    {
      "name": "api",
      "script": "server.js",
      "args": ["--port", 3000, "--name", "my app"],
      "exec_interpreter": "node",
      "interpreter_args": "--max-old-space-size=256",
      "cwd": "srv",
      "instances": "4",
      "exec_mode": "cluster",
      "namespace": "web",
      "autorestart": true,
      "max_restarts": 5,
      "min_uptime": "10s",
      "restart_delay": 250,
      "kill_timeout": 3000,
      "kill_signal": "SIGTERM",
      "stop_exit_codes": [0, 2],
      "out_file": "logs/out.log",
      "err_file": "logs/err.log",
      "log_file": true,
      "combine_logs": true,
      "time": true,
      "log_date_format": "YYYY-MM-DD",
      "pid_file": "api.pid",
      "instance_var": "INSTANCE_ID",
      "max_memory_restart": "150M",
      "port": 3000,
      "force": false,
      "env": { "NODE_ENV": "development", "DEBUG": true, "WORKERS": 2 },
      "env_production": { "NODE_ENV": "production" }
    },
    {
      "name": "worker",
      "script": "worker.py",
      "instances": 0,
      "exp_backoff_restart_delay": 100,
      "treekill": false,
      "autostart": false,
      "disable_logs": true,
      "log": "combined.log",
      "error_file": "w-err.log"
    }
  ],
  "deploy": { "production": { "user": "node" } }
}
"#;

pub(super) const FULL_YAML: &str = r#"# two apps
apps:
  - name: api
    script: server.js
    args: --port 3000 --name "my app"
    interpreter: node
    node_args: [--max-old-space-size=256]
    cwd: srv
    instances: 4
    exec_mode: cluster
    namespace: web
    autorestart: true
    max_restarts: 5
    min_uptime: 10s
    restart_delay: 250
    kill_timeout: 3s
    kill_signal: SIGTERM
    stop_exit_codes: [0, 2]
    output: logs/out.log
    error: logs/err.log
    log: true
    merge_logs: true
    time: true
    log_date_format: YYYY-MM-DD
    pid: api.pid
    instance_var: INSTANCE_ID
    max_memory_restart: 150M
    port: 3000
    force: false
    env:
      NODE_ENV: development
      DEBUG: true
      WORKERS: 2
    env_production:
      NODE_ENV: production
  - name: worker
    script: worker.py
    instances: max
    exp_backoff_restart_delay: 100
    treekill: false
    autostart: false
    disable_logs: true
    log_file: combined.log
    error_file: w-err.log
deploy:
  production:
    user: node
"#;
