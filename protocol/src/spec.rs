//! [`AppSpec`]: an app fully resolved, ready for the daemon to run.
//!
//! Frontends turn what the user wrote (flags, ecosystem files) into specs with
//! [`crate::ecosystem::resolve`]; the daemon never looks at the caller's filesystem or PATH.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::LogRotate;

/// How the instances of an app run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ExecMode {
    /// Each instance is a plain child process.
    #[default]
    Fork,
    /// Instances share the app's listening socket(s).
    Cluster,
}

impl ExecMode {
    /// PM2's spelling in `pm2_env.exec_mode`.
    pub fn pm2_name(self) -> &'static str {
        match self {
            ExecMode::Fork => "fork_mode",
            ExecMode::Cluster => "cluster_mode",
        }
    }

    /// The short form shown in `pm2 ls`.
    pub fn short_name(self) -> &'static str {
        match self {
            ExecMode::Fork => "fork",
            ExecMode::Cluster => "cluster",
        }
    }
}

/// How the instances of a cluster app get their listening socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Handover {
    /// The socket is passed as fd 3 (`LISTEN_FDS`, systemd's convention); Node apps get it
    /// through a preload script, unmodified.
    #[default]
    Inherit,
    /// The balancer accepts and forwards to each instance's own `PORT` (base + 1 + instance).
    Proxy,
}

/// Which children of a supervisor restart when one fails (OTP's strategies). For an app:
/// among its Proc actors, Balancer, Watch and Cron (a restarted Proc adopts its OS process,
/// so an actor's restart never restarts the app's processes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Strategy {
    /// Only the failed child.
    #[default]
    OneForOne,
    /// Every child.
    OneForAll,
    /// The failed child and every child started after it.
    RestForOne,
}

impl Strategy {
    /// Reads the ecosystem spelling (`one_for_one`, `one_for_all`, `rest_for_one`).
    pub fn parse(text: &str) -> Option<Strategy> {
        match text {
            "one_for_one" => Some(Strategy::OneForOne),
            "one_for_all" => Some(Strategy::OneForAll),
            "rest_for_one" => Some(Strategy::RestForOne),
            _ => None,
        }
    }

    /// The ecosystem spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::OneForOne => "one_for_one",
            Strategy::OneForAll => "one_for_all",
            Strategy::RestForOne => "rest_for_one",
        }
    }
}

/// Everything needed to start (and start again) every instance of one app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSpec {
    /// App name; several processes share it when `instances > 1`.
    pub name: String,
    /// Namespace, `default` unless set.
    pub namespace: String,
    /// The program to execute: an absolute script path or a binary.
    pub exec_path: PathBuf,
    /// Arguments after the script.
    pub args: Vec<String>,
    /// Interpreter program, `None` to execute `exec_path` directly.
    pub interpreter: Option<String>,
    /// Arguments for the interpreter, before the script.
    pub interpreter_args: Vec<String>,
    /// Working directory.
    pub cwd: PathBuf,
    /// Number of instances (already resolved from `max`/`-1`).
    pub instances: u32,
    /// Fork or cluster.
    pub exec_mode: ExecMode,
    /// Variables the app declares (`env`, then `env_<profile>`).
    pub env: BTreeMap<String, String>,
    /// Variables of `env` the file wrote as numbers or booleans (JSON literal), shown so by
    /// `jlist` as in PM2.
    #[serde(default)]
    pub env_literals: BTreeMap<String, String>,
    /// The environment of the caller that started the app; the app declares on top of it.
    pub base_env: BTreeMap<String, String>,
    /// Name of the instance-number variable (`NODE_APP_INSTANCE`).
    pub instance_var: String,
    /// A variable incremented per instance (`increment_var = "PORT"`): instance `i` gets
    /// the app's value (0 when unset) plus `i`, as PM2 gives each new instance the last + 1.
    #[serde(default)]
    pub increment_var: Option<String>,
    /// Restart after an exit.
    pub autorestart: bool,
    /// Start when added (false: the entry is created stopped).
    pub autostart: bool,
    /// Unstable restarts allowed before the process is left `errored`.
    pub max_restarts: u32,
    /// Below this uptime an exit counts as unstable.
    pub min_uptime_ms: u64,
    /// Wait before an automatic restart.
    pub restart_delay_ms: u64,
    /// First delay of exponential back-off, when enabled.
    pub exp_backoff_restart_delay_ms: Option<u64>,
    /// Grace between the stop signal and SIGKILL.
    pub kill_timeout_ms: u64,
    /// First stop signal (`SIGINT`).
    pub kill_signal: String,
    /// Signal the whole process group, not only the main pid.
    pub treekill: bool,
    /// Exit codes after which the app is not restarted.
    pub stop_exit_codes: Vec<i32>,
    /// Standard output file; `None` when logs are disabled.
    pub out_file: Option<PathBuf>,
    /// Standard error file; `None` when logs are disabled.
    pub error_file: Option<PathBuf>,
    /// Combined output file, when asked for.
    pub log_file: Option<PathBuf>,
    /// Pid file.
    pub pid_file: PathBuf,
    /// One set of files for all instances instead of `-<id>` suffixes.
    pub merge_logs: bool,
    /// Prefix each line with an ISO timestamp.
    pub time: bool,
    /// Prefix each line with a timestamp in this format.
    pub log_date_format: Option<String>,
    /// Write PM2's JSON lines (`log_type = "json"`).
    pub log_json: bool,
    /// Ports a cluster app serves (from `port`, else `PORT` in its environment).
    pub ports: Vec<u16>,
    /// UDP ports a cluster app's instances share (`udp_port`), bound once by the daemon
    /// and inherited after the TCP sockets.
    #[serde(default)]
    pub udp_ports: Vec<u16>,
    /// How cluster instances get the listening socket.
    pub handover: Handover,
    /// How the app's supervisor treats a failed child actor (`strategy`).
    #[serde(default)]
    pub strategy: Strategy,
    /// Online only when the app says ready (`process.send('ready')`, sd_notify `READY=1`).
    pub wait_ready: bool,
    /// Longest wait for readiness, in ms.
    pub listen_timeout_ms: u64,
    /// Ask Node apps to stop with a `shutdown` message before the kill signal.
    pub shutdown_with_message: bool,
    /// Restart above this resident memory, in bytes.
    pub max_memory_restart: Option<u64>,
    /// `watch`, `ignore_watch`, `watch_delay`, `watch_options`: restart when files change.
    #[serde(default)]
    pub watch: crate::WatchSpec,
    /// `cron_restart`: restart (or start, when stopped) at each time this matches.
    #[serde(default)]
    pub cron_restart: Option<String>,
    /// Log rotation settings of this app over the global `pm2-logrotate` ones.
    pub logrotate: LogRotate,
    /// Options that were accepted but have no effect yet, said once in `describe`.
    pub inert_options: Vec<String>,
    /// The account the app runs as (`uid`/`user`/`gid`); the daemon's own when `None`.
    #[serde(default)]
    pub run_as: Option<crate::ecosystem::RunAs>,
    /// What PM2 keeps in `pm2_env` that means nothing here (`vizion`, `pmx`, `trace`,
    /// `filter_env`, ...): key and JSON text, shown by `jlist` as PM2 shows them.
    #[serde(default)]
    pub stored_options: BTreeMap<String, String>,
}

