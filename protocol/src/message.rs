//! What travels in frames: the handshake, requests, their responses and pushed events.
//!
//! A connection starts with [`ClientFrame::Hello`] answered by [`ServerFrame::Welcome`];
//! after that every [`Request`] gets exactly one [`Response`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{AppSpec, Failure, ProcessInfo, Target, PROTOCOL_VERSION, VERSION};

/// First frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The client's [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The client's package version, for messages.
    pub version: String,
}

impl Hello {
    /// The hello of this build.
    pub fn current() -> Self {
        Self {
            protocol: PROTOCOL_VERSION,
            version: VERSION.to_string(),
        }
    }
}

/// The daemon's answer to [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The daemon's [`PROTOCOL_VERSION`]; the client gives up if it differs from its own.
    pub protocol: u32,
    /// The daemon's package version.
    pub version: String,
    /// The daemon's process id.
    pub pid: u32,
}

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientFrame {
    /// Opens the conversation.
    Hello(Hello),
    /// One request, answered by one [`ServerFrame::Response`].
    Request(Request),
    /// One request of the process table (start, a verb, a signal, a scale...), answered by
    /// one [`Response::WithTable`]: its own answer *and* every row, what the CLI prints after
    /// a command that changes the table, in one round trip. A frame kind rather than a
    /// request holding a request: no request nests another, so no frame can nest deeply.
    ThenList(Request),
}

/// Frames the daemon sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// Answers [`ClientFrame::Hello`] when the versions match.
    Welcome(Welcome),
    /// Answers one request.
    Response(Response),
    /// Pushed after [`Request::Subscribe`] was accepted, until the client hangs up.
    Event(Event),
    /// Pushed after [`Request::SubscribeTable`] was answered, until the client hangs up.
    Change(crate::TableChange),
}

/// Which output of a process a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogStream {
    /// stdout.
    Out,
    /// stderr.
    Err,
}

impl LogStream {
    /// PM2's name of the stream in `--json` output (`out`, `err`).
    pub fn pm2_name(self) -> &'static str {
        match self {
            LogStream::Out => "out",
            LogStream::Err => "err",
        }
    }
}

/// One line an app wrote, as streamed to `pm2 logs` followers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The process.
    pub pm_id: u32,
    /// Its app name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// stdout or stderr.
    pub stream: LogStream,
    /// The line, without its newline; bytes as written (not necessarily UTF-8).
    pub line: Vec<u8>,
    /// When the daemon read it, ms since the epoch.
    pub at_ms: i64,
}

/// Something pushed to a subscribed client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A line of output.
    Log(LogLine),
    /// The client fell behind and this many lines were dropped for it (the apps are never
    /// slowed down, and the daemon does not buffer without bound).
    Missed(u64),
}

/// A lifecycle verb applied to a set of processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Stop gracefully and keep the entry (`pm2 stop`).
    Stop,
    /// Stop then start again (`pm2 restart`).
    Restart,
    /// Replace with as little downtime as the mode allows (`pm2 reload`); fork mode restarts.
    Reload,
    /// Stop and forget (`pm2 delete`).
    Delete,
    /// Clear restart counters (`pm2 reset`).
    Reset,
}

impl Action {
    /// The verb as PM2 prints it in messages (`[PM2] Applying action restartProcessId ...`).
    pub fn pm2_name(self) -> &'static str {
        match self {
            Action::Stop => "stopProcessId",
            Action::Restart => "restartProcessId",
            Action::Reload => "reloadProcessId",
            Action::Delete => "deleteProcessId",
            Action::Reset => "resetMetaProcessId",
        }
    }
}

