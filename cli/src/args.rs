//! The command line, as PM2 spells it (`startOrRestart`, `sendSignal`, `ls`, `-i max`).

use clap::{Args, Parser, Subcommand};

use crate::render::SortSpec;

mod options;

pub use options::Pm2Options;

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
    /// PM2's other global flags (`--name`, `--update-env`, `--env`, ...).
    #[command(flatten)]
    pub options: Pm2Options,
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
    Save,
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

/// `pm2 ls` (`-m`, `--sort` and `--watch` are global, as in PM2's flags).
#[derive(Debug, Args, Default)]
pub struct ListArgs {}

/// Options of `pm2 export`.
#[derive(Debug, Args, Default)]
pub struct ExportArgs {
    /// kubernetes, compose or systemd.
    pub target: String,
    /// The ecosystem file (default `ecosystem.toml` in the current directory).
    pub file: Option<String>,
    /// Container image for kubernetes and compose (default `app:latest`).
    #[arg(long)]
    pub image: Option<String>,
}

/// `pm2 startup` / `pm2 unstartup`: the platform; `-u`, `--hp`, `--service-name` and
/// `--wait-ip` are PM2's global flags.
#[derive(Debug, Args, Default)]
pub struct StartupArgs {
    /// systemd, upstart, systemv, openrc, launchd or rcd (detected when omitted).
    pub platform: Option<String>,
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

/// Targets of a lifecycle command (`--update-env`, `--only`, `--env`, `--watch` and the rest
/// are global flags).
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Ids, names, namespaces, `all`, `/regex/`, script files or an ecosystem file.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// restart/reload: new arguments for the script (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
}

/// `pm2 start`: what to start; the app options are PM2's global flags ([`Pm2Options`]).
#[derive(Debug, Args, Default)]
pub struct StartArgs {
    /// Script, binary, command line, ecosystem file, or an app name/id to restart
    /// (default: `ecosystem.toml`, else PM2's `ecosystem.config.js`, here).
    pub targets: Vec<String>,
    /// Arguments for the script (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
    /// PM2's container flags (`pm2 start --container`, docker mode): accepted, refused
    /// with one line when used, as that mode is not part of this manager.
    #[command(flatten)]
    pub container: ContainerFlags,
}

/// `pm2 start`'s docker-mode flags (PM2's `dockerMode`).
#[derive(Debug, Args, Default, Clone)]
pub struct ContainerFlags {
    /// Rebuild the Dockerfile.
    #[arg(long)]
    pub fresh: bool,
    /// Run the container in daemon mode.
    #[arg(long)]
    pub daemon: bool,
    /// Start the app in container mode.
    #[arg(long)]
    pub container: bool,
    /// With --container: containerize the current folder.
    #[arg(long)]
    pub dist: bool,
    /// With --dist: the image name.
    #[arg(long = "image-name", num_args = 0..=1, default_missing_value = "")]
    pub image_name: Option<String>,
    /// With --container: the Node.js major version.
    #[arg(long = "node-version", num_args = 0..=1, default_missing_value = "")]
    pub node_version: Option<String>,
    /// For debugging.
    #[arg(long)]
    pub dockerdaemon: bool,
}
