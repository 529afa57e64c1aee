//! App: one per app name. Supervises its Proc children with the app's strategy and turns
//! lifecycle verbs into messages to them.
//!
//! Verbs that wait for processes (stop, restart) run in a task that awaits the Procs'
//! replies, so the App keeps handling supervision events meanwhile.

mod messages;
mod triggers;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{Handover, ProcessInfo};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

pub use messages::{no_update, ActReply, AppMsg};

use crate::balancer::{Balancer, Sockets};
use crate::error::{TreeError, TreeResult};
use crate::logsink::LogSinkMsg;
use crate::proc::{Proc, ProcArgs, ProcMsg, ProcStore, SpecUpdate};
use crate::registry::RegistryMsg;
use crate::supervision::{ChildSpec, Intensity, LiveRef, Strategy, Supervisor};

/// Longest a caller waits for one process to act (beyond its own kill_timeout).
const ACT_MARGIN: Duration = Duration::from_secs(10);

/// Longest a Watch or Cron waits for the restart of every process of its app: far above
/// any sane sum of `kill_timeout`s, so only a stuck App makes it give up.
pub const RESTART_ALL_WAIT_MS: u64 = 600_000;

/// Longest the end of a delete waits for the App to forget its processes (each stop is
/// bounded by the supervisor's own child stop timeout).
const REMOVE_WAIT_MS: u64 = 120_000;

/// One process of the app: its durable record and its actor's current incarnation.
#[derive(Clone)]
struct ProcEntry {
    store: Arc<ProcStore>,
    live: LiveRef<ProcMsg>,
}

/// The durable part of an App, owned by Root's child spec: its processes survive an App
/// restart (the new incarnation adopts them).
#[derive(Default)]
pub struct AppStore {
    procs: Mutex<BTreeMap<u32, ProcEntry>>,
}

impl AppStore {
    fn procs(&self) -> MutexGuard<'_, BTreeMap<u32, ProcEntry>> {
        self.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current incarnation of one process's actor.
    pub fn proc_actor(&self, pm_id: u32) -> Option<ActorRef<ProcMsg>> {
        self.procs().get(&pm_id).and_then(|e| e.live.get())
    }
}

/// What every incarnation of an App starts with.
#[derive(Clone)]
pub struct AppArgs {
    /// Its processes.
    pub store: Arc<AppStore>,
    /// The process table.
    pub registry: LiveRef<RegistryMsg>,
    /// The app's log sink.
    pub sink: LiveRef<LogSinkMsg>,
    /// Strategy among its processes.
    pub strategy: Strategy,
    /// `PM2_HOME`, given to processes.
    pub pm2_home: Option<String>,
    /// Cluster apps: the sockets and how instances get them; a Balancer child serves them.
    pub sockets: Option<(Arc<Sockets>, Handover)>,
}

/// The App actor.
#[derive(Clone)]
pub struct App;

/// An App incarnation's state.
pub struct AppState {
    args: AppArgs,
    supervisor: Supervisor,
    triggers: triggers::Triggers,
}

