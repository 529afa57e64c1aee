//! Log sinks: each app's output goes through its LogSink actor into its files and, while
//! someone follows, onto the [`LogBus`].
//!
//! [`Logs`] supervises one [`LogSink`] per app (one_for_one) and hands out a [`LiveRef`] to
//! it, so a restarted sink keeps receiving. Each write names its destination
//! ([`LogTarget`]), so a sink holds nothing a restart could lose but open file handles.

pub mod bus;
mod files;
mod format;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use pm2_protocol::{LogLine, LogStream};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

pub use crate::proc::LogPaths;
pub use bus::{LineFilter, LogBus};
use files::{Health, OpenFiles};

use crate::clock::now_ms;
use crate::registry::RegistryMsg;
use crate::supervision::{ChildSpec, Intensity, LiveRef, Strategy, Supervisor};

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
    /// `log_type = "json"`: one JSON object per line.
    pub json: bool,
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
    /// Empty these files (`pm2 flush`); replies with the failures.
    Truncate(Vec<PathBuf>, RpcReplyPort<Vec<String>>),
    /// Close every open file; the next write reopens (`pm2 reloadLogs`).
    CloseAll,
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
}

/// Writes one app's output to its files, in order, whole.
pub struct LogSink;

/// A sink's state.
pub struct SinkState {
    files: OpenFiles,
    args: SinkArgs,
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
            } => {
                let health = state.files.write(&target, stream, &bytes);
                state.report(target.pm_id, health);
                state.publish(&target, stream, &bytes);
            }
            LogSinkMsg::Open(target) => {
                let health = state.files.open(&target);
                state.report(target.pm_id, health);
            }
            LogSinkMsg::Truncate(paths, reply) => {
                let _ = reply.send(state.files.truncate(&paths));
            }
            LogSinkMsg::CloseAll => state.files.close_all(),
        }
        Ok(())
    }
}

impl SinkState {
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

/// Messages to the [`Logs`] supervisor.
#[derive(Debug)]
pub enum LogsMsg {
    /// The sink of an app, started on first use.
    SinkFor(String, RpcReplyPort<LiveRef<LogSinkMsg>>),
    /// The app is gone: stop its sink.
    Remove(String),
    /// Empty some files of an app, through its sink; replies with the failures.
    Truncate(String, Vec<PathBuf>, RpcReplyPort<Vec<String>>),
    /// Every sink closes its files, to reopen them on the next write.
    ReopenAll,
}

/// What [`Logs`] is started with.
#[derive(Clone)]
pub struct LogsArgs {
    /// The bus every sink publishes to.
    pub bus: LogBus,
    /// Where sinks report failures.
    pub registry: LiveRef<RegistryMsg>,
}

/// Supervises the sinks, one per app.
#[derive(Clone)]
pub struct Logs;

/// State of [`Logs`].
pub struct LogsState {
    args: LogsArgs,
    supervisor: Supervisor,
    sinks: BTreeMap<String, LiveRef<LogSinkMsg>>,
}

fn sink_spec(args: SinkArgs, live: LiveRef<LogSinkMsg>) -> ChildSpec {
    ChildSpec {
        key: args.app.clone(),
        spawn: Arc::new(move |supervisor| {
            let args = args.clone();
            let live = live.clone();
            Box::pin(async move {
                let (sink, _) = Actor::spawn_linked(None, LogSink, args, supervisor).await?;
                live.set(sink.clone());
                Ok(sink.get_cell())
            })
        }),
    }
}

impl Actor for Logs {
    type Msg = LogsMsg;
    type State = LogsState;
    type Arguments = LogsArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<LogsMsg>,
        args: LogsArgs,
    ) -> Result<LogsState, ActorProcessingErr> {
        Ok(LogsState {
            args,
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
                let live = state.sink_for(&myself, app).await?;
                let _ = reply.send(live);
            }
            LogsMsg::Remove(app) => {
                state.supervisor.remove_child(&app).await;
                state.sinks.remove(&app);
            }
            LogsMsg::Truncate(app, paths, reply) => {
                match state.sinks.get(&app).and_then(LiveRef::get) {
                    Some(sink) => sink.cast(LogSinkMsg::Truncate(paths, reply))?,
                    None => {
                        let _ = reply.send(vec![format!("no log sink for {app}")]);
                    }
                }
            }
            LogsMsg::ReopenAll => {
                for sink in state.sinks.values() {
                    sink.cast(LogSinkMsg::CloseAll);
                }
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

impl LogsState {
    async fn sink_for(
        &mut self,
        myself: &ActorRef<LogsMsg>,
        app: String,
    ) -> Result<LiveRef<LogSinkMsg>, ActorProcessingErr> {
        if let Some(live) = self.sinks.get(&app) {
            return Ok(live.clone());
        }
        let live = LiveRef::default();
        let args = SinkArgs {
            app: app.clone(),
            bus: self.args.bus.clone(),
            registry: self.args.registry.clone(),
        };
        self.supervisor
            .start_child(myself.get_cell(), sink_spec(args, live.clone()))
            .await?;
        self.sinks.insert(app, live.clone());
        Ok(live)
    }
}
