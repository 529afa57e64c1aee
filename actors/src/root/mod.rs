//! Root: the top supervisor (one_for_one) and the one entry point of the tree's commands.
//!
//! It starts the Registry, Logs, Monitor and Starts, one App per app name (asked by Starts),
//! and answers each [`RootCmd`] without awaiting a child: reads and verbs run in a task Root
//! owns (a [`Tree`] of references each), starts go to the Starts actor, which carries them
//! out one at a time. So a slow stop or start never holds `pm2 ls`.

mod command;
mod handover;
mod logs;
mod messages;
mod records;
mod scale;
mod start;
mod starts;
mod tree;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pm2_protocol::HostVitals;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use command::{Reply, RootCmd};
pub use messages::{NewApp, RootMsg, TableFeed};
pub use records::with_id;
pub use tree::{AppHandle, Apps, Tree};

/// Builds a fresh process record, for tests of other modules.
#[cfg(test)]
pub(crate) use records::new_record as new_record_for_test;

use crate::error::{TreeError, TreeResult};
use crate::logsink::{LogBus, Logs, LogsArgs, LogsMsg, RotationPolicy};
use crate::monitor::{Monitor, MonitorArgs};
use crate::registry::{Registry, RegistryMsg, SharedTable, Table};
use crate::supervision::{ChildSpec, Intensity, LiveRef, Outcome, Strategy, Supervisor};
pub use starts::StartsMsg;
use starts::{Starts, StartsArgs};

/// How Root is started.
#[derive(Debug, Clone)]
pub struct RootArgs {
    /// `PM2_HOME`: given to every process as an environment variable.
    pub pm2_home: PathBuf,
    /// Log rotation settings at start (from `module_conf.json`).
    pub rotation: RotationPolicy,
    /// `pm2:sysmonit` at start: sample the host's vitals.
    pub sysmonit: bool,
}

/// The Root actor.
pub struct Root;

/// Root's state.
pub struct RootState {
    supervisor: Supervisor,
    registry: LiveRef<RegistryMsg>,
    logs: LiveRef<LogsMsg>,
    starts: LiveRef<StartsMsg>,
    bus: LogBus,
    /// Every app by name: Root is its one writer, and publishes each change to `published`.
    apps: Apps,
    published: watch::Sender<Arc<Apps>>,
    /// The verbs in flight: owned here, so they end with Root.
    tasks: JoinSet<()>,
    /// `pm2:sysmonit`, read by the Monitor each second.
    sysmonit: watch::Sender<bool>,
    /// The Monitor's latest host sample.
    vitals: watch::Receiver<Option<HostVitals>>,
}

const APP_KEY_PREFIX: &str = "app:";

fn spec_of<M, A, F>(key: &str, live: LiveRef<M>, actor: A, args: F) -> ChildSpec
where
    M: ractor::Message,
    A: Actor<Msg = M> + Clone + Sync,
    F: Fn() -> A::Arguments + Send + Sync + 'static,
{
    ChildSpec {
        key: key.to_string(),
        spawn: Arc::new(move |supervisor| {
            let live = live.clone();
            let actor = actor.clone();
            let args = args();
            Box::pin(async move {
                let (started, _) = Actor::spawn_linked(None, actor, args, supervisor).await?;
                live.set(started.clone());
                Ok(started.get_cell())
            })
        }),
    }
}

