//! Log sinks: each app's output goes through its LogSink actor into its files and, while
//! someone follows, onto the [`LogBus`].
//!
//! [`Logs`] supervises one [`LogSink`] per app (one_for_one) and hands out a [`LiveRef`] to
//! it, so a restarted sink keeps receiving. Each write names its destination
//! ([`LogTarget`]), so a sink holds nothing a restart could lose but open file handles.
//!
//! Rotation (pm2-logrotate's, built in): a sink rotates a file as soon as a write takes it
//! to `max_size` ([`files`]), and every non-empty file when [`Logs`]' `rotateInterval` timer
//! says so; renaming is done in the sink, compressing and pruning in the background
//! ([`rotate`]). The [`RotationPolicy`] is shared through a watch channel, so a change
//! applies to the next write of every sink, and a restarted sink starts with it.
//!
//! Recent lines ([`recent`]): each out/err file a sink writes keeps its last lines in
//! memory (at most [`recent::MAX_LINES`] lines and [`recent::MAX_BYTES`] bytes per file,
//! allocated on the first line), so `pm2_tail_logs` is answered without reading the file
//! (`Request::RecentLogs`). They are a cache, not state: a restarted sink starts without
//! them, and the caller reads the file for whatever a sink cannot answer.

pub mod bus;
mod files;
mod format;
mod logs;
pub mod policy;
pub mod recent;
pub mod rotate;

use std::path::PathBuf;
use std::sync::Arc;

use std::sync::Mutex;

use pm2_protocol::{LogLine, LogRotate, LogStream};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::watch;

pub use crate::proc::LogPaths;
pub use bus::{LineFilter, LogBus};
use files::{Health, OpenFiles};
pub use logs::{Logs, LogsArgs, LogsMsg};
pub use policy::{PolicyError, RotationPolicy};

use crate::registry::RegistryMsg;
use crate::supervision::LiveRef;
use pm2_protocol::clock::now_ms;

/// Which output of the process (the wire's [`LogStream`]).
pub type Stream = LogStream;

/// Where one process's output goes, and how lines are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    /// The process.
    pub pm_id: u32,
    /// Its app name (JSON lines, followers).
    pub name: String,
    /// Its namespace (followers).
    pub namespace: String,
    /// Its files.
    pub paths: LogPaths,
    /// Timestamp prefix format (moment.js tokens, as PM2's `log_date_format`).
    pub date_format: Option<String>,
    /// `log_type = "json"`: one JSON object per piece of output read (see
    /// [`format::render`]).
    pub json: bool,
    /// The app's rotation settings over the global policy.
    pub rotate: LogRotate,
}

/// Messages to a [`LogSink`].
#[derive(Debug)]
pub enum LogSinkMsg {
    /// Append bytes (whole lines, or a partial line that waited long enough).
    Write {
        /// Destination.
        target: Arc<LogTarget>,
        /// Which output.
        stream: Stream,
        /// The bytes, in order.
        bytes: Vec<u8>,
        /// Answered once the bytes are written: the pump keeps only a few writes in
        /// flight, so a slow disk slows the app's pipe instead of growing the daemon.
        written: Option<RpcReplyPort<()>>,
    },
    /// A process (re)started: create its files now, so `tail -f` works before any output.
    Open(Arc<LogTarget>),
    /// Empty these files (`pm2 flush`); replies with the failures.
    Truncate(Vec<PathBuf>, RpcReplyPort<Vec<String>>),
    /// The last lines of each of these files, in the same order: `None` for a file whose
    /// last lines only the file itself can give (see [`Recent`](recent::Recent)).
    Recent(Vec<PathBuf>, usize, RpcReplyPort<Vec<Option<Vec<Vec<u8>>>>>),
    /// Close every open file; the next write reopens (`pm2 reloadLogs`).
    CloseAll,
    /// Rotate every non-empty file now (`rotateInterval`).
    RotateAll,
}

/// What a sink is started with.
#[derive(Clone)]
pub struct SinkArgs {
    /// The app.
    pub app: String,
    /// Where followed lines go.
    pub bus: LogBus,
    /// Where log failures are reported (for `describe`).
    pub registry: LiveRef<RegistryMsg>,
    /// The rotation policy, as currently set.
    pub policy: watch::Receiver<Arc<RotationPolicy>>,
}

/// Writes one app's output to its files, in order, whole.
pub struct LogSink;

/// A sink's state.
pub struct SinkState {
    files: OpenFiles,
    args: SinkArgs,
    /// Serializes this sink's background rotation work (compress, prune).
    finishing: Arc<Mutex<()>>,
}

impl Actor for LogSink {
    type Msg = LogSinkMsg;
    type State = SinkState;
    type Arguments = SinkArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<LogSinkMsg>,
        args: SinkArgs,
    ) -> Result<SinkState, ActorProcessingErr> {
        Ok(SinkState {
            files: OpenFiles::new(args.app.clone()),
            args,
            finishing: Arc::default(),
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<LogSinkMsg>,
        msg: LogSinkMsg,
        state: &mut SinkState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            LogSinkMsg::Write {
                target,
                stream,
                bytes,
                written,
            } => {
                let health = state.files.write(&target, stream, &bytes);
                if let Some(written) = written {
                    let _ = written.send(());
                }
                state.report(target.pm_id, health);
                state.publish(&target, stream, &bytes);
                let policy = state.args.policy.borrow().clone();
                let rotations = state.files.rotate_oversized(&policy);
                state.finish(rotations);
            }
            LogSinkMsg::Open(target) => {
                let health = state.files.open(&target);
                state.report(target.pm_id, health);
            }
            LogSinkMsg::Truncate(paths, reply) => {
                let _ = reply.send(state.files.truncate(&paths));
            }
            LogSinkMsg::Recent(paths, lines, reply) => {
                let recent = paths
                    .iter()
                    .map(|path| state.files.recent(path, lines))
                    .collect();
                let _ = reply.send(recent);
            }
            LogSinkMsg::CloseAll => state.files.close_all(),
            LogSinkMsg::RotateAll => {
                let policy = state.args.policy.borrow().clone();
                let rotations = state.files.rotate_all(&policy);
                state.finish(rotations);
            }
        }
        Ok(())
    }
}

impl SinkState {
    fn finish(&self, rotations: Vec<rotate::Rotation>) {
        for rotation in rotations {
            rotate::finish_in_background(rotation, self.finishing.clone());
        }
    }

    fn report(&self, pm_id: u32, health: Option<Health>) {
        let message = match health {
            None => return,
            Some(Health::Failing(message)) => Some(message),
            Some(Health::Recovered) => None,
        };
        self.args
            .registry
            .cast(RegistryMsg::LogError(pm_id, message));
    }

    fn publish(&self, target: &LogTarget, stream: Stream, bytes: &[u8]) {
        if !self.args.bus.has_followers() {
            return;
        }
        let at_ms = now_ms();
        for line in bytes.split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            self.args.bus.publish(LogLine {
                pm_id: target.pm_id,
                name: target.name.clone(),
                namespace: target.namespace.clone(),
                stream,
                line: line.to_vec(),
                at_ms,
            });
        }
    }
}