impl Actor for App {
    type Msg = AppMsg;
    type State = AppState;
    type Arguments = AppArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<AppMsg>,
        args: AppArgs,
    ) -> Result<AppState, ActorProcessingErr> {
        let mut state = AppState {
            supervisor: Supervisor::new(args.strategy, Intensity::default()),
            args,
            triggers: Default::default(),
        };
        if let Some((sockets, Handover::Proxy)) = state.args.sockets.clone() {
            let spec = ChildSpec {
                key: "balancer".into(),
                spawn: Arc::new(move |supervisor| {
                    let sockets = sockets.clone();
                    Box::pin(async move {
                        let (actor, _) =
                            Actor::spawn_linked(None, Balancer, sockets, supervisor).await?;
                        Ok(actor.get_cell())
                    })
                }),
            };
            state
                .supervisor
                .start_child(myself.get_cell(), spec)
                .await?;
        }
        let existing: Vec<(u32, ProcEntry)> = state
            .args
            .store
            .procs()
            .iter()
            .map(|(id, e)| (*id, e.clone()))
            .collect();
        for (pm_id, entry) in existing {
            state.start_proc(&myself, pm_id, entry).await?;
        }
        state.reconcile(&myself).await;
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<AppMsg>,
        msg: AppMsg,
        state: &mut AppState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            AppMsg::Add(records, reply) => {
                let mut infos = Vec::with_capacity(records.len());
                for record in records {
                    let pm_id = record.pm_id;
                    let entry = ProcEntry {
                        store: Arc::new(ProcStore::new(record)),
                        live: LiveRef::default(),
                    };
                    state.args.store.procs().insert(pm_id, entry.clone());
                    state.start_proc(&myself, pm_id, entry.clone()).await?;
                    infos.push(entry.store.lock().info());
                }
                let _ = reply.send(infos);
                state.reconcile(&myself).await;
            }
            AppMsg::Act {
                action,
                ids,
                update,
                reply,
            } => {
                // As PM2: stopping turns watching off; deleting the app (not scaling it
                // down) ends its watch and cron job first, so neither restarts it meanwhile.
                if action == Action::Stop {
                    state.set_watch(pm2_protocol::WatchChange::Disable).await;
                    state.reconcile(&myself).await;
                }
                if action == Action::Delete && ids.len() >= state.all_ids().len() {
                    state.end_triggers(&myself).await;
                }
                state.act(&myself, action, ids, update, reply)
            }
            AppMsg::RestartAll(reply) => {
                let ids = state.all_ids();
                state.act(&myself, Action::Restart, ids, no_update(), reply)
            }
            AppMsg::Watch(change, reply) => state.change_watch(&myself, change, reply).await,
            AppMsg::Reconcile => state.reconcile(&myself).await,
            AppMsg::Signal(signal, ids, reply) => {
                state.each(ids, reply, move |port| ProcMsg::Signal(signal, port))
            }
            AppMsg::SendLine(line, ids, reply) => state.each(ids, reply, move |port| {
                ProcMsg::SendLine(line.clone(), port)
            }),
            AppMsg::Export(reply) => state.export(reply),
            AppMsg::Remove(ids, reply) => {
                for pm_id in ids {
                    state.supervisor.remove_child(&pm_id.to_string()).await;
                    state.args.store.procs().remove(&pm_id);
                    state.args.registry.cast(RegistryMsg::Remove(pm_id));
                }
                let _ = reply.send(());
                if state.args.store.procs().is_empty() {
                    myself.stop(crate::supervision::StopReason::Deleted.reason());
                } else {
                    state.reconcile(&myself).await;
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<AppMsg>,
        event: SupervisionEvent,
        state: &mut AppState,
    ) -> Result<(), ActorProcessingErr> {
        let outcome = state
            .supervisor
            .handle_event(myself.get_cell(), event)
            .await?;
        tracing::debug!(?outcome, "app supervision event");
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<AppMsg>,
        state: &mut AppState,
    ) -> Result<(), ActorProcessingErr> {
        state.supervisor.stop_all().await;
        Ok(())
    }
}

impl AppState {
    async fn start_proc(
        &mut self,
        myself: &ActorRef<AppMsg>,
        pm_id: u32,
        entry: ProcEntry,
    ) -> Result<(), ActorProcessingErr> {
        let args = ProcArgs {
            store: entry.store,
            registry: self.args.registry.clone(),
            sink: self.args.sink.clone(),
            pm2_home: self.args.pm2_home.clone(),
        };
        let live = entry.live;
        let spec = ChildSpec {
            key: pm_id.to_string(),
            spawn: Arc::new(move |supervisor| {
                let args = args.clone();
                let live = live.clone();
                Box::pin(async move {
                    let (actor, _) = Actor::spawn_linked(None, Proc, args, supervisor).await?;
                    live.set(actor.clone());
                    Ok(actor.get_cell())
                })
            }),
        };
        self.supervisor.start_child(myself.get_cell(), spec).await?;
        Ok(())
    }

    /// Asks every Proc for its running process, answering from a task once all have.
    fn export(&self, reply: RpcReplyPort<Vec<pm2_protocol::dump::HandedProcess>>) {
        let actors: Vec<_> = self
            .args
            .store
            .procs()
            .values()
            .filter_map(|entry| entry.live.get())
            .collect();
        // Answers the caller (Root's export, itself bounded) once each Proc has, each
        // within its own deadline; holds nothing the App needs.
        tokio::spawn(async move {
            let calls = actors
                .into_iter()
                .map(|actor| async move { ractor::call_t!(actor, ProcMsg::Export, 5000) });
            let handed = join_all(calls)
                .await
                .into_iter()
                .filter_map(|answer| answer.ok().flatten())
                .collect();
            let _ = reply.send(handed);
        });
    }

    /// Asks each of the processes `ids` with `message`, answering from a task once all have.
    fn each<F>(&self, ids: Vec<u32>, reply: RpcReplyPort<ActReply>, message: F)
    where
        F: Fn(RpcReplyPort<TreeResult<ProcessInfo>>) -> ProcMsg + Clone + Send + Sync + 'static,
    {
        let calls = self.entries(&ids).into_iter().map(move |(pm_id, entry)| {
            let message = message.clone();
            async move {
                let actor = entry
                    .live
                    .get()
                    .ok_or_else(|| TreeError::restarting(format!("process {pm_id}")))?;
                ractor::call_t!(actor, message, 5000)
                    .map_err(|e| TreeError::no_answer(format!("process {pm_id}"), e))?
            }
        });
        // Answers from a task so the App keeps handling supervision events; each call has its
        // deadline.
        tokio::spawn(async move {
            let _ = reply.send(join_all(calls).await);
        });
    }

    fn entries(&self, ids: &[u32]) -> Vec<(u32, ProcEntry)> {
        let procs = self.args.store.procs();
        ids.iter()
            .filter_map(|id| procs.get(id).map(|e| (*id, e.clone())))
            .collect()
    }

    fn act(
        &self,
        myself: &ActorRef<AppMsg>,
        action: Action,
        ids: Vec<u32>,
        update: SpecUpdate,
        reply: RpcReplyPort<ActReply>,
    ) {
        let entries = self.entries(&ids);
        let myself = myself.clone();
        let proxy = match &self.args.sockets {
            Some((sockets, Handover::Proxy)) => Some(sockets.clone()),
            _ => None,
        };
        // A verb waits for stops and readiness: in a task so the App keeps supervising; every
        // call in it has a deadline (the processes' own timeouts plus a margin).
        tokio::spawn(async move {
            let results = if action == Action::Reload {
                // One instance at a time, so the others keep serving. Behind the proxy an
                // instance is first taken out of rotation and drained.
                let mut results = Vec::with_capacity(entries.len());
                for (pm_id, entry) in entries {
                    let instance = entry.store.lock().instance;
                    if let Some(sockets) = &proxy {
                        drain(sockets, instance, &entry).await;
                    }
                    let listen_timeout = entry.store.lock().spec.listen_timeout_ms;
                    results.push(act_on(pm_id, entry, action, update.clone()).await);
                    if let Some(sockets) = &proxy {
                        // Ready behind the proxy means its port accepts.
                        wait_listening(sockets, instance, listen_timeout).await;
                        sockets.resume(instance);
                    }
                }
                results
            } else {
                let calls = entries.into_iter().map(|(pm_id, entry)| {
                    let update = update.clone();
                    async move { act_on(pm_id, entry, action, update).await }
                });
                join_all(calls).await
            };
            if action == Action::Delete {
                let gone: Vec<u32> = results
                    .iter()
                    .filter_map(|r| r.as_ref().ok().map(|info| info.pm_id))
                    .collect();
                let _ = ractor::call_t!(myself, AppMsg::Remove, REMOVE_WAIT_MS, gone);
            }
            // A restart may have brought new settings (watch, cron_restart).
            let _ = myself.cast(AppMsg::Reconcile);
            let _ = reply.send(results);
        });
    }
}

/// Takes a proxied instance out of rotation and waits (at most its `kill_timeout`) until
/// the connections the proxy has open to it are done.
async fn drain(sockets: &Sockets, instance: u32, entry: &ProcEntry) {
    sockets.pause(instance);
    let grace = Duration::from_millis(entry.store.lock().spec.kill_timeout_ms);
    let deadline = tokio::time::Instant::now() + grace;
    while sockets.active(instance) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits (at most `timeout_ms`) until a proxied instance accepts connections.
async fn wait_listening(sockets: &Sockets, instance: u32, timeout_ms: u64) {
    let Some(port) = sockets.backend(instance) else {
        return;
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
    while tokio::time::Instant::now() < deadline {
        if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            if !crate::balancer::is_self_connection(&stream) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn act_on(
    pm_id: u32,
    entry: ProcEntry,
    action: Action,
    update: SpecUpdate,
) -> TreeResult<ProcessInfo> {
    let actor = entry
        .live
        .get()
        .ok_or_else(|| TreeError::restarting(format!("process {pm_id}")))?;
    let (kill_timeout, listen_timeout) = {
        let record = entry.store.lock();
        (record.spec.kill_timeout_ms, record.spec.listen_timeout_ms)
    };
    let timeout_ms =
        (Duration::from_millis(kill_timeout + listen_timeout) + ACT_MARGIN).as_millis() as u64;
    let failed =
        |e: ractor::RactorErr<ProcMsg>| TreeError::no_answer(format!("process {pm_id}"), e);
    match action {
        Action::Stop | Action::Delete => {
            ractor::call_t!(actor, ProcMsg::Stop, timeout_ms).map_err(failed)
        }
        Action::Restart => {
            ractor::call_t!(actor, ProcMsg::Restart, timeout_ms, update).map_err(failed)
        }
        Action::Reload => {
            ractor::call_t!(actor, ProcMsg::Reload, timeout_ms, update).map_err(failed)?
        }
        Action::Reset => ractor::call_t!(actor, ProcMsg::Reset, timeout_ms).map_err(failed),
    }
}

#[cfg(test)]
mod tests;
