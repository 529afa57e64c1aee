//! [`ProcessInfo`]: one row of the process table, as frontends display it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::AppSpec;

/// Lifecycle status, PM2's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Being spawned.
    Launching,
    /// Running.
    Online,
    /// Stop signal sent, waiting for the exit.
    Stopping,
    /// Not running, by request or because it exited without restart.
    Stopped,
    /// Gave up after too many unstable restarts, or could not be spawned.
    Errored,
    /// Exited, restart scheduled after a delay.
    WaitingRestart,
}

impl Status {
    /// PM2's spelling (`pm2_env.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Launching => "launching",
            Status::Online => "online",
            Status::Stopping => "stopping",
            Status::Stopped => "stopped",
            Status::Errored => "errored",
            Status::WaitingRestart => "waiting restart",
        }
    }
}

/// CPU and memory of a process tree, sampled by the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Monit {
    /// CPU percent of one core, summed over the tree.
    pub cpu: f32,
    /// Resident memory in bytes, summed over the tree.
    pub memory: u64,
}

/// One managed process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// Unique id (`pm_id`).
    pub pm_id: u32,
    /// Instance number within its app (`NODE_APP_INSTANCE`).
    pub instance: u32,
    /// How the app was asked to run.
    pub spec: AppSpec,
    /// OS pid while running.
    pub pid: Option<u32>,
    /// Lifecycle status.
    pub status: Status,
    /// Restarts since created (`restart_time`).
    pub restart_time: u32,
    /// Restarts that happened before `min_uptime`.
    pub unstable_restarts: u32,
    /// Last exponential back-off delay used, in ms (`prev_restart_delay`).
    pub prev_restart_delay: Option<u64>,
    /// Last start, ms since the epoch (`pm_uptime`).
    pub pm_uptime: i64,
    /// Creation, ms since the epoch (`created_at`).
    pub created_at: i64,
    /// Exit code of the last exit, if any.
    pub exit_code: Option<i32>,
    /// Standard output log of this process (with its `-<id>` suffix when any).
    pub out_log: Option<PathBuf>,
    /// Standard error log.
    pub err_log: Option<PathBuf>,
    /// Combined log, when configured.
    pub combined_log: Option<PathBuf>,
    /// Pid file of this process.
    pub pid_file: PathBuf,
    /// The full environment the process was started with.
    pub env: BTreeMap<String, String>,
    /// Latest CPU and memory sample.
    pub monit: Monit,
    /// User the process runs as.
    pub username: String,
    /// Last problem worth showing (spawn failure).
    pub last_error: Option<String>,
    /// A log file that cannot be written (disk full, unwritable path), while it lasts.
    pub log_error: Option<String>,
}

impl ProcessInfo {
    /// The row of a process that has not run: stopped, no pid, no figures, no logs; the
    /// caller fills in what it knows (fixtures start from it with `..`).
    pub fn new(pm_id: u32, spec: AppSpec) -> ProcessInfo {
        ProcessInfo {
            pm_id,
            instance: 0,
            pid_file: spec.pid_file.clone(),
            spec,
            pid: None,
            status: Status::Stopped,
            restart_time: 0,
            unstable_restarts: 0,
            prev_restart_delay: None,
            pm_uptime: 0,
            created_at: 0,
            exit_code: None,
            out_log: None,
            err_log: None,
            combined_log: None,
            env: BTreeMap::new(),
            monit: Monit::default(),
            username: String::new(),
            last_error: None,
            log_error: None,
        }
    }

    /// Milliseconds since the last start, 0 when not running.
    pub fn uptime_ms(&self, now_ms: i64) -> i64 {
        if self.status == Status::Online && self.pid.is_some() {
            (now_ms - self.pm_uptime).max(0)
        } else {
            0
        }
    }
}

/// What PM2 gives a process besides its own environment: its `pm2_env` fields as variables
/// (`pm_id`, `name`, `exec_mode`, `instances`, `pm_exec_path`, ...), which apps read
/// (`process.env.pm_id`, `process.env.exec_mode === 'cluster_mode'`). The daemon adds them at
/// spawn; `jlist` leaves them out of `pm2_env.env`, as PM2's own list does.
pub struct Pm2Variables<'a> {
    /// The app.
    pub spec: &'a AppSpec,
    /// The process id.
    pub pm_id: u32,
    /// The instance number (the value of `instance_var`).
    pub instance: u32,
    /// Its log files (`None`: not kept) and pid file.
    pub out_log: Option<&'a std::path::Path>,
    /// stderr file.
    pub err_log: Option<&'a std::path::Path>,
    /// Pid file.
    pub pid_file: &'a std::path::Path,
    /// `restart_time`, `unstable_restarts`.
    pub restarts: (u32, u32),
    /// `created_at`, `pm_uptime` (ms since the epoch).
    pub times: (i64, i64),
    /// `username`.
    pub username: &'a str,
}

impl Pm2Variables<'_> {
    /// The names, for telling them from the app's own variables.
    pub const NAMES: [&'static str; 25] = [
        "pm_id",
        "name",
        "namespace",
        "instances",
        "exec_mode",
        "pm_exec_path",
        "pm_cwd",
        "exec_interpreter",
        "node_args",
        "pm_out_log_path",
        "pm_err_log_path",
        "pm_pid_path",
        "instance_var",
        "restart_time",
        "unstable_restarts",
        "created_at",
        "pm_uptime",
        "status",
        "username",
        "autorestart",
        "autostart",
        "watch",
        "treekill",
        "vizion",
        "windowsHide",
    ];

    /// The variables, PM2's spelling of each value (`String(value)` of its `pm2_env`).
    pub fn variables(&self) -> Vec<(String, String)> {
        let spec = self.spec;
        let path = |p: Option<&std::path::Path>| {
            p.map_or_else(|| "/dev/null".to_string(), |p| p.display().to_string())
        };
        let values: [String; 25] = [
            self.pm_id.to_string(),
            spec.name.clone(),
            spec.namespace.clone(),
            spec.instances.to_string(),
            spec.exec_mode.pm2_name().to_string(),
            spec.exec_path.display().to_string(),
            spec.cwd.display().to_string(),
            spec.interpreter_name().to_string(),
            spec.interpreter_args.join(","),
            path(self.out_log),
            path(self.err_log),
            self.pid_file.display().to_string(),
            spec.instance_var.clone(),
            self.restarts.0.to_string(),
            self.restarts.1.to_string(),
            self.times.0.to_string(),
            self.times.1.to_string(),
            "launching".to_string(),
            self.username.to_string(),
            spec.autorestart.to_string(),
            spec.autostart.to_string(),
            spec.watch.enabled.to_string(),
            spec.treekill.to_string(),
            "true".to_string(),
            "true".to_string(),
        ];
        let mut out: Vec<(String, String)> = Self::NAMES
            .iter()
            .map(|n| n.to_string())
            .zip(values)
            .collect();
        out.push((spec.instance_var.clone(), self.instance.to_string()));
        out
    }

    /// True for a variable the daemon adds (`instance_var` names one more).
    pub fn is_added(name: &str, spec: &AppSpec) -> bool {
        Self::NAMES.contains(&name) || name == spec.instance_var
    }
}
