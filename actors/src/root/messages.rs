//! Messages to the Root actor.

use std::sync::Arc;

use pm2_protocol::{HostVitals, LogLine, ProcessInfo, Request, Response, TableChange};
use ractor::RpcReplyPort;

use crate::logsink::RotationPolicy;
use tokio::sync::{broadcast, watch};

/// A subscription to the process table (`Request::SubscribeTable`): the rows now, then
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
    /// A request from a frontend, answered once.
    Request(Request, RpcReplyPort<Response>),
    /// A receiver of every log line from now on, for a `pm2 logs` follower (the host
    /// filters and forwards them; the tree never blocks on a follower).
    SubscribeLogs(RpcReplyPort<broadcast::Receiver<Arc<LogLine>>>),
    /// Everything a successor daemon needs to adopt the running processes (`pm2 update`).
    Export(RpcReplyPort<pm2_protocol::dump::Handover>),
    /// Adopt what the previous daemon handed over; answers how many processes run on.
    Adopt(
        pm2_protocol::dump::Handover,
        RpcReplyPort<Result<usize, String>>,
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
    /// Follow the process table (`Request::SubscribeTable`).
    SubscribeTable(RpcReplyPort<TableFeed>),
}