/// What a frontend asks of the daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Liveness check; answered with [`Response::Pong`].
    Ping,
    /// Start apps. An app whose name and script are already managed is restarted when it is
    /// stopped, and refused while it runs unless `force`; with `existing` (ecosystem files,
    /// `startOrRestart`, `startOrReload`) any app of the same name gets that action with its
    /// new settings instead.
    Start {
        /// The apps, resolved by the frontend.
        apps: Vec<AppSpec>,
        /// Start a second copy of an app that already runs (`-f`).
        force: bool,
        /// What to do to apps that already exist by name: `Restart` or `Reload`.
        existing: Option<Action>,
    },
    /// Apply `action` to every process the targets name.
    Act {
        /// The verb.
        action: Action,
        /// Which processes; an unknown target is an error naming it.
        targets: Vec<Target>,
        /// For restart/reload: the caller's environment replaces the saved one (`--update-env`).
        update_env: Option<BTreeMap<String, String>>,
        /// For restart/reload: options given on the command line that change the app
        /// (`pm2 restart api --node-args=...`, PM2's `_handleAttributeUpdate`).
        attributes: Option<Box<crate::Attributes>>,
    },
    /// Send a signal (by name, `SIGUSR2`) to the processes the targets name.
    Signal {
        /// Signal name, with or without the `SIG` prefix.
        signal: String,
        /// Which processes.
        targets: Vec<Target>,
    },
    /// Write `line` to the standard input of the processes `target` names (`pm2 send`,
    /// `pm2 attach`); answered with those processes. All or nothing per process: a process
    /// whose input pipe is full (it does not read it) or that is not running is an error
    /// naming it, and the daemon never waits for an app to read.
    SendLine {
        /// Which processes (usually one id).
        target: Target,
        /// The bytes to write, as given: the frontend adds the newline (PM2's separator).
        line: String,
    },
    /// Every process, in id order.
    List,
    /// Every process, in id order, without environments (`env` and `spec.env` empty): what
    /// tables, `pm2 monit` and pm2-mcp's list show, at a fraction of the bytes to copy and
    /// encode each second.
    ListBrief,
    /// The processes the targets name (`describe`, `pid`, `id`).
    Describe {
        /// Which processes.
        targets: Vec<Target>,
        /// When true, a target that matches nothing is not an error.
        allow_empty: bool,
    },
    /// Stop every app gracefully, then the daemon exits.
    Kill,
    /// Follow the output of the processes the targets name (all when empty): answered
    /// [`Response::Ok`], then [`ServerFrame::Event`]s until the client hangs up.
    Subscribe {
        /// Which processes; matched on each line, so new processes of a name are followed.
        targets: Vec<Target>,
    },
    /// Keep the process table on screen: answered with every row as `ListBrief` would, then
    /// the connection only carries [`ServerFrame::Change`]s (rows that changed, deletions,
    /// each round of figures, host vitals) until the client hangs up.
    SubscribeTable,
    /// Empty the log files of the processes the targets name (every app and the daemon's
    /// own log when empty).
    Flush {
        /// Which processes.
        targets: Vec<Target>,
    },
    /// Reopen every log file (after an external logrotate moved them).
    ReloadLogs,
    /// The last lines of the out and/or err log file of each process the targets name (all
    /// when empty), from the lines the log sinks keep in memory: answered with
    /// [`Response::RecentLogs`], whose entries say when only the file can answer.
    RecentLogs {
        /// Which processes; an unknown target is an error naming it.
        targets: Vec<Target>,
        /// One stream, or both (`None`, out first for each process).
        stream: Option<LogStream>,
        /// How many lines from the end of each file.
        lines: u32,
    },
    /// The host's vitals (`pm2 ls` host line, `pm2 monit` host panel): answered with
    /// [`Response::Vitals`], `None` unless `pm2 set pm2:sysmonit true`.
    Vitals,
    /// Start saved apps again with their ids (`pm2 resurrect`); apps whose name is already
    /// managed are left alone.
    Restore {
        /// The saved apps.
        apps: Vec<crate::dump::SavedApp>,
    },
    /// Replace the daemon with the installed binary without stopping the apps: the daemon
    /// re-executes itself and the new one adopts every process (`pm2 update`).
    Update,
    /// Change how many processes an app has (`pm2 scale api 4`, `pm2 scale api +2`).
    Scale {
        /// The app name.
        name: String,
        /// The new count, or a change of it.
        to: ScaleTo,
    },
    /// `pm2 set <key> <value>`: store a value in `module_conf.json` (`module:key` or `key`);
    /// answered with every value, as [`Response::Conf`]. `pm2-logrotate` values are checked
    /// first and take effect at once.
    SetConf {
        /// `module:key` (or `module.key`), or a top-level `key`.
        key: String,
        /// The value, stored as a string as PM2 does.
        value: String,
    },
    /// `pm2 get [key]`: every value (`None`), one module's, or one value.
    GetConf {
        /// `module`, `module:key`, or none for all.
        key: Option<String>,
    },
    /// `pm2 unset <key>`: remove a value (`all` empties the file); answered with every value.
    UnsetConf {
        /// `module:key`, `module`, a top-level `key`, or `all`.
        key: String,
    },
    /// Turn file watching of the apps the targets name on, off, or over
    /// (`pm2 restart <app> --watch` toggles it before the restart, as PM2); answered with
    /// their processes. Watching is per app: every process of an app named follows.
    Watch {
        /// Which processes (their apps).
        targets: Vec<Target>,
        /// On, off, or over.
        change: crate::WatchChange,
    },
}

