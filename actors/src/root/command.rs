//! The tree's own command language: what frontends (through the runtime's router) and the
//! tree's internal actors ask Root, and what it answers.
//!
//! The wire [`pm2_protocol::Request`] is the frontends' language; the runtime turns each
//! request the tree owns into one [`RootCmd`], once, in one place. Daemon matters (settings,
//! `pm2 update`, subscriptions) never reach the tree.

use std::collections::BTreeMap;

use pm2_protocol::dump::SavedApp;
use pm2_protocol::message::Action;
use pm2_protocol::{
    AppSpec, Attributes, HostVitals, LogStream, ProcessInfo, RecentLog, ScaleTo, Target,
    WatchChange,
};

/// A command to the tree, answered once with a [`TreeResult`](crate::error::TreeResult)
/// of [`Reply`].
#[derive(Debug, Clone, PartialEq)]
pub enum RootCmd {
    /// Every row; without environments when `brief` (tables, monit, metrics).
    List {
        /// Leave `env` and `spec.env` out.
        brief: bool,
    },
    /// The rows the targets name.
    Describe {
        /// Which processes.
        targets: Vec<Target>,
        /// A target that names nothing is not an error.
        allow_empty: bool,
    },
    /// Start apps (PM2's rules for apps already managed: see [`pm2_protocol::Request::Start`]).
    Start {
        /// The apps.
        apps: Vec<AppSpec>,
        /// Start a second copy of a running app.
        force: bool,
        /// What to do to apps that already exist by name.
        existing: Option<Action>,
    },
    /// Start saved apps again with their ids (`pm2 resurrect`, crash recovery).
    Restore {
        /// The saved apps.
        apps: Vec<SavedApp>,
    },
    /// Apply a lifecycle verb to the processes the targets name.
    Act {
        /// The verb.
        action: Action,
        /// Which processes.
        targets: Vec<Target>,
        /// For restart/reload: the caller's environment replaces the saved one.
        update_env: Option<BTreeMap<String, String>>,
        /// For restart/reload: options given on the command line.
        attributes: Option<Box<Attributes>>,
    },
    /// Deliver a signal (its number) to the processes the targets name.
    Signal {
        /// The signal number, already checked by the router.
        signal: i32,
        /// Which processes.
        targets: Vec<Target>,
    },
    /// Write bytes to the stdin of the processes `target` names.
    SendLine {
        /// Which processes.
        target: Target,
        /// The bytes.
        line: Vec<u8>,
    },
    /// Turn file watching of the apps the targets name on, off or over.
    Watch {
        /// Which processes (their apps).
        targets: Vec<Target>,
        /// On, off or over.
        change: WatchChange,
    },
    /// Empty the log files of the processes the targets name (all when empty).
    Flush {
        /// Which processes.
        targets: Vec<Target>,
    },
    /// Reopen every log file.
    ReloadLogs,
    /// The last lines of the processes' log files.
    RecentLogs {
        /// Which processes (all when empty).
        targets: Vec<Target>,
        /// One stream or both.
        stream: Option<LogStream>,
        /// How many lines of each file.
        lines: u32,
    },
    /// The host's latest vitals.
    Vitals,
    /// Change how many processes an app has.
    Scale {
        /// The app.
        name: String,
        /// The new count or a change of it.
        to: ScaleTo,
    },
    /// Stop every process (`pm2 kill`, the end of `pm2-runtime`).
    StopAll,
}

/// What a command of the tree answers when it succeeds.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The processes listed or acted on, in id order.
    Processes(Vec<ProcessInfo>),
    /// Done, nothing to report.
    Done,
    /// The last lines of log files.
    RecentLogs(Vec<RecentLog>),
    /// The host's latest vitals, `None` while `pm2:sysmonit` is off.
    Vitals(Option<HostVitals>),
}

impl Reply {
    /// The processes of a [`Reply::Processes`], else none.
    pub fn into_processes(self) -> Vec<ProcessInfo> {
        match self {
            Reply::Processes(list) => list,
            _ => Vec::new(),
        }
    }
}