/// The JSON value of `literal` (`3000`, `true`) when the text `value` is what it reads as:
/// a variable keeps the type its file gave it only while it still holds that value.
pub fn literal_of(literal: &str, value: &str) -> Option<serde_json::Value> {
    let parsed: serde_json::Value = serde_json::from_str(literal).ok()?;
    let same = match &parsed {
        serde_json::Value::String(s) => s == value,
        other => {
            let text = other.to_string();
            text == value
        }
    };
    same.then_some(parsed)
}

impl AppSpec {
    /// The variable `key` with `value` as `jlist` shows it: typed as the file wrote it, a
    /// number for `increment_var`'s, else `None` (text).
    pub fn typed_env(&self, key: &str, value: &str) -> Option<serde_json::Value> {
        if let Some(typed) = self
            .env_literals
            .get(key)
            .and_then(|l| literal_of(l, value))
        {
            return Some(typed);
        }
        match value.parse::<i64>() {
            Ok(n) if self.increment_var.as_deref() == Some(key) => Some(n.into()),
            _ => None,
        }
    }

    /// A fork-mode app running `exec_path` directly in `cwd`, with PM2's defaults for every
    /// option and no log files: the starting point for code that builds specs by hand.
    pub fn new(name: &str, exec_path: PathBuf, cwd: PathBuf, pid_file: PathBuf) -> AppSpec {
        AppSpec {
            name: name.to_string(),
            namespace: "default".into(),
            exec_path,
            args: Vec::new(),
            interpreter: None,
            interpreter_args: Vec::new(),
            cwd,
            instances: 1,
            exec_mode: ExecMode::Fork,
            env: BTreeMap::new(),
            env_literals: BTreeMap::new(),
            base_env: BTreeMap::new(),
            instance_var: "NODE_APP_INSTANCE".into(),
            increment_var: None,
            autorestart: true,
            autostart: true,
            max_restarts: 16,
            min_uptime_ms: 1000,
            restart_delay_ms: 0,
            exp_backoff_restart_delay_ms: None,
            kill_timeout_ms: 1600,
            kill_signal: "SIGINT".into(),
            treekill: true,
            stop_exit_codes: Vec::new(),
            out_file: None,
            error_file: None,
            log_file: None,
            pid_file,
            merge_logs: true,
            time: false,
            log_date_format: None,
            log_json: false,
            ports: Vec::new(),
            udp_ports: Vec::new(),
            handover: Handover::Inherit,
            strategy: Strategy::OneForOne,
            wait_ready: false,
            listen_timeout_ms: 3000,
            shutdown_with_message: false,
            max_memory_restart: None,
            watch: crate::WatchSpec::default(),
            cron_restart: None,
            logrotate: LogRotate::default(),
            inert_options: Vec::new(),
            run_as: None,
            stored_options: BTreeMap::new(),
        }
    }

    /// The command line as PM2 shows it: interpreter (if any) and script.
    pub fn interpreter_name(&self) -> &str {
        self.interpreter.as_deref().unwrap_or("none")
    }
}
