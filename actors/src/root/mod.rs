//! Root: the top supervisor (one_for_one) and the one entry point of requests.
//!
//! It starts the Registry, Logs and Monitor, one App per app name, and answers each
//! [`Request`]: reads from the registry, verbs fanned out to Apps in a task (so a slow stop
//! never blocks `pm2 ls`), starts in order.

mod handover;
mod logs;
mod messages;
mod records;
mod scale;
mod start;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{HostVitals, ProcessInfo, Request, Response, Target};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use tokio::sync::watch;

pub use messages::{RootMsg, TableFeed};
pub use records::with_id;

/// Builds a fresh process record, for tests of other modules.
#[cfg(test)]
pub(crate) use records::new_record as new_record_for_test;

use crate::app::{ActReply, AppMsg, AppStore};
use crate::logsink::{LogBus, Logs, LogsArgs, LogsMsg, RotationPolicy};
use crate::monitor::{Monitor, MonitorArgs};
use crate::proc::SpecUpdate;
use crate::registry::{Registry, RegistryMsg, SharedTable, Table};
use crate::supervision::{ChildSpec, Intensity, LiveRef, Outcome, Strategy, Supervisor};

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

/// One app as Root keeps it: its durable store and current incarnation.
#[derive(Clone)]
struct AppHandle {
    live: LiveRef<AppMsg>,
    /// Cluster apps: the listening sockets, bound for as long as the app exists.
    sockets: Option<crate::balancer::SocketCell>,
}

/// The Root actor.
pub struct Root;