impl Actor for Root {
    type Msg = RootMsg;
    type State = RootState;
    type Arguments = RootArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<RootMsg>,
        args: RootArgs,
    ) -> Result<RootState, ActorProcessingErr> {
        let mut supervisor = Supervisor::new(Strategy::OneForOne, Intensity::default());
        let registry = LiveRef::default();
        let table = Table::default();
        let revisions = table.revisions();
        let table: SharedTable = Arc::new(Mutex::new(table));
        supervisor
            .start_child(
                myself.get_cell(),
                spec_of("registry", registry.clone(), Registry, move || {
                    table.clone()
                }),
            )
            .await?;
        let logs = LiveRef::default();
        let bus = LogBus::default();
        let logs_args = LogsArgs {
            bus: bus.clone(),
            registry: registry.clone(),
            policy: Arc::new(tokio::sync::watch::channel(Arc::new(args.rotation.clone())).0),
            sinks: Arc::default(),
        };
        supervisor
            .start_child(
                myself.get_cell(),
                spec_of("logs", logs.clone(), Logs, move || logs_args.clone()),
            )
            .await?;
        let (sysmonit, sysmonit_rx) = watch::channel(args.sysmonit);
        let (vitals_tx, vitals) = watch::channel(None);
        let monitor_args = MonitorArgs {
            registry: registry.clone(),
            revisions,
            root: myself.clone(),
            sysmonit: sysmonit_rx,
            vitals: Arc::new(vitals_tx),
        };
        supervisor
            .start_child(
                myself.get_cell(),
                spec_of("monitor", LiveRef::default(), Monitor, move || {
                    monitor_args.clone()
                }),
            )
            .await?;
        let (published, apps_rx) = watch::channel(Arc::new(Apps::new()));
        let starts = LiveRef::default();
        let starts_args = StartsArgs {
            tree: Tree {
                registry: registry.clone(),
                logs: logs.clone(),
                apps: apps_rx,
                sysmonit: sysmonit.subscribe(),
                vitals: vitals.clone(),
            },
            root: myself.clone(),
            pm2_home: args.pm2_home.clone(),
        };
        supervisor
            .start_child(
                myself.get_cell(),
                spec_of("starts", starts.clone(), Starts, move || {
                    starts_args.clone()
                }),
            )
            .await?;
        tracing::info!(home = %args.pm2_home.display(), "supervision tree started");
        Ok(RootState {
            supervisor,
            registry,
            logs,
            starts,
            bus,
            apps: BTreeMap::new(),
            published,
            tasks: JoinSet::new(),
            sysmonit,
            vitals,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<RootMsg>,
        msg: RootMsg,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        // Finished verbs are reaped here, so the set holds only those in flight.
        while state.tasks.try_join_next().is_some() {}
        match msg {
            RootMsg::Command(command, reply) => state.command(command, reply),
            RootMsg::EnsureApp(app, reply) => {
                let _ = reply.send(state.ensure_app(&myself, app).await);
            }
            RootMsg::SubscribeLogs(reply) => {
                let _ = reply.send(state.bus.subscribe());
            }
            RootMsg::Export(reply) => {
                let tree = state.tree();
                state.tasks.spawn(async move {
                    let _ = reply.send(tree.export().await);
                });
            }
            RootMsg::Adopt(handover, reply) => match state.starts.get() {
                Some(starts) => starts.cast(StartsMsg::Adopt(handover, reply))?,
                None => drop(reply.send(Err(TreeError::restarting("starts")))),
            },
            RootMsg::SetRotation(policy) => state.logs.cast(LogsMsg::SetRotation(policy)),
            RootMsg::SetSysmonit(on) => {
                state
                    .sysmonit
                    .send_if_modified(|was| std::mem::replace(was, on) != on);
            }
            RootMsg::Fingerprint(reply) => match state.registry.get() {
                Some(registry) => registry.cast(RegistryMsg::Fingerprint(reply))?,
                None => drop(reply),
            },
            RootMsg::Revisions(reply) => match state.registry.get() {
                Some(registry) => registry.cast(RegistryMsg::Revisions(reply))?,
                None => drop(reply),
            },
            RootMsg::SubscribeTable(reply) => {
                // With the registry away the reply is dropped: the caller gets an error.
                let tree = state.tree();
                let vitals = state.vitals.clone();
                state.tasks.spawn(async move {
                    let Ok(registry) = tree.registry() else {
                        return;
                    };
                    if let Ok((rows, changes)) =
                        ractor::call_t!(registry, RegistryMsg::Subscribe, tree::TABLE_WAIT_MS)
                    {
                        let _ = reply.send(TableFeed {
                            rows,
                            changes,
                            vitals,
                        });
                    }
                });
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<RootMsg>,
        event: SupervisionEvent,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        match state
            .supervisor
            .handle_event(myself.get_cell(), event)
            .await?
        {
            Outcome::Forgotten(key) => {
                if let Some(name) = key.strip_prefix(APP_KEY_PREFIX) {
                    state.apps.remove(name);
                    state.publish();
                    state.logs.cast(LogsMsg::Remove(name.to_string()));
                }
            }
            Outcome::Restarted(keys) => tracing::warn!(?keys, "restarted after a failure"),
            Outcome::Ignored => {}
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<RootMsg>,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        state.tasks.abort_all();
        state.supervisor.stop_all().await;
        Ok(())
    }
}

impl RootState {
    /// The references a verb task carries.
    fn tree(&self) -> Tree {
        Tree {
            registry: self.registry.clone(),
            logs: self.logs.clone(),
            apps: self.published.subscribe(),
            sysmonit: self.sysmonit.subscribe(),
            vitals: self.vitals.clone(),
        }
    }

    /// Answers one command without waiting: at once when Root holds the answer, else from
    /// a task of its own, or from the Starts actor for what adds processes.
    fn command(&mut self, command: RootCmd, reply: RpcReplyPort<TreeResult<Reply>>) {
        match command {
            RootCmd::Vitals => {
                let vitals = tree::shown_vitals(*self.sysmonit.borrow(), &self.vitals);
                let _ = reply.send(Ok(Reply::Vitals(vitals)));
            }
            RootCmd::ReloadLogs => {
                self.logs.cast(LogsMsg::ReopenAll);
                let _ = reply.send(Ok(Reply::Done));
            }
            RootCmd::Start { .. } | RootCmd::Restore { .. } | RootCmd::Scale { .. } => {
                match self.starts.get() {
                    Some(starts) => {
                        if let Err(e) = starts.cast(StartsMsg::Run(command, reply)) {
                            tracing::warn!("starts unavailable: {e}");
                        }
                    }
                    None => drop(reply.send(Err(TreeError::restarting("starts")))),
                }
            }
            command => {
                let tree = self.tree();
                self.tasks.spawn(async move {
                    let _ = reply.send(tree.run(command).await);
                });
            }
        }
    }

    /// The App `app` names, started under Root's supervision when it is not there yet.
    async fn ensure_app(
        &mut self,
        myself: &ActorRef<RootMsg>,
        app: NewApp,
    ) -> TreeResult<AppHandle> {
        if let Some(handle) = self.apps.get(&app.name) {
            return Ok(handle.clone());
        }
        let live = LiveRef::default();
        let args = app.args;
        let spec = spec_of(
            &format!("{APP_KEY_PREFIX}{}", app.name),
            live.clone(),
            crate::app::App,
            move || args.clone(),
        );
        // Starting a child is the supervisor's own work (OTP's start_child): bounded by the
        // App's pre_start, which waits for nothing but its Balancer's.
        self.supervisor
            .start_child(myself.get_cell(), spec)
            .await
            .map_err(|e| TreeError::failed(format!("cannot start app {}: {e}", app.name)))?;
        let handle = AppHandle {
            live,
            sockets: app.sockets,
        };
        self.apps.insert(app.name, handle.clone());
        self.publish();
        Ok(handle)
    }

    /// Tells verb tasks and Starts about the apps as they are now.
    fn publish(&self) {
        self.published.send_replace(Arc::new(self.apps.clone()));
    }
}
