//! Messages to the Root actor.

use std::sync::Arc;

use pm2_protocol::{HostVitals, LogLine, ProcessInfo, TableChange};
use ractor::RpcReplyPort;

use super::command::{Reply, RootCmd};
use super::tree::AppHandle;
use crate::app::AppArgs;
use crate::balancer::SocketCell;
use crate::error::TreeResult;
use crate::logsink::RotationPolicy;
use tokio::sync::{broadcast, watch};

/// An App the Starts actor needs, for Root to start under its supervision.
#[derive(Clone)]
pub struct NewApp {
    /// The app's name (its key among Root's children).
    pub name: String,
    /// What its incarnations start with.
    pub args: AppArgs,
    /// Cluster apps: its sockets, as the handle keeps them.
    pub sockets: Option<SocketCell>,
}

impl std::fmt::Debug for NewApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApp").field("name", &self.name).finish()
    }
}

/// A subscription to the process table (`pm2 monit`, the dashboard): the rows now, then
/// what changes, and the host's vitals as the Monitor samples them.
#[derive(Debug)]
pub struct TableFeed {
    /// Every row without environments, when the subscription began.
    pub rows: Vec<ProcessInfo>,
    /// Every change since; a receiver that lags must subscribe again.
    pub changes: broadcast::Receiver<TableChange>,
    /// The latest host sample (`None` while `pm2:sysmonit` is off).
    pub vitals: watch::Receiver<Option<HostVitals>>,
}

/// What Root is asked.
#[derive(Debug)]
pub enum RootMsg {
    /// A command of the tree's own language, answered once (from a task or by the Starts
    /// actor: Root never waits for it).
    Command(RootCmd, RpcReplyPort<TreeResult<Reply>>),
    /// Start (once) and supervise the App a start needs; answers its handle.
    EnsureApp(NewApp, RpcReplyPort<TreeResult<AppHandle>>),
    /// A receiver of every log line from now on, for a `pm2 logs` follower (the host
    /// filters and forwards them; the tree never blocks on a follower).
    SubscribeLogs(RpcReplyPort<broadcast::Receiver<Arc<LogLine>>>),
    /// Everything a successor daemon needs to adopt the running processes (`pm2 update`).
    Export(RpcReplyPort<pm2_protocol::dump::Handover>),
    /// Adopt what the previous daemon handed over; answers how many processes run on.
    Adopt(
        Box<pm2_protocol::dump::Handover>,
        RpcReplyPort<TreeResult<usize>>,
    ),
    /// New log rotation settings (`pm2 set pm2-logrotate:*`), passed on to Logs.
    SetRotation(Arc<RotationPolicy>),
    /// `pm2 set pm2:sysmonit true|false`: the Monitor samples the host, or stops.
    SetSysmonit(bool),
    /// Each process's id, pid and restart count: what the state file depends on, cheap
    /// to compare (the full list clones every spec and environment).
    Fingerprint(RpcReplyPort<Vec<(u32, Option<u32>, u32)>>),
    /// A revision counter bumped whenever a row changes: when to look at the fingerprint.
    Revisions(RpcReplyPort<watch::Receiver<u64>>),
    /// Follow the process table (`pm2 monit`, the dashboard).
    SubscribeTable(RpcReplyPort<TableFeed>),
}
