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
