//! Logs: supervises the sinks, one per app (one_for_one), and keeps the `rotateInterval`
//! clock that tells every sink to rotate.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Local};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use tokio::sync::watch;

use super::{LogBus, LogSink, LogSinkMsg, RotationPolicy, SinkArgs};
use crate::registry::RegistryMsg;
use crate::supervision::{ChildSpec, Intensity, LiveRef, Strategy, Supervisor};

/// Messages to the [`Logs`] supervisor.
#[derive(Debug)]
pub enum LogsMsg {
    /// The sink of an app, started on first use.
    SinkFor(String, RpcReplyPort<LiveRef<LogSinkMsg>>),
    /// The app is gone: stop its sink.
    Remove(String),
    /// Empty some files of an app, through its sink; replies with the failures.
    Truncate(String, Vec<PathBuf>, RpcReplyPort<Vec<String>>),
    /// The last lines of some files of an app, from its sink (all `None` when it has none):
    /// [`LogSinkMsg::Recent`].
    Recent(
        String,
        Vec<PathBuf>,
        usize,
        RpcReplyPort<Vec<Option<Vec<Vec<u8>>>>>,
    ),
    /// Every sink closes its files, to reopen them on the next write.
    ReopenAll,
    /// New rotation settings (`pm2 set pm2-logrotate:*`): every sink uses them from its
    /// next write, and the `rotateInterval` clock starts over.
    SetRotation(Arc<RotationPolicy>),
    /// A `rotateInterval` time of the clock of this generation came.
    RotateDue(u64),
}

/// What [`Logs`] is started with.
#[derive(Clone)]
pub struct LogsArgs {
    /// The bus every sink publishes to.
    pub bus: LogBus,
    /// Where sinks report failures.
    pub registry: LiveRef<RegistryMsg>,
    /// The rotation policy every sink reads; held outside the actor, so a restarted Logs
    /// keeps the current one.
    pub policy: Arc<watch::Sender<Arc<RotationPolicy>>>,
    /// Which apps have a sink, and the handle their Procs write through: held outside the
    /// actor (Logs is its one writer), so a restarted Logs starts each sink again behind
    /// the same handle.
    pub sinks: Arc<std::sync::Mutex<BTreeMap<String, LiveRef<LogSinkMsg>>>>,
}

/// Supervises the sinks, one per app.
#[derive(Clone)]
pub struct Logs;

/// State of [`Logs`].
pub struct LogsState {
    args: LogsArgs,
    supervisor: Supervisor,
    /// Generation of the `rotateInterval` clock: a timer of an older one is ignored.
    clock: u64,
    /// When the current clock is due.
    due_at: Option<DateTime<Local>>,
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
        myself: ActorRef<LogsMsg>,
        args: LogsArgs,
    ) -> Result<LogsState, ActorProcessingErr> {
        let mut state = LogsState {
            args,
            supervisor: Supervisor::new(Strategy::OneForOne, Intensity::default()),
            clock: 0,
            due_at: None,
        };
        // A restarted Logs: every app that had a sink gets one again, behind its handle.
        for (app, live) in state.sinks() {
            let args = state.sink_args(&app);
            state
                .supervisor
                .start_child(myself.get_cell(), sink_spec(args, live))
                .await?;
        }
        state.schedule(&myself);
        Ok(state)
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
                state.book().remove(&app);
            }
            LogsMsg::Truncate(app, paths, reply) => match state.sink(&app) {
                Some(sink) => sink.cast(LogSinkMsg::Truncate(paths, reply))?,
                None => {
                    let _ = reply.send(vec![format!("no log sink for {app}")]);
                }
            },
            LogsMsg::Recent(app, paths, lines, reply) => match state.sink(&app) {
                Some(sink) => sink.cast(LogSinkMsg::Recent(paths, lines, reply))?,
                None => {
                    let _ = reply.send(vec![None; paths.len()]);
                }
            },
            LogsMsg::ReopenAll => state.tell_sinks(|| LogSinkMsg::CloseAll),
            LogsMsg::SetRotation(policy) => {
                tracing::info!(?policy, "log rotation settings changed");
                state.args.policy.send_replace(policy);
                state.schedule(&myself);
            }
            LogsMsg::RotateDue(clock) => state.rotate_due(&myself, clock),
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
    fn book(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, LiveRef<LogSinkMsg>>> {
        self.args.sinks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every app's sink handle.
    fn sinks(&self) -> Vec<(String, LiveRef<LogSinkMsg>)> {
        self.book()
            .iter()
            .map(|(app, live)| (app.clone(), live.clone()))
            .collect()
    }

    /// The running sink of `app`.
    fn sink(&self, app: &str) -> Option<ActorRef<LogSinkMsg>> {
        self.book().get(app).and_then(LiveRef::get)
    }

    fn sink_args(&self, app: &str) -> SinkArgs {
        SinkArgs {
            app: app.to_string(),
            bus: self.args.bus.clone(),
            registry: self.args.registry.clone(),
            policy: self.args.policy.subscribe(),
        }
    }

    fn tell_sinks(&self, message: impl Fn() -> LogSinkMsg) {
        for (_, sink) in self.sinks() {
            sink.cast(message());
        }
    }

    /// Starts a new `rotateInterval` clock (the previous one's timer is then ignored).
    fn schedule(&mut self, myself: &ActorRef<LogsMsg>) {
        self.clock += 1;
        let clock = self.clock;
        let now = Local::now();
        self.due_at = self.args.policy.borrow().rotate_interval.next_after(now);
        if let Some(due_at) = self.due_at {
            let wait = (due_at - now).to_std().unwrap_or_default();
            myself.send_after(wait, move || LogsMsg::RotateDue(clock));
        }
    }

    /// Rotates every sink's files when the clock is due; a timer that fired before the wall
    /// clock got there (the clock was set back) just waits again.
    fn rotate_due(&mut self, myself: &ActorRef<LogsMsg>, clock: u64) {
        if clock != self.clock {
            return;
        }
        if self.due_at.is_some_and(|due_at| Local::now() >= due_at) {
            tracing::info!("rotateInterval: rotating every log");
            self.tell_sinks(|| LogSinkMsg::RotateAll);
        }
        self.schedule(myself);
    }

    async fn sink_for(
        &mut self,
        myself: &ActorRef<LogsMsg>,
        app: String,
    ) -> Result<LiveRef<LogSinkMsg>, ActorProcessingErr> {
        if let Some(live) = self.book().get(&app) {
            return Ok(live.clone());
        }
        let live = LiveRef::default();
        let args = self.sink_args(&app);
        self.supervisor
            .start_child(myself.get_cell(), sink_spec(args, live.clone()))
            .await?;
        self.book().insert(app, live.clone());
        Ok(live)
    }
}
