//! What a Proc needs of the operating system, behind one trait: start a process and wire its
//! output and exit, signal it. [`OsHost`] forks and execs; the unit tests of the Proc's
//! lifecycle use a double (as watchexec's supervisor tests do) that records signals and
//! ends processes on command, so every transition is checked without a process or a sleep.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::Arc;

use pm2_protocol::AppSpec;

use super::spawn;
use super::store::ProcStore;
use crate::logsink::{LogSinkMsg, LogTarget};
use crate::supervision::LiveRef;

/// A process just started, before its output and exit are wired.
#[derive(Debug)]
pub struct Child {
    /// Its pid.
    pub pid: u32,
    /// The OS handle ([`OsHost`]); `None` for a test double's process.
    pub handle: Option<tokio::process::Child>,
}

/// Where a started process's output and exit go.
pub struct Wiring<'a> {
    /// Its spawn generation.
    pub generation: u64,
    /// How its lines are written.
    pub target: Arc<LogTarget>,
    /// The record its exit is reported to.
    pub store: &'a Arc<ProcStore>,
    /// The app's log sink.
    pub sink: LiveRef<LogSinkMsg>,
}

/// Starting and signalling processes.
pub trait Host: Send + Sync + Debug {
    /// Starts `spec` with `env` and the `inherited` descriptors as fds 3..; answers the
    /// process and the write end of its stdin pipe.
    fn start(
        &self,
        spec: &AppSpec,
        env: &BTreeMap<String, String>,
        inherited: &[RawFd],
    ) -> std::io::Result<(Child, OwnedFd)>;

    /// Wires a started process: its output to the sink, its exit (when it comes) to the
    /// record's `exits` and the current actor. Called without the record's lock held.
    fn watch(&self, child: Child, wiring: Wiring<'_>);

    /// Sends `signal` to `pid`, or to its process group when `group`.
    fn kill(&self, pid: u32, signal: i32, group: bool);
}

/// The real operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsHost;

impl Host for OsHost {
    fn start(
        &self,
        spec: &AppSpec,
        env: &BTreeMap<String, String>,
        inherited: &[RawFd],
    ) -> std::io::Result<(Child, OwnedFd)> {
        let (handle, stdin) = spawn::start(spec, env, inherited)?;
        // A child with no id has already been reaped: record no process rather than pid 0
        // (which a signal would read as the daemon's own group).
        let pid = handle
            .id()
            .ok_or_else(|| std::io::Error::other("the process ended before its id was read"))?;
        let child = Child {
            pid,
            handle: Some(handle),
        };
        Ok((child, stdin))
    }

    fn watch(&self, child: Child, wiring: Wiring<'_>) {
        if let Some(handle) = child.handle {
            spawn::watch(
                handle,
                wiring.generation,
                wiring.target,
                wiring.store,
                wiring.sink,
            );
        }
    }

    fn kill(&self, pid: u32, signal: i32, group: bool) {
        spawn::kill(pid, signal, group);
    }
}

/// The host every record uses unless a test gives another.
pub fn os() -> Arc<dyn Host> {
    Arc::new(OsHost)
}
