//! Messages to a Proc actor; each maps to one verb of the process.

use std::collections::BTreeMap;

use pm2_protocol::{AppSpec, ProcessInfo};
use ractor::RpcReplyPort;

use crate::error::TreeResult;

/// A new configuration for the next start (`restart --update-env`, ecosystem restart).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecUpdate {
    /// Replaces the whole spec (ecosystem file started again).
    pub spec: Option<Box<AppSpec>>,
    /// Replaces the caller's environment (`--update-env`).
    pub base_env: Option<BTreeMap<String, String>>,
    /// Options given on the command line (`--node-args`, ...), applied last.
    pub attributes: Option<Box<pm2_protocol::Attributes>>,
}

impl SpecUpdate {
    /// The new configuration, written into `spec`.
    pub fn apply(self, spec: &mut AppSpec) {
        if let Some(new) = self.spec {
            *spec = *new;
        }
        if let Some(base_env) = self.base_env {
            spec.base_env = base_env;
        }
        if let Some(attributes) = self.attributes {
            attributes.apply(spec);
        }
    }
}

/// What a Proc actor is asked to do.
#[derive(Debug)]
pub enum ProcMsg {
    /// Stop the OS process gracefully; replies when it is down.
    Stop(RpcReplyPort<ProcessInfo>),
    /// Stop (if running) and start again; replies once the new process is spawned.
    Restart(SpecUpdate, RpcReplyPort<ProcessInfo>),
    /// Start a new process, wait until it is ready, then stop the old one; replies when the
    /// new one serves, or with an error (the old one kept serving) if it never got ready.
    Reload(SpecUpdate, RpcReplyPort<TreeResult<ProcessInfo>>),
    /// The process of this generation said it is ready (IPC or sd_notify).
    Ready(u64),
    /// `listen_timeout` passed for this generation: ready or not, it counts as ready.
    ListenTimeout(u64),
    /// The process of this generation asks for the app's socket on `port` (a port known
    /// only to its code): bind it once for the app and hand it over.
    BindPort {
        /// Which process.
        generation: u64,
        /// The port its code listens on.
        port: u16,
        /// The address it gave, if any.
        host: Option<String>,
    },
    /// The process of this generation listens on `port` with its descriptor `fd`: when
    /// the app's sockets are not known yet, take that socket over for the other instances.
    Listening {
        /// Which process.
        generation: u64,
        /// The port it asked for.
        port: u16,
        /// Its descriptor of the listening socket.
        fd: i32,
    },
    /// Clear restart counters.
    Reset(RpcReplyPort<ProcessInfo>),
    /// Deliver a signal to the process (group).
    Signal(i32, RpcReplyPort<TreeResult<ProcessInfo>>),
    /// Write these bytes to the running process's stdin, whole or not at all, never waiting.
    SendLine(Vec<u8>, RpcReplyPort<TreeResult<ProcessInfo>>),
    /// The current row.
    Info(RpcReplyPort<ProcessInfo>),
    /// Turn watching on or off in this process's spec (the App's Watch follows the specs);
    /// answers the new row.
    SetWatch(bool, RpcReplyPort<ProcessInfo>),
    /// Describe the running process for a successor daemon, its pipes kept open across
    /// `exec` (`pm2 update`); `None` when nothing runs.
    Export(RpcReplyPort<Option<pm2_protocol::dump::HandedProcess>>),
    /// The OS process of this generation exited (sent by its waiter task).
    Exited(u64),
    /// A delayed restart is due.
    RestartDue(u64),
    /// The grace period of a stop has passed: SIGKILL if still running.
    KillDue(u64),
}
