//! App: one per app name. Supervises its Proc children with the app's strategy and turns
//! lifecycle verbs into messages to them.
//!
//! Verbs that wait for processes (stop, restart) run in a task that awaits the Procs'
//! replies, so the App keeps handling supervision events meanwhile.

mod messages;
mod triggers;
mod verbs;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{Handover, ProcessInfo};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

pub use messages::{no_update, ActReply, AppMsg};

use crate::balancer::{Balancer, Sockets};
use crate::error::{TreeError, TreeResult};
use crate::logsink::LogSinkMsg;
use crate::proc::{Proc, ProcArgs, ProcMsg, ProcStore};
use crate::registry::RegistryMsg;
use crate::supervision::{ChildSpec, Intensity, LiveRef, Strategy, Supervisor};

/// Longest a Watch or Cron waits for the restart of every process of its app: far above
/// any sane sum of `kill_timeout`s, so only a stuck App makes it give up.
pub const RESTART_ALL_WAIT_MS: u64 = 600_000;

/// Longest the end of a delete waits for the App to forget its processes (each stop is
/// bounded by the supervisor's own child stop timeout).
pub(super) const REMOVE_WAIT_MS: u64 = 120_000;

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
    /// The last row each Proc answered: what the App knows of its processes, learnt by
    /// message only (it never reads a Proc's record).
    rows: BTreeMap<u32, ProcessInfo>,
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
            rows: BTreeMap::new(),
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
            state.start_proc(&myself, pm_id, entry.clone()).await?;
            state.learn(pm_id, &entry).await;
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
                    if let Some(row) = state.learn(pm_id, &entry).await {
                        infos.push(row);
                    }
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
            AppMsg::Refresh(rows) => {
                state.remember(rows);
                state.reconcile(&myself).await
            }
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
                    state.rows.remove(&pm_id);
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
    /// Asks a Proc that was just started for its row (its pre_start has run: it answers at
    /// once) and remembers it.
    async fn learn(&mut self, pm_id: u32, entry: &ProcEntry) -> Option<ProcessInfo> {
        let actor = entry.live.get()?;
        match ractor::call_t!(actor, ProcMsg::Info, 5000) {
            Ok(row) => {
                self.rows.insert(pm_id, row.clone());
                Some(row)
            }
            Err(e) => {
                tracing::warn!(pm_id, "a new process did not answer: {e}");
                None
            }
        }
    }

    /// Remembers rows the Procs answered (those of processes still here).
    fn remember(&mut self, rows: Vec<ProcessInfo>) {
        let here = self.args.store.procs();
        for row in rows {
            if here.contains_key(&row.pm_id) {
                self.rows.insert(row.pm_id, row);
            }
        }
    }

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

    /// The running incarnation of each of its Procs.
    fn proc_actors(&self) -> Vec<ActorRef<ProcMsg>> {
        let procs = self.args.store.procs();
        procs
            .values()
            .filter_map(|entry| entry.live.get())
            .collect()
    }

    /// Asks every Proc for its running process, answering from a task once all have.
    fn export(&self, reply: RpcReplyPort<Vec<pm2_protocol::dump::HandedProcess>>) {
        let actors = self.proc_actors();
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
        let procs: Vec<(u32, LiveRef<ProcMsg>)> = {
            let here = self.args.store.procs();
            ids.iter()
                .filter_map(|id| here.get(id).map(|e| (*id, e.live.clone())))
                .collect()
        };
        let calls = procs.into_iter().map(move |(pm_id, live)| {
            let message = message.clone();
            async move {
                let actor = live
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
}

#[cfg(test)]
mod tests;
