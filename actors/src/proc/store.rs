//! The durable half of a Proc: everything that must survive the actor's restart.
//!
//! The App's child spec owns a [`ProcStore`] and hands it to every incarnation of the Proc
//! actor, so a restarted actor adopts the running OS process and its counters instead of
//! losing or duplicating them. The store is also the backstop against orphans: dropping it
//! (the app was removed, or its supervisor died) kills the process group it still records.
//!
//! One writer: the Proc actor. The waiter task of each OS process only appends to `exits`
//! (what it saw); the record is filled once by whoever creates it, before any actor runs.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use pm2_protocol::{AppSpec, Monit, ProcessInfo};
use ractor::ActorRef;

use super::host::Host;
use super::lifecycle::{Lifecycle, Retiring};
use super::messages::ProcMsg;
use super::state::Counters;

/// An exit the actor has not handled yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingExit {
    /// Which spawn it was.
    pub generation: u64,
    /// Exit code, if it exited normally.
    pub code: Option<i32>,
    /// Signal number, if killed.
    pub signal: Option<i32>,
}

/// Log destinations of one process (after PM2's `-<id>` suffix rules).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogPaths {
    /// stdout file.
    pub out: Option<PathBuf>,
    /// stderr file.
    pub err: Option<PathBuf>,
    /// Combined file.
    pub combined: Option<PathBuf>,
}

/// The record of one managed process.
#[derive(Debug)]
pub struct ProcRecord {
    /// `pm_id`.
    pub pm_id: u32,
    /// Instance number within the app.
    pub instance: u32,
    /// How to run it.
    pub spec: AppSpec,
    /// Where the current process is in its life.
    pub life: Lifecycle,
    /// During a reload: the old process, serving until the new one is ready.
    pub retiring: Option<Retiring>,
    /// Restart counters.
    pub counters: Counters,
    /// Creation time (ms since epoch).
    pub created_at: i64,
    /// Last start (ms since epoch).
    pub started_at: i64,
    /// Spawn generation counter.
    pub generation: u64,
    /// Exits the waiter tasks saw and the actor has not handled yet (an old and a new
    /// process may both exit during a reload): the one field they write.
    pub exits: Vec<PendingExit>,
    /// Last exit code.
    pub exit_code: Option<i32>,
    /// The environment of the current (or last) spawn.
    pub env: BTreeMap<String, String>,
    /// Where its output goes.
    pub logs: LogPaths,
    /// Its pid file.
    pub pid_file: PathBuf,
    /// Last problem (spawn failure).
    pub last_error: Option<String>,
    /// Copies of the read ends of the running process's stdout and stderr pipes, kept so
    /// they can be handed to a successor daemon (`pm2 update`).
    pub pipes: Option<(OwnedFd, OwnedFd)>,
    /// Write ends of the stdin pipes of the running process and, during a reload, of the
    /// old one still serving, by spawn generation (`pm2 send`, `pm2 attach`).
    pub stdin: Vec<(u64, OwnedFd)>,
    /// Pipes inherited from a previous daemon, for the actor to pump on adoption.
    pub adopt_pipes: Option<(OwnedFd, OwnedFd)>,
    /// Cluster apps: the listening sockets every instance shares (empty until the first
    /// instance has bound a port known only to its code).
    pub sockets: Option<crate::balancer::SocketCell>,
    /// User name shown in `ls`.
    pub username: String,
    /// The actor incarnation that handles this process now.
    pub actor: Option<ActorRef<ProcMsg>>,
}

impl ProcRecord {
    /// The row the registry shows for this process.
    pub fn info(&self) -> ProcessInfo {
        ProcessInfo {
            pm_id: self.pm_id,
            instance: self.instance,
            spec: self.spec.clone(),
            pid: self.life.process().map(|p| p.pid),
            status: self.life.status(),
            restart_time: self.counters.restart_time,
            unstable_restarts: self.counters.unstable_restarts,
            prev_restart_delay: self.counters.prev_backoff_ms,
            pm_uptime: self.started_at,
            created_at: self.created_at,
            exit_code: self.exit_code,
            out_log: self.logs.out.clone(),
            err_log: self.logs.err.clone(),
            combined_log: self.logs.combined.clone(),
            pid_file: self.pid_file.clone(),
            env: self.env.clone(),
            monit: Monit::default(),
            username: self.username.clone(),
            last_error: self.last_error.clone(),
            log_error: None,
        }
    }
}

/// A [`ProcRecord`] behind a lock, shared by the actor's incarnations and its waiter task,
/// with the host its processes run on.
#[derive(Debug)]
pub struct ProcStore {
    record: Mutex<ProcRecord>,
    host: Arc<dyn Host>,
}

impl ProcStore {
    /// A store for a new process, run by the operating system.
    pub fn new(record: ProcRecord) -> Self {
        Self::with_host(record, super::host::os())
    }

    /// A store whose processes `host` runs (a test double in unit tests).
    pub fn with_host(record: ProcRecord, host: Arc<dyn Host>) -> Self {
        Self {
            record: Mutex::new(record),
            host,
        }
    }

    /// What starts and signals this record's processes.
    pub fn host(&self) -> &Arc<dyn Host> {
        &self.host
    }

    /// Locks the record. A poisoned lock still yields the data: a panic elsewhere must not
    /// make the process unmanageable.
    pub fn lock(&self) -> MutexGuard<'_, ProcRecord> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for ProcStore {
    fn drop(&mut self) {
        let record = self.lock();
        let retiring = record.retiring.map(|r| r.process);
        for process in record.life.process().into_iter().chain(retiring) {
            let pid = process.pid;
            tracing::warn!(
                pm_id = record.pm_id,
                pid,
                "process record dropped while running: killing its group"
            );
            self.host.kill(pid, libc_sigkill(), true);
        }
    }
}

fn libc_sigkill() -> i32 {
    nix::sys::signal::Signal::SIGKILL as i32
}
