//! The command line, as PM2 spells it (`startOrRestart`, `sendSignal`, `ls`, `-i max`).

use clap::{Args, Parser, Subcommand};

use crate::render::SortSpec;

/// `pm2`: a production process manager, drop-in for PM2.
#[derive(Debug, Parser)]
#[command(
    name = "pm2",
    disable_version_flag = true,
    about = "A production process manager, drop-in for PM2",
    long_about = None
)]
pub struct Cli {
    /// Print the version.
    #[arg(short = 'v', long = "version", global = false)]
    pub version: bool,
    /// Print nothing but errors.
    #[arg(short = 's', long, global = true)]
    pub silent: bool,
    /// No colours.
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Process lists as PM2's compact `key : value` blocks instead of the table.
    #[arg(short = 'm', long = "mini-list", global = true)]
    pub mini_list: bool,
    /// Order of process lists: name, namespace, id, pid, uptime, restarts, status, cpu or
    /// memory, optionally `:asc` or `:desc` (default name:asc).
    #[arg(long, global = true, value_name = "FIELD[:ORDER]")]
    pub sort: Option<SortSpec>,
    /// The command.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a script, binary, command or ecosystem file (or restart an app by name or id).
    Start(StartArgs),
    /// Start the apps of an ecosystem file, restarting those already running.
    #[command(name = "startOrRestart")]
    StartOrRestart(StartArgs),
    /// Start the apps of an ecosystem file, reloading those already running.
    #[command(name = "startOrReload", visible_alias = "startOrGracefulReload")]
    StartOrReload(StartArgs),
    /// Stop processes (id, name, namespace, all, /regex/, ecosystem file).
    Stop(TargetArgs),
    /// Restart processes.
    Restart(TargetArgs),
    /// Reload processes (fork mode restarts).
    Reload(TargetArgs),
    /// Stop and forget processes.
    #[command(visible_alias = "del")]
    Delete(TargetArgs),
    /// Clear restart counters.
    Reset(TargetArgs),
    /// Send a signal to processes.
    #[command(name = "sendSignal")]
    SendSignal {
        /// Signal name (SIGUSR2) or number.
        signal: String,
        /// Which processes.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// List processes.
    #[command(visible_aliases = ["ls", "l", "status"])]
    List(ListArgs),
    /// List processes as JSON.
    Jlist,
    /// List processes as PM2 prints them (util.inspect notation).
    Prettylist,
    /// Show everything about processes.
    #[command(visible_aliases = ["show", "info"])]
    Describe {
        /// Which processes.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Print the pids of an app (all apps without a name).
    Pid {
        /// App name.
        name: Option<String>,
    },
    /// Print the ids of an app.
    Id {
        /// App name.
        name: String,
    },
    /// Check that the daemon answers (starting it if needed).
    Ping,
    /// List the environment of a process.
    Env {
        /// Process id.
        id: String,
    },
    /// A diagnostic report: versions, PM2_HOME, the daemon, the system, processes, daemon log.
    Report,
    /// Write a sample ecosystem.toml here (`simple`: a minimal one; `json`/`yaml`: that format).
    #[command(visible_alias = "init")]
    Ecosystem {
        /// `simple`, and/or `toml` (default), `json`, `yaml`.
        #[arg(num_args = 0..=2)]
        mode: Vec<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completion {
        /// The shell (default: from $SHELL, else bash), or `install` for how to set it up.
        shell: Option<String>,
    },
    /// Write a line to the standard input of a process.
    Send {
        /// Process id (or name, namespace, all).
        target: String,
        /// The line (words are joined with spaces; a newline is added).
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        line: Vec<String>,
    },
    /// Attach the terminal to a process: its output here, each line typed to its stdin.
    Attach {
        /// Process id (or a name with one process).
        target: String,
        /// Sent after each line instead of a newline.
        separator: Option<String>,
    },
    /// Serve a directory over HTTP as a managed app (`static-page-server-<port>`).
    #[command(visible_alias = "expose")]
    Serve(crate::serve::ServeArgs),
    /// The static file server itself, run by the app `pm2 serve` starts.
    #[command(name = "__serve", hide = true)]
    ServeRun(crate::serve::RunArgs),
    /// Print the last lines of the logs and follow new ones.
    Logs(LogsArgs),
    /// The interactive dashboard: processes with cpu and memory history, the selected one's
    /// logs and metadata, keys to restart, stop, reload, delete and filter.
    #[command(visible_aliases = ["dashboard", "dash"])]
    Monit,
    /// Empty log files (every app's and the daemon's without a name).
    Flush {
        /// Which processes.
        targets: Vec<String>,
    },
    /// Reopen every log file (after an external logrotate moved them).
    #[command(name = "reloadLogs")]
    ReloadLogs,
    /// Set the number of processes of an app (`4`), or change it (`+2`, `-1`).
    Scale {
        /// App name.
        name: String,
        /// The new count, or `+N` / `-N`.
        #[arg(allow_hyphen_values = true)]
        number: String,
    },
    /// Stop every app, then the daemon.
    Kill,
    /// Save the process list to `$PM2_HOME/dump.pm2` (alias `dump`).
    #[command(visible_alias = "dump")]
    Save {
        /// Save even when no process is managed.
        #[arg(short = 'f', long)]
        force: bool,
    },
    /// Start the saved process list again.
    Resurrect,
    /// Empty the saved process list.
    Cleardump,
    /// Replace the daemon with the installed binary; the apps keep running (same pids).
    Update,
    /// Set a value in module_conf.json (`pm2-logrotate:max_size 10M`).
    Set {
        /// `module:key` (or `module.key`), or a top-level key.
        key: String,
        /// The value.
        value: String,
    },
    /// Print module_conf.json's values: all, one module's, or one.
    Get {
        /// `module`, `module:key`, or nothing for all.
        key: Option<String>,
    },
    /// Remove a value from module_conf.json (`all` empties it).
    Unset {
        /// `module:key`, `module`, a top-level key, or `all`.
        key: String,
    },
    /// Get or set module config values: `conf [key] [value]`.
    #[command(visible_alias = "config")]
    Conf {
        /// `module`, `module:key`, or nothing for all.
        key: Option<String>,
        /// With a key: set it to this value.
        value: Option<String>,
    },
    /// Start the daemon and its saved apps at boot (writes an init script; root).
    Startup(StartupArgs),
    /// Remove what `pm2 startup` installed.
    Unstartup(StartupArgs),
    /// Write an ecosystem file's apps as Kubernetes manifests, a compose file or systemd units.
    Export(ExportArgs),
}

/// Options of `pm2 ls` (`-m` and `--sort` are global, as in PM2).
#[derive(Debug, Args, Default)]
pub struct ListArgs {
    /// Redraw the list in place every second until Ctrl-C (needs a terminal).
    #[arg(short = 'w', long)]
    pub watch: bool,
}

/// Options of `pm2 export`.
#[derive(Debug, Args, Default)]
pub struct ExportArgs {
    /// kubernetes, compose or systemd.
    pub target: String,
    /// The ecosystem file (default `ecosystem.toml` in the current directory).
    pub file: Option<String>,
    /// Output folder (default `./export-<target>/`).
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
    /// Use `env_<name>` of the ecosystem file.
    #[arg(long = "env")]
    pub env: Option<String>,
    /// Container image for kubernetes and compose (default `app:latest`).
    #[arg(long)]
    pub image: Option<String>,
}

/// Options of `pm2 startup` / `pm2 unstartup`, PM2's.
#[derive(Debug, Args, Default)]
pub struct StartupArgs {
    /// systemd, upstart, systemv, openrc, launchd or rcd (detected when omitted).
    pub platform: Option<String>,
    /// The user the daemon runs as (default: the current user).
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// That user's home; PM2_HOME is <home>/.pm2 (default: the user's home).
    #[arg(long = "hp")]
    pub hp: Option<String>,
    /// The service's name (default pm2-<user>).
    #[arg(long = "service-name")]
    pub service_name: Option<String>,
    /// systemd: start once the network is online.
    #[arg(long = "wait-ip")]
    pub wait_ip: bool,
}

/// Options of `pm2 logs`, PM2's.
#[derive(Debug, Args, Default)]
pub struct LogsArgs {
    /// id, name, namespace, `all` or `/regex/`.
    pub target: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// `key=value` lines.
    #[arg(long)]
    pub format: bool,
    /// Messages only, without prefixes.
    #[arg(long)]
    pub raw: bool,
    /// Only standard error.
    #[arg(long)]
    pub err: bool,
    /// Only standard output.
    #[arg(long)]
    pub out: bool,
    /// How many past lines to print first (default 15).
    #[arg(long)]
    pub lines: Option<usize>,
    /// Prefix lines with a timestamp (default format YYYY-MM-DD-HH:mm:ss).
    #[arg(long, num_args = 0..=1, default_missing_value = "YYYY-MM-DD-HH:mm:ss")]
    pub timestamp: Option<String>,
    /// Print the past lines and exit.
    #[arg(long)]
    pub nostream: bool,
    /// Highlight this text.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub highlight: Option<String>,
}

/// Targets of a lifecycle command.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Ids, names, namespaces, `all`, `/regex/` or an ecosystem file.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Give the processes the current environment on restart.
    #[arg(long = "update-env")]
    pub update_env: bool,
    /// With an ecosystem file: only these apps (comma separated).
    #[arg(long)]
    pub only: Option<String>,
    /// With an ecosystem file: use `env_<name>`.
    #[arg(long = "env")]
    pub env: Option<String>,
    /// `restart`: toggle watching before restarting; `stop`: stop watching (as any stop).
    #[arg(long)]
    pub watch: bool,
}

/// Options of `pm2 start`, PM2's flags.
#[derive(Debug, Args, Default)]
pub struct StartArgs {
    /// Script, binary, command line, ecosystem file, or an app name/id to restart.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Arguments for the script (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
    /// App name.
    #[arg(short = 'n', long)]
    pub name: Option<String>,
    /// Namespace.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Working directory.
    #[arg(long)]
    pub cwd: Option<String>,
    /// Number of instances (`max`, `-1` for all cores but one).
    #[arg(short = 'i', long, allow_hyphen_values = true)]
    pub instances: Option<String>,
    /// Interpreter (`none` to execute directly).
    #[arg(long)]
    pub interpreter: Option<String>,
    /// Arguments for the interpreter.
    #[arg(long = "interpreter-args", allow_hyphen_values = true)]
    pub interpreter_args: Option<String>,
    /// Arguments for node (same as --interpreter-args).
    #[arg(long = "node-args", allow_hyphen_values = true)]
    pub node_args: Option<String>,
    /// Execute the script directly, without an interpreter.
    #[arg(short = 'x', long = "execute-command")]
    pub execute_command: bool,
    /// Use `env_<name>` of an ecosystem file.
    #[arg(long = "env")]
    pub env: Option<String>,
    /// With an ecosystem file: only these apps (comma separated).
    #[arg(long)]
    pub only: Option<String>,
    /// With --env <name>: the app is named `<name>-<env>`.
    #[arg(long = "append-env-to-name")]
    pub append_env_to_name: bool,
    /// Do not restart the app when it exits.
    #[arg(long = "no-autorestart")]
    pub no_autorestart: bool,
    /// Register the app without starting it.
    #[arg(long = "no-autostart")]
    pub no_autostart: bool,
    /// Unstable restarts before `errored`.
    #[arg(long = "max-restarts")]
    pub max_restarts: Option<u32>,
    /// Below this uptime an exit is unstable (ms, or 10s/1m).
    #[arg(long = "min-uptime")]
    pub min_uptime: Option<String>,
    /// Delay before an automatic restart (ms).
    #[arg(long = "restart-delay")]
    pub restart_delay: Option<String>,
    /// Exponential back-off start delay (ms).
    #[arg(long = "exp-backoff-restart-delay")]
    pub exp_backoff_restart_delay: Option<String>,
    /// Grace between the stop signal and SIGKILL (ms).
    #[arg(long = "kill-timeout")]
    pub kill_timeout: Option<String>,
    /// Exit codes that do not restart the app.
    #[arg(long = "stop-exit-codes", num_args = 1.., value_delimiter = ',')]
    pub stop_exit_codes: Vec<i32>,
    /// Restart above this memory (150M, 1G).
    #[arg(long = "max-memory-restart")]
    pub max_memory_restart: Option<String>,
    /// Prefix log lines with a timestamp.
    #[arg(long)]
    pub time: bool,
    /// Timestamp format for log lines (moment.js tokens).
    #[arg(long = "log-date-format")]
    pub log_date_format: Option<String>,
    /// stdout log file.
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
    /// stderr log file.
    #[arg(short = 'e', long = "error")]
    pub error: Option<String>,
    /// Combined log file (default `<name>.log` when no path).
    #[arg(short = 'l', long = "log", num_args = 0..=1, default_missing_value = "")]
    pub log: Option<String>,
    /// One set of log files for all instances.
    #[arg(long = "merge-logs")]
    pub merge_logs: bool,
    /// Start another copy of a script that already runs.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Give restarted processes the current environment.
    #[arg(long = "update-env")]
    pub update_env: bool,
    /// Restart the app when files change: under its cwd, or under the paths given
    /// (`--watch src --watch config`, or `--watch src,config`).
    #[arg(
        short = 'w',
        long,
        value_name = "PATHS",
        num_args = 0..=1,
        default_missing_value = "",
        value_delimiter = ',',
        action = clap::ArgAction::Append
    )]
    pub watch: Option<Vec<String>>,
    /// With --watch: globs of paths whose changes are ignored (space or comma separated).
    #[arg(long = "ignore-watch", value_name = "GLOBS", action = clap::ArgAction::Append)]
    pub ignore_watch: Vec<String>,
    /// With --watch: quiet time after a change before the restart (`2` seconds, `500ms`).
    #[arg(long = "watch-delay", value_name = "DELAY")]
    pub watch_delay: Option<String>,
    /// Restart (or start, when stopped) at each time this cron expression matches
    /// (5 fields, or 6 with seconds first).
    #[arg(
        short = 'c',
        long = "cron-restart",
        visible_alias = "cron",
        value_name = "EXPR"
    )]
    pub cron_restart: Option<String>,
}
