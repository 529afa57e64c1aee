//! Messages to an App actor.

use pm2_protocol::message::Action;
use pm2_protocol::ProcessInfo;
use ractor::RpcReplyPort;

use crate::proc::{ProcRecord, SpecUpdate};

/// The outcome for each process an App acted on, in the order asked.
pub type ActReply = Vec<crate::error::TreeResult<ProcessInfo>>;

/// What an App is asked to do.
#[derive(Debug)]
pub enum AppMsg {
    /// Start new processes of this app (one Proc child each); replies once spawned.
    Add(Vec<ProcRecord>, RpcReplyPort<Vec<ProcessInfo>>),
    /// Apply a lifecycle verb to some of its processes.
    Act {
        /// The verb.
        action: Action,
        /// Which processes (ids of this app).
        ids: Vec<u32>,
        /// New configuration for restarts.
        update: crate::proc::SpecUpdate,
        /// Per-process outcome.
        reply: RpcReplyPort<ActReply>,
    },
    /// Deliver a signal to some of its processes.
    Signal(i32, Vec<u32>, RpcReplyPort<ActReply>),
    /// Write bytes to the stdin of some of its processes (`pm2 send`).
    SendLine(Vec<u8>, Vec<u32>, RpcReplyPort<ActReply>),
    /// Forget stopped processes (the end of a delete); the App stops when none are left.
    Remove(Vec<u32>, RpcReplyPort<()>),
    /// Restart every process of the app, starting those that are stopped (its Watch saw
    /// files change, or its Cron's time came).
    RestartAll(RpcReplyPort<ActReply>),
    /// Turn watching of the app on, off or over; answers every process's row.
    Watch(pm2_protocol::WatchChange, RpcReplyPort<ActReply>),
    /// The rows the Procs answered after a verb (a restart may bring new settings): the
    /// App remembers them and brings its Watch and Cron children in line.
    Refresh(Vec<ProcessInfo>),
    /// Describe the running processes for a successor daemon, their pipes kept open
    /// across `exec` (`pm2 update`).
    Export(RpcReplyPort<Vec<pm2_protocol::dump::HandedProcess>>),
}

/// Used by [`AppMsg::Act`] callers that have no new configuration.
pub fn no_update() -> SpecUpdate {
    SpecUpdate::default()
}
