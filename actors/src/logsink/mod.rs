//! Log sinks: each app's output goes through its LogSink actor into its files.
//!
//! [`Logs`] supervises one [`LogSink`] per app (one_for_one) and hands out a [`LiveRef`] to
//! it, so a restarted sink keeps receiving. Each write names its destination
//! ([`LogTarget`]), so a sink holds nothing that a restart could lose but open file handles.

mod files;
pub mod timestamp;

use std::collections::BTreeMap;
use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

pub use crate::proc::LogPaths;
use crate::supervision::{ChildSpec, Intensity, LiveRef, Strategy, Supervisor};
use files::OpenFiles;

/// Which output of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// stdout.
    Out,
    /// stderr.
    Err,
}

/// Where one process's output goes, and how lines are prefixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    /// The process.
    pub pm_id: u32,
    /// Its files.
    pub paths: LogPaths,
    /// Timestamp prefix format (moment.js tokens, as PM2's `log_date_format`).
    pub date_format: Option<String>,
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
    },
    /// A process (re)started: create its files now, so `tail -f` works before any output.
    Open(Arc<LogTarget>),
    /// Close every open file (they are reopened on the next write).
    CloseAll,
}

/// Writes one app's output to its files, in order, whole.
pub struct LogSink;

impl Actor for LogSink {
    type Msg = LogSinkMsg;
    type State = OpenFiles;
    type Arguments = String;

    async fn pre_start(
        &self,
        _myself: ActorRef<LogSinkMsg>,
        app: String,
    ) -> Result<OpenFiles, ActorProcessingErr> {
        Ok(OpenFiles::new(app))
    }

    async fn handle(
        &self,
        _myself: ActorRef<LogSinkMsg>,
        msg: LogSinkMsg,
        files: &mut OpenFiles,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            LogSinkMsg::Write {
                target,
                stream,
                bytes,
            } => files.write(&target, stream, &bytes),
            LogSinkMsg::Open(target) => files.open(&target),
            LogSinkMsg::CloseAll => files.close_all(),
        }
        Ok(())
    }
}

/// Messages to the [`Logs`] supervisor.
#[derive(Debug)]
pub enum LogsMsg {
    /// The sink of an app, started on first use.
    SinkFor(String, RpcReplyPort<LiveRef<LogSinkMsg>>),
    /// The app is gone: stop its sink.
    Remove(String),
}

/// Supervises the sinks, one per app.
#[derive(Clone)]
pub struct Logs;

/// State of [`Logs`].
pub struct LogsState {
    supervisor: Supervisor,
    sinks: BTreeMap<String, LiveRef<LogSinkMsg>>,
}

fn sink_spec(app: String, live: LiveRef<LogSinkMsg>) -> ChildSpec {
    ChildSpec {
        key: app.clone(),
        spawn: Arc::new(move |supervisor| {
            let app = app.clone();
            let live = live.clone();
            Box::pin(async move {
                let (sink, _) = Actor::spawn_linked(None, LogSink, app, supervisor).await?;
                live.set(sink.clone());
                Ok(sink.get_cell())
            })
        }),
    }
}

impl Actor for Logs {
    type Msg = LogsMsg;
    type State = LogsState;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<LogsMsg>,
        _: (),
    ) -> Result<LogsState, ActorProcessingErr> {
        Ok(LogsState {
            supervisor: Supervisor::new(Strategy::OneForOne, Intensity::default()),
            sinks: BTreeMap::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<LogsMsg>,
        msg: LogsMsg,
        state: &mut LogsState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            LogsMsg::SinkFor(app, reply) => {
                if let Some(live) = state.sinks.get(&app) {
                    let _ = reply.send(live.clone());
                    return Ok(());
                }
                let live = LiveRef::default();
                state
                    .supervisor
                    .start_child(myself.get_cell(), sink_spec(app.clone(), live.clone()))
                    .await?;
                state.sinks.insert(app, live.clone());
                let _ = reply.send(live);
            }
            LogsMsg::Remove(app) => {
                state.supervisor.remove_child(&app).await;
                state.sinks.remove(&app);
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<LogsMsg>,
        event: SupervisionEvent,
        state: &mut LogsState,
    ) -> Result<(), ActorProcessingErr> {
        state
            .supervisor
            .handle_event(myself.get_cell(), event)
            .await?;
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<LogsMsg>,
        state: &mut LogsState,
    ) -> Result<(), ActorProcessingErr> {
        state.supervisor.stop_all().await;
        Ok(())
    }
}