/// One value of `module_conf.json`, flattened for the wire (bincode cannot carry free-form
/// JSON): `pm2 set <module>:<key> <value>`, or a top-level `pm2 set <key> <value>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfValue {
    /// The module (`pm2-logrotate`), `None` for a top-level key.
    pub module: Option<String>,
    /// The key inside the module (deeper levels joined with `:`).
    pub key: String,
    /// The value as text.
    pub value: String,
}

/// How `pm2 scale` changes the number of processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScaleTo {
    /// Exactly this many.
    Exactly(u32),
    /// This many more (or fewer, when negative).
    By(i32),
}

impl ScaleTo {
    /// Reads `4`, `+2` or `-1` as PM2's `scale` does.
    pub fn parse(text: &str) -> Option<ScaleTo> {
        if let Some(more) = text.strip_prefix('+') {
            return more.parse().ok().map(ScaleTo::By);
        }
        if text.starts_with('-') {
            return text.parse().ok().map(ScaleTo::By);
        }
        text.parse().ok().map(ScaleTo::Exactly)
    }

    /// The count this leads to from `current`.
    pub fn from(self, current: u32) -> u32 {
        match self {
            ScaleTo::Exactly(n) => n,
            ScaleTo::By(delta) => (current as i64 + delta as i64).max(0) as u32,
        }
    }
}

/// The last lines of one log file of one process, for [`Request::RecentLogs`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentLog {
    /// The process.
    pub pm_id: u32,
    /// Its app name.
    pub name: String,
    /// Which of its files.
    pub stream: LogStream,
    /// The file.
    pub file: PathBuf,
    /// The file's last lines, oldest first, without their newlines, as written (timestamp
    /// prefixes included; not necessarily UTF-8). A last line without its newline yet counts.
    pub lines: Vec<Vec<u8>>,
    /// `lines` are the file's last lines as asked (all of them, when it has fewer). When
    /// false the daemon does not hold them (lines dropped, written before it started, file
    /// changed by someone else) and the caller reads the file.
    pub complete: bool,
}

/// The daemon's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// Answer to [`Request::Ping`].
    Pong {
        /// Daemon process id.
        pid: u32,
        /// Daemon version.
        version: String,
    },
    /// Processes, for list-like requests and those that act on processes.
    Processes(Vec<ProcessInfo>),
    /// Answer to [`ClientFrame::ThenList`] when the request succeeded: its own answer, then
    /// every row afterwards (without environments, as `ListBrief`) and the host's vitals.
    WithTable {
        /// What the request answers.
        answer: Box<Response>,
        /// The whole table afterwards.
        table: Vec<ProcessInfo>,
        /// The host's vitals for the line under the table (`None` while sysmonit is off).
        vitals: Option<crate::HostVitals>,
    },
    /// Done, nothing to report.
    Ok,
    /// Answer to [`Request::RecentLogs`]: per process in id order, its out then err file.
    RecentLogs(Vec<RecentLog>),
    /// Answer to [`Request::Vitals`]: the latest sample, `None` while sysmonit is off.
    Vitals(Option<crate::HostVitals>),
    /// Values of `module_conf.json` (with pm2-logrotate's defaults for keys not set), for
    /// the conf requests.
    Conf(Vec<ConfValue>),
    /// The request failed: why, and one line for the user.
    Error(Failure),
}
