//! Ecosystem files and app options: what the user wrote, and how it becomes an [`AppSpec`].
//!
//! - [`AppConfig`]: the options of one app as written (all optional), from a file or flags.
//! - [`load`]: reads `ecosystem.toml` (our primary format), `.json`, `.yaml`/`.yml`, and
//!   `.config.js`/`.cjs` (evaluated by `node`) into [`AppConfig`]s, with warnings for
//!   unknown keys and `file:line` errors for wrong types.
//! - [`resolve`]: turns an [`AppConfig`] into an [`AppSpec`] against the caller's cwd, PATH
//!   and environment, as PM2 resolves scripts, interpreters and log paths.
//!
//! [`AppSpec`]: crate::AppSpec

mod defaults;
mod parse;
mod resolve;
mod typescript;
mod users;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use parse::{is_ecosystem_file, load};
pub use resolve::{find_in_path, interpreter_for, resolve, ResolveContext, ResolveError};
pub use users::RunAs;

use crate::ExecMode;

/// How many instances the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instances {
    /// An exact count (`instances = 4`).
    Count(u32),
    /// All cores (`max`, `0`).
    Max,
    /// All cores but this many (`-1`).
    AllBut(u32),
}

/// Where the combined log goes (`log_file`, `--log [path]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CombinedLog {
    /// `<PM2_HOME>/logs/<name>.log`.
    Default,
    /// This path, relative to the app's cwd.
    Path(String),
}

/// One app's options as the user wrote them; `None` means "PM2's default".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppConfig {
    /// `name`.
    pub name: Option<String>,
    /// `script` (required to start).
    pub script: Option<String>,
    /// `args`, already split into words.
    pub args: Vec<String>,
    /// `interpreter` / `exec_interpreter`; `none` executes the script directly.
    pub interpreter: Option<String>,
    /// `interpreter_args` / `node_args`, split into words.
    pub interpreter_args: Vec<String>,
    /// `cwd`, relative to the ecosystem file's folder or the caller's cwd.
    pub cwd: Option<String>,
    /// `instances`.
    pub instances: Option<Instances>,
    /// `exec_mode` (`fork`, `cluster`, `fork_mode`, `cluster_mode`).
    pub exec_mode: Option<ExecMode>,
    /// `env`, values turned into strings.
    pub env: BTreeMap<String, String>,
    /// Variables of `env` (and `env_<profile>`) written as numbers or booleans: their JSON
    /// literal, for `jlist` to show them as PM2 does.
    pub env_literals: BTreeMap<String, String>,
    /// `env_<profile>` tables by profile name, chosen with `--env <profile>`.
    pub env_profiles: BTreeMap<String, BTreeMap<String, String>>,
    /// The file's `deploy.<profile>.env` tables: with `--env <profile>`, under the app's
    /// own variables (PM2's `mergeEnvironmentVariables`).
    pub deploy_env: BTreeMap<String, BTreeMap<String, String>>,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `autorestart`.
    pub autorestart: Option<bool>,
    /// `autostart`.
    pub autostart: Option<bool>,
    /// `max_restarts`.
    pub max_restarts: Option<u32>,
    /// `min_uptime` in ms (`10s`, `1m` accepted).
    pub min_uptime_ms: Option<u64>,
    /// `restart_delay` in ms.
    pub restart_delay_ms: Option<u64>,
    /// `exp_backoff_restart_delay` in ms.
    pub exp_backoff_restart_delay_ms: Option<u64>,
    /// `kill_timeout` in ms.
    pub kill_timeout_ms: Option<u64>,
    /// `kill_signal`.
    pub kill_signal: Option<String>,
    /// `treekill`.
    pub treekill: Option<bool>,
    /// `stop_exit_codes`.
    pub stop_exit_codes: Vec<i32>,
    /// `out_file` / `output`.
    pub out_file: Option<String>,
    /// `error_file` / `error`.
    pub error_file: Option<String>,
    /// `log_file` / `log`.
    pub log_file: Option<CombinedLog>,
    /// `merge_logs` / `combine_logs`.
    pub merge_logs: Option<bool>,
    /// `disable_logs`.
    pub disable_logs: Option<bool>,
    /// `time`.
    pub time: Option<bool>,
    /// `log_date_format`.
    pub log_date_format: Option<String>,
    /// `log_type` (`json` for JSON lines).
    pub log_type: Option<String>,
    /// `pid_file`.
    pub pid_file: Option<String>,
    /// `instance_var`.
    pub instance_var: Option<String>,
    /// `increment_var`: a variable incremented per instance (`PORT`).
    pub increment_var: Option<String>,
    /// `append_env_to_name`: with `--env <profile>`, the name becomes `<name>-<profile>`.
    pub append_env_to_name: Option<bool>,
    /// `max_memory_restart` in bytes.
    pub max_memory_restart: Option<u64>,
    /// `port`: sets `PORT`.
    pub port: Option<u16>,
    /// `udp_port` (one port or a list): UDP ports a cluster app's instances share.
    pub udp_ports: Vec<u16>,
    /// `force`.
    pub force: Option<bool>,
    /// `wait_ready`: online (and reload-ready) only when the app says so.
    pub wait_ready: Option<bool>,
    /// `listen_timeout` in ms: longest wait for readiness.
    pub listen_timeout_ms: Option<u64>,
    /// `shutdown_with_message`: ask Node apps to stop with a `shutdown` message.
    pub shutdown_with_message: Option<bool>,
    /// `listen` (ours): how cluster instances get the socket, `inherit` or `proxy`.
    pub handover: Option<crate::Handover>,
    /// `strategy`: how the app's supervisor treats a failed child actor.
    pub strategy: Option<crate::Strategy>,
    /// `logrotate`: pm2-logrotate's keys for this app's files (our addition).
    pub logrotate: crate::LogRotate,
    /// `watch`, `ignore_watch`, `watch_delay`, `watch_options`.
    pub watch: crate::WatchConfig,
    /// `cron_restart` / `cron` (checked when resolved; `0` is off, as in PM2).
    pub cron_restart: Option<String>,
    /// Options accepted but without effect yet; `describe` says so once.
    pub inert_options: Vec<String>,
    /// `filter_env`: which of the caller's variables stay out of the app's environment.
    pub filter_env: Option<FilterEnv>,
    /// `uid` / `user`: run the app as this user (name or number).
    pub uid: Option<String>,
    /// `gid`: run the app with this group (name or number; the user's group by default).
    pub gid: Option<String>,
    /// Node/Keymetrics internals (`vizion`, `pmx`, `trace`, ...) kept as PM2 stores them in
    /// `pm2_env`: key and JSON value. They have no effect here.
    pub stored_options: BTreeMap<String, String>,
}

