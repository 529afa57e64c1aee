//! PM2's global options: every flag of `lib/binaries/CLI.js` that PM2 declares on the program
//! itself, so that, as in PM2, each one is accepted before or after any command
//! (`pm2 restart api --update-env`, `pm2 delete all --parallel 4`, `pm2 --no-daemon start x`).
//!
//! Commands read what concerns them; the rest is accepted and ignored, as commander does.

use clap::{ArgAction, Args};

/// PM2's global flags, in `CLI.js` order (plus ours at the end).
#[derive(Debug, Args, Default, Clone)]
pub struct Pm2Options {
    /// Watch only files with these extensions (`js,json`; with --watch).
    #[arg(long, global = true, value_name = "EXTENSIONS")]
    pub ext: Option<String>,
    /// App name.
    #[arg(short = 'n', long, global = true)]
    pub name: Option<String>,
    /// Interpreter (`none` to execute directly).
    #[arg(long, global = true)]
    pub interpreter: Option<String>,
    /// Arguments for the interpreter (alias of --node-args).
    #[arg(long = "interpreter-args", global = true, allow_hyphen_values = true)]
    pub interpreter_args: Option<String>,
    /// Space-separated arguments for node (the interpreter); also on restart/reload.
    #[arg(long = "node-args", global = true, allow_hyphen_values = true)]
    pub node_args: Option<String>,
    /// stdout log file.
    #[arg(short = 'o', long = "output", global = true, value_name = "PATH")]
    pub output: Option<String>,
    /// stderr log file.
    #[arg(short = 'e', long = "error", global = true, value_name = "PATH")]
    pub error: Option<String>,
    /// Combined log file (default `<name>.log` without a path).
    #[arg(short = 'l', long = "log", global = true, num_args = 0..=1, default_missing_value = "")]
    pub log: Option<String>,
    /// Leave out of the app's environment the caller's variables named so (repeatable; alone:
    /// all of the caller's variables).
    #[arg(long = "filter-env", global = true, num_args = 0..=1, default_missing_value = "",
          action = ArgAction::Append, value_name = "ENVS")]
    pub filter_env: Option<Vec<String>>,
    /// Log line style: `json` for PM2's JSON lines (raw by default).
    #[arg(long = "log-type", global = true, value_name = "TYPE")]
    pub log_type: Option<String>,
    /// Timestamp format for log lines (dayjs/moment tokens).
    #[arg(long = "log-date-format", global = true, value_name = "FORMAT")]
    pub log_date_format: Option<String>,
    /// Prefix log lines with a timestamp.
    #[arg(long, global = true)]
    pub time: bool,
    /// Keep no log files (stdout and stderr go nowhere).
    #[arg(long = "disable-logs", global = true)]
    pub disable_logs: bool,
    /// Use `env_<name>` of an ecosystem file.
    #[arg(long = "env", global = true, value_name = "ENVIRONMENT_NAME")]
    pub env: Option<String>,
    /// Give restarted processes the caller's environment (`-a`, apply).
    #[arg(short = 'a', long = "update-env", global = true)]
    pub update_env: bool,
    /// Force: start another copy of a running script; save an empty list.
    #[arg(short = 'f', long, global = true)]
    pub force: bool,
    /// Number of instances (`max`, `0`, or `-1` for all cores but one).
    #[arg(short = 'i', long, global = true, allow_hyphen_values = true)]
    pub instances: Option<String>,
    /// Parallel actions for restart/reload (accepted: ours act on all at once).
    #[arg(long, global = true, value_name = "NUMBER")]
    pub parallel: Option<String>,
    /// Stop Node apps with `process.send('shutdown')` before the kill signal.
    #[arg(long = "shutdown-with-message", global = true)]
    pub shutdown_with_message: bool,
    /// Pid file.
    #[arg(short = 'p', long = "pid", global = true, value_name = "PID_FILE")]
    pub pid: Option<String>,
    /// Grace between the stop signal and SIGKILL (ms).
    #[arg(
        short = 'k',
        long = "kill-timeout",
        global = true,
        value_name = "DELAY"
    )]
    pub kill_timeout: Option<String>,
    /// Longest wait for a starting instance to listen (or say ready), ms.
    #[arg(long = "listen-timeout", global = true, value_name = "DELAY")]
    pub listen_timeout: Option<String>,
    /// Restart above this memory (150M, 1G, bytes).
    #[arg(long = "max-memory-restart", global = true, value_name = "MEMORY")]
    pub max_memory_restart: Option<String>,
    /// Delay before an automatic restart (ms).
    #[arg(long = "restart-delay", global = true, value_name = "DELAY")]
    pub restart_delay: Option<String>,
    /// Exponential back-off start delay (ms).
    #[arg(
        long = "exp-backoff-restart-delay",
        global = true,
        value_name = "DELAY"
    )]
    pub exp_backoff_restart_delay: Option<String>,
    /// Fork mode (PM2: "execute a program using fork system"); the interpreter is still
    /// chosen by the script's extension.
    #[arg(short = 'x', long = "execute-command", global = true)]
    pub execute_command: bool,
    /// Unstable restarts before `errored`.
    #[arg(long = "max-restarts", global = true, value_name = "COUNT")]
    pub max_restarts: Option<u32>,
    /// Run the app as this user (also: the user of `pm2 startup`).
    #[arg(short = 'u', long, global = true, value_name = "USERNAME")]
    pub user: Option<String>,
    /// Run the app with this user's rights (name or number).
    #[arg(long, global = true)]
    pub uid: Option<String>,
    /// Run the app with this group's rights (name or number).
    #[arg(long, global = true)]
    pub gid: Option<String>,
    /// Namespace.
    #[arg(long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// Working directory.
    #[arg(long, global = true, value_name = "PATH")]
    pub cwd: Option<String>,
    /// `pm2 startup`: the user's home; PM2_HOME is <home>/.pm2.
    #[arg(long = "hp", global = true, value_name = "HOME_PATH")]
    pub hp: Option<String>,
    /// `pm2 startup` (systemd): start once the network is online.
    #[arg(long = "wait-ip", global = true)]
    pub wait_ip: bool,
    /// `pm2 startup`: the service's name (default pm2-<user>).
    #[arg(long = "service-name", global = true, value_name = "NAME")]
    pub service_name: Option<String>,
    /// Restart (or start, when stopped) at each time this cron expression matches
    /// (5 fields, or 6 with seconds first).
    #[arg(
        short = 'c',
        long = "cron-restart",
        visible_alias = "cron",
        global = true,
        value_name = "CRON_PATTERN"
    )]
    pub cron_restart: Option<String>,
    /// Write the app's configuration to `<name>-pm2.json` in the current folder.
    #[arg(short = 'w', long, global = true)]
    pub write: bool,
    /// Run the daemon in this terminal (when none runs) and stay attached until Ctrl-C.
    #[arg(long = "no-daemon", global = true)]
    pub no_daemon: bool,
    /// Node internal, no effect here (stored as PM2 stores it).
    #[arg(long = "source-map-support", global = true)]
    pub source_map_support: bool,
    /// With an ecosystem file: only these apps (comma separated).
    #[arg(long, global = true, value_name = "APPLICATION_NAME")]
    pub only: Option<String>,
    /// Node internal, no effect here (stored as PM2 stores it).
    #[arg(long = "disable-source-map-support", global = true)]
    pub disable_source_map_support: bool,
    /// Online only when the app says ready (`process.send('ready')`, sd_notify READY=1).
    #[arg(long = "wait-ready", global = true)]
    pub wait_ready: bool,
    /// One set of log files for all instances.
    #[arg(long = "merge-logs", global = true)]
    pub merge_logs: bool,
    /// Restart the app when files change: under its cwd, or under the paths given
    /// (`--watch src --watch config`, `--watch src,config`); on stop/restart: turn off/toggle.
    #[arg(long, global = true, value_name = "PATHS", num_args = 0..=1,
          default_missing_value = "", value_delimiter = ',', action = ArgAction::Append)]
    pub watch: Option<Vec<String>>,
    /// With --watch: globs of paths whose changes are ignored (space or comma separated).
    #[arg(long = "ignore-watch", global = true, value_name = "FOLDERS|FILES",
          action = ArgAction::Append)]
    pub ignore_watch: Vec<String>,
    /// With --watch: quiet time after a change before the restart (`4` seconds, `4000ms`).
    #[arg(long = "watch-delay", global = true, value_name = "DELAY")]
    pub watch_delay: Option<String>,
    /// Versioning metadata off (PM2's vizion; no effect here).
    #[arg(long = "no-vizion", global = true)]
    pub no_vizion: bool,
    /// Register the app without starting it.
    #[arg(long = "no-autostart", global = true)]
    pub no_autostart: bool,
    /// Do not restart the app when it exits.
    #[arg(long = "no-autorestart", global = true)]
    pub no_autorestart: bool,
    /// Exit codes that do not restart the app (`0 3` or `0,3`).
    #[arg(long = "stop-exit-codes", global = true, num_args = 1.., value_delimiter = ',',
          value_name = "EXIT_CODES")]
    pub stop_exit_codes: Vec<i32>,
    /// Signal only the main process on stop, not its process group.
    #[arg(long = "no-treekill", global = true)]
    pub no_treekill: bool,
    /// Keymetrics internal (pmx off), no effect here.
    #[arg(long = "no-pmx", global = true)]
    pub no_pmx: bool,
    /// Keymetrics internal (automation off), no effect here.
    #[arg(long = "no-automation", global = true)]
    pub no_automation: bool,
    /// Keymetrics internal (transaction tracing), no effect here.
    #[arg(long, global = true)]
    pub trace: bool,
    /// Keymetrics internal, no effect here.
    #[arg(long = "disable-trace", global = true)]
    pub disable_trace: bool,
    /// After start/restart/reload/stop: follow the apps' logs until Ctrl-C.
    #[arg(long, global = true)]
    pub attach: bool,
    /// Keymetrics internal (v8 data), no effect here.
    #[arg(long, global = true)]
    pub v8: bool,
    /// Keymetrics internal, no effect here.
    #[arg(long = "event-loop-inspector", global = true)]
    pub event_loop_inspector: bool,
    /// Keymetrics internal (--v8 --event-loop-inspector --trace), no effect here.
    #[arg(long = "deep-monitoring", global = true)]
    pub deep_monitoring: bool,
    /// Ours: below this uptime an exit is unstable (ms, or 10s/1m).
    #[arg(long = "min-uptime", global = true, value_name = "DELAY")]
    pub min_uptime: Option<String>,
    /// Ours: with --env <name>, the app is named `<name>-<env>` (PM2 reads it from files).
    #[arg(long = "append-env-to-name", global = true)]
    pub append_env_to_name: bool,
}

impl Pm2Options {
    /// The Node/Keymetrics internals given, as PM2 stores them in `pm2_env` (key, JSON
    /// value): accepted for compatibility, without effect here.
    pub fn node_internals(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        let mut flag = |on: bool, key: &'static str, value: &'static str| {
            if on {
                out.push((key, value));
            }
        };
        flag(self.no_vizion, "vizion", "false");
        flag(self.no_pmx, "pmx", "false");
        flag(self.no_automation, "automation", "false");
        flag(self.trace, "trace", "true");
        // PM2 turns --disable-trace into `trace: false`.
        flag(self.disable_trace, "trace", "false");
        flag(self.v8, "v8", "true");
        flag(self.event_loop_inspector, "event_loop_inspector", "true");
        flag(self.deep_monitoring, "deep_monitoring", "true");
        flag(self.source_map_support, "source_map_support", "true");
        flag(
            self.disable_source_map_support,
            "disable_source_map_support",
            "true",
        );
        out
    }
}