/// Root's state.
pub struct RootState {
    supervisor: Supervisor,
    registry: LiveRef<RegistryMsg>,
    logs: LiveRef<LogsMsg>,
    bus: LogBus,
    apps: BTreeMap<String, AppHandle>,
    pm2_home: PathBuf,
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
        tracing::info!(home = %args.pm2_home.display(), "supervision tree started");
        Ok(RootState {
            supervisor,
            registry,
            logs,
            bus,
            apps: BTreeMap::new(),
            pm2_home: args.pm2_home,
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
        match msg {
            RootMsg::Request(request, reply) => state.request(&myself, request, reply).await,
            RootMsg::SubscribeLogs(reply) => {
                let _ = reply.send(state.bus.subscribe());
            }
            RootMsg::Export(reply) => {
                let _ = reply.send(state.export().await);
            }
            RootMsg::Adopt(handover, reply) => {
                let _ = reply.send(state.adopt(&myself, handover).await);
            }
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
                if let Ok(registry) = state.registry() {
                    if let Ok((rows, changes)) =
                        ractor::call_t!(registry, RegistryMsg::Subscribe, 5000)
                    {
                        let vitals = state.vitals.clone();
                        let _ = reply.send(TableFeed {
                            rows,
                            changes,
                            vitals,
                        });
                    }
                }
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
        state.supervisor.stop_all().await;
        Ok(())
    }
}

impl RootState {
    async fn request(
        &mut self,
        myself: &ActorRef<RootMsg>,
        request: Request,
        reply: RpcReplyPort<Response>,
    ) {
        let response = match request {
            Request::Ping => Response::Pong {
                pid: std::process::id(),
                version: pm2_protocol::VERSION.to_string(),
            },
            Request::List => match self.registry() {
                Ok(registry) => match ractor::call_t!(registry, RegistryMsg::List, 5000) {
                    Ok(list) => Response::Processes(list),
                    Err(e) => Response::Error(format!("registry unavailable: {e}")),
                },
                Err(e) => e,
            },
            Request::ListBrief => match self.registry() {
                Ok(registry) => match ractor::call_t!(registry, RegistryMsg::ListBrief, 5000) {
                    Ok(list) => Response::Processes(list),
                    Err(e) => Response::Error(format!("registry unavailable: {e}")),
                },
                Err(e) => e,
            },
            Request::Describe {
                targets,
                allow_empty,
            } => match self.resolve(targets, allow_empty).await {
                Ok(list) => Response::Processes(list),
                Err(e) => Response::Error(e),
            },
            Request::Start {
                apps,
                force,
                existing,
            } => self.start(myself, apps, force, existing).await,
            Request::Act {
                action,
                targets,
                update_env,
                attributes,
            } => {
                let update = SpecUpdate {
                    spec: None,
                    base_env: update_env,
                    attributes,
                };
                return self.act(action, targets, update, reply).await;
            }
            Request::Signal { signal, targets } => {
                return self.signal(signal, targets, reply).await
            }
            Request::SendLine { target, line } => {
                let line = line.into_bytes();
                return self
                    .fan_out(vec![target], reply, move |ids, reply| {
                        AppMsg::SendLine(line.clone(), ids, reply)
                    })
                    .await;
            }
            Request::Watch { targets, change } => {
                return self
                    .fan_out(targets, reply, move |_, reply| AppMsg::Watch(change, reply))
                    .await
            }
            Request::Flush { targets } => return self.flush(targets, reply).await,
            Request::ReloadLogs => self.reload_logs(),
            // The flag is checked too: a sample taken as sysmonit went off is not shown.
            Request::Vitals => Response::Vitals(
                (*self.sysmonit.borrow())
                    .then(|| self.vitals.borrow().clone())
                    .flatten(),
            ),
            Request::RecentLogs {
                targets,
                stream,
                lines,
            } => return self.recent_logs(targets, stream, lines, reply).await,
            Request::Scale { name, to } => return self.scale(name, to, reply).await,
            Request::Restore { apps } => self.restore(myself, apps).await,
            Request::Update => {
                Response::Error("an update is carried out by the daemon, not the tree".into())
            }
            Request::Subscribe { .. } | Request::SubscribeTable => {
                Response::Error("subscriptions are served by the connection, not the tree".into())
            }
            Request::SetConf { .. } | Request::GetConf { .. } | Request::UnsetConf { .. } => {
                Response::Error("settings are kept by the daemon, not the tree".into())
            }
            Request::Kill => {
                return self
                    .act(
                        Action::Stop,
                        vec![Target::All],
                        SpecUpdate::default(),
                        reply,
                    )
                    .await
            }
        };
        let _ = reply.send(response);
    }

    fn registry(&self) -> Result<ActorRef<RegistryMsg>, Response> {
        self.registry
            .get()
            .ok_or_else(|| Response::Error("registry is restarting, try again".into()))
    }

    async fn resolve(
        &self,
        targets: Vec<Target>,
        allow_empty: bool,
    ) -> Result<Vec<ProcessInfo>, String> {
        let registry = self
            .registry
            .get()
            .ok_or_else(|| "registry is restarting, try again".to_string())?;
        ractor::call_t!(registry, RegistryMsg::Resolve, 5000, targets, allow_empty)
            .map_err(|e| format!("registry unavailable: {e}"))?
    }

    /// Groups resolved processes by app, in id order.
    fn by_app(&self, procs: Vec<ProcessInfo>) -> Vec<(LiveRef<AppMsg>, Vec<u32>)> {
        let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for info in procs {
            groups
                .entry(info.spec.name.clone())
                .or_default()
                .push(info.pm_id);
        }
        groups
            .into_iter()
            .filter_map(|(name, ids)| self.apps.get(&name).map(|h| (h.live.clone(), ids)))
            .collect()
    }

    async fn act(
        &mut self,
        action: Action,
        targets: Vec<Target>,
        update: SpecUpdate,
        reply: RpcReplyPort<Response>,
    ) {
        self.fan_out(targets, reply, move |ids, reply| AppMsg::Act {
            action,
            ids,
            update: update.clone(),
            reply,
        })
        .await
    }

    async fn signal(
        &mut self,
        signal: String,
        targets: Vec<Target>,
        reply: RpcReplyPort<Response>,
    ) {
        let Some(number) = crate::proc::spawn::parse_signal(&signal) else {
            let _ = reply.send(Response::Error(format!("unknown signal {signal:?}")));
            return;
        };
        self.fan_out_with(targets, reply, collect_signalled, move |ids, reply| {
            AppMsg::Signal(number, ids, reply)
        })
        .await
    }

    /// Resolves targets, sends one message per app concerned, and answers from a task once
    /// every app has: a slow stop never holds Root.
    async fn fan_out<F>(&mut self, targets: Vec<Target>, reply: RpcReplyPort<Response>, message: F)
    where
        F: Fn(Vec<u32>, RpcReplyPort<ActReply>) -> AppMsg + Send + Sync + 'static,
    {
        self.fan_out_with(targets, reply, collect, message).await
    }

    /// [`Self::fan_out`] with the way outcomes become the answer.
    async fn fan_out_with<F>(
        &mut self,
        targets: Vec<Target>,
        reply: RpcReplyPort<Response>,
        collect: fn(Vec<ActReply>) -> Response,
        message: F,
    ) where
        F: Fn(Vec<u32>, RpcReplyPort<ActReply>) -> AppMsg + Send + Sync + 'static,
    {
        let procs = match self.resolve(targets, false).await {
            Ok(procs) => procs,
            Err(e) => {
                let _ = reply.send(Response::Error(e));
                return;
            }
        };
        let groups = self.by_app(procs);
        let message = Arc::new(message);
        tokio::spawn(async move {
            let calls = groups.into_iter().map(|(app, ids)| {
                let message = message.clone();
                async move {
                    let Some(app) = app.get() else {
                        return vec![Err("app is restarting, try again".to_string())];
                    };
                    ractor::call!(app, |port| message(ids, port))
                        .unwrap_or_else(|e| vec![Err(e.to_string())])
                }
            });
            let _ = reply.send(collect(join_all(calls).await));
        });
    }

    fn app_store_spec(
        &self,
        name: &str,
        live: LiveRef<AppMsg>,
        args: crate::app::AppArgs,
    ) -> ChildSpec {
        spec_of(
            &format!("{APP_KEY_PREFIX}{name}"),
            live,
            crate::app::App,
            move || args.clone(),
        )
    }

    fn new_app_store() -> Arc<AppStore> {
        Arc::new(AppStore::default())
    }
}

/// A signal's outcomes, as PM2 sends signals: to the processes that run, the others (between
/// restarts, stopped) skipped; an error only when none could be signalled.
fn collect_signalled(outcomes: Vec<ActReply>) -> Response {
    let (sent, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().flatten().partition(Result::is_ok);
    match (sent.is_empty(), failed.into_iter().find_map(Result::err)) {
        (true, Some(error)) => Response::Error(error),
        _ => collect(vec![sent]),
    }
}

/// Flattens per-app outcomes into one response: the processes, or the first error.
fn collect(outcomes: Vec<ActReply>) -> Response {
    let mut procs = Vec::new();
    for outcome in outcomes.into_iter().flatten() {
        match outcome {
            Ok(info) => procs.push(info),
            Err(e) => return Response::Error(e),
        }
    }
    procs.sort_by_key(|p| p.pm_id);
    Response::Processes(procs)
}