/// PM2's `filter_env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterEnv {
    /// `true`: none of the caller's variables.
    All,
    /// Names: the caller's variables whose names contain any of these are left out.
    Containing(Vec<String>),
}

impl FilterEnv {
    /// The caller's environment without what this filters out.
    pub fn apply(&self, env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        match self {
            FilterEnv::All => BTreeMap::new(),
            FilterEnv::Containing(parts) => env
                .iter()
                .filter(|(k, _)| !parts.iter().any(|p| k.contains(p.as_str())))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// `File x not found` (PM2's line), else the cause.
fn io_message(path: &std::path::Path, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => format!("File {} not found", path.display()),
        _ => format!("cannot read {}: {error}", path.display()),
    }
}

/// The apps of one ecosystem file, and what the reader noticed.
#[derive(Debug, Clone, Default)]
pub struct Ecosystem {
    /// The file, as given.
    pub path: PathBuf,
    /// Apps in file order.
    pub apps: Vec<AppConfig>,
    /// One line each: unknown keys, options without effect.
    pub warnings: Vec<String>,
}

/// Why an ecosystem file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EcosystemError {
    /// The file could not be read (PM2's words when it does not exist).
    #[error("{}", io_message(path, error))]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The file is not valid, or an option has the wrong type.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (the key's line when known).
        line: usize,
        /// What is wrong, naming the option.
        message: String,
    },
    /// The file is not valid TOML, JSON (nor JavaScript), YAML or JS: PM2's words first,
    /// so that scripts grepping them still match, then where and why.
    #[error("File {} malformated: {}:{line}: {message}", path.display(), path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (1 when the parser does not say).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A JavaScript ecosystem file needs `node`, which is not installed.
    #[error(
        "{path}: evaluating a JavaScript ecosystem file needs node, which was not found in PATH"
    )]
    NodeMissing {
        /// The file.
        path: PathBuf,
    },
    /// The file has an extension we do not read.
    #[error(
        "{path}: unsupported ecosystem file type (use .toml, .json, .yaml, .yml or .config.js)"
    )]
    UnsupportedType {
        /// The file.
        path: PathBuf,
    },
}
