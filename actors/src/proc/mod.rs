//! Proc: one managed OS process. Spawns it, reaps it, applies the restart policy, signals it.
//!
//! The actor wires messages to the pure decisions of [`state`] and the OS effects of
//! [`spawn`]; what must outlive an incarnation is in its [`store::ProcStore`].

pub mod handover;
pub mod host;
mod launch;
pub mod lifecycle;
pub mod messages;
pub mod output;
pub mod readiness;
mod reload;
mod share;
pub mod spawn;
pub mod state;
pub mod stdin;
mod stop;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::unix::OwnedWriteHalf;

use pm2_protocol::ProcessInfo;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

pub use messages::{ProcMsg, SpecUpdate};
pub use store::{LogPaths, ProcRecord, ProcStore};

use crate::logsink::LogSinkMsg;
use crate::registry::RegistryMsg;
use crate::supervision::LiveRef;
use lifecycle::Lifecycle;
use pm2_protocol::clock::now_ms;
use state::{Decision, Exit};

/// The Proc actor (behaviour only; see [`ProcState`]).
pub struct Proc;

/// What every incarnation of a Proc is started with.
#[derive(Clone)]
pub struct ProcArgs {
    /// The durable record, shared across incarnations.
    pub store: Arc<ProcStore>,
    /// Where rows are published.
    pub registry: LiveRef<RegistryMsg>,
    /// The app's log sink.
    pub sink: LiveRef<LogSinkMsg>,
    /// `PM2_HOME`, given to the process.
    pub pm2_home: Option<String>,
}

/// One incarnation's state: the durable store plus callers waiting for an exit.
pub struct ProcState {
    args: ProcArgs,
    stop_waiters: Vec<RpcReplyPort<ProcessInfo>>,
    restart_waiters: Vec<RpcReplyPort<ProcessInfo>>,
    reload_waiters: Vec<RpcReplyPort<crate::error::TreeResult<ProcessInfo>>>,
    /// IPC writers by generation (Node apps), for the `shutdown` message.
    ipc: HashMap<u64, OwnedWriteHalf>,
    /// The last generation that said it was ready.
    ready: u64,
    /// The row last given to the registry: rows are published only when they change.
    published: Option<ProcessInfo>,
}

impl Actor for Proc {
    type Msg = ProcMsg;
    type State = ProcState;
    type Arguments = ProcArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<ProcMsg>,
        args: ProcArgs,
    ) -> Result<ProcState, ActorProcessingErr> {
        let mut state = ProcState {
            args,
            stop_waiters: Vec::new(),
            restart_waiters: Vec::new(),
            reload_waiters: Vec::new(),
            ipc: HashMap::new(),
            ready: 0,
            published: None,
        };
        // Everything this incarnation does next is derived from the record's facts.
        let (exits, life, retiring, spec) = {
            let mut record = state.args.store.lock();
            record.actor = Some(myself.clone());
            let exits: Vec<u64> = record.exits.iter().map(|e| e.generation).collect();
            (exits, record.life, record.retiring, record.spec.clone())
        };
        for generation in &exits {
            myself.cast(ProcMsg::Exited(*generation))?;
        }
        let grace = Duration::from_millis(spec.kill_timeout_ms);
        match life {
            Lifecycle::Pending => state.launch(&myself),
            Lifecycle::Running { .. } | Lifecycle::Stopping { .. } if exits.is_empty() => {
                state.adopt()
            }
            Lifecycle::WaitingRestart { generation } => {
                myself.cast(ProcMsg::RestartDue(generation))?
            }
            _ => {}
        }
        // Timers of the previous incarnation died with it: set them again.
        if let Lifecycle::Stopping { process } = life {
            myself.send_after(grace, move || ProcMsg::KillDue(process.generation));
        }
        if let Lifecycle::Running {
            process,
            launching: true,
        } = life
        {
            let timeout = Duration::from_millis(spec.listen_timeout_ms);
            myself.send_after(timeout, move || ProcMsg::ListenTimeout(process.generation));
        }
        if let Some(old) = retiring.filter(|old| old.stopping) {
            myself.send_after(grace, move || ProcMsg::KillDue(old.process.generation));
        }
        state.publish();
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ProcMsg>,
        msg: ProcMsg,
        state: &mut ProcState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ProcMsg::Stop(reply) => state.stop(&myself, reply),
            ProcMsg::Restart(update, reply) => state.restart(&myself, update, reply),
            ProcMsg::Reload(update, reply) => state.reload(&myself, update, reply),
            ProcMsg::Ready(generation) | ProcMsg::ListenTimeout(generation) => {
                state.ready(&myself, generation)
            }
            ProcMsg::Reset(reply) => {
                state.args.store.lock().counters = state::Counters::default();
                let _ = reply.send(state.info());
            }
            ProcMsg::Signal(signal, reply) => {
                let _ = reply.send(state.signal(signal));
            }
            ProcMsg::SendLine(line, reply) => {
                let _ = reply.send(state.send_line(&line));
            }
            ProcMsg::Info(reply) => {
                let _ = reply.send(state.info());
            }
            ProcMsg::SetWatch(on, reply) => {
                state.args.store.lock().spec.watch.enabled = on;
                let _ = reply.send(state.info());
            }
            ProcMsg::Export(reply) => {
                let _ = reply.send(state.export());
            }
            ProcMsg::Exited(generation) => state.exited(&myself, generation),
            ProcMsg::RestartDue(generation) => state.restart_due(&myself, generation),
            ProcMsg::BindPort {
                generation,
                port,
                host,
            } => state.share_port(generation, port, host).await,
            ProcMsg::Listening {
                generation,
                port,
                fd,
            } => state.adopt_socket(generation, port, fd),
            ProcMsg::KillDue(generation) => state.kill_due(generation),
        }
        state.publish();
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<ProcMsg>,
        state: &mut ProcState,
    ) -> Result<(), ActorProcessingErr> {
        state.args.store.lock().actor = None;
        Ok(())
    }
}

impl ProcState {
    fn info(&self) -> ProcessInfo {
        self.args.store.lock().info()
    }

    /// A running process this incarnation did not start: the previous incarnation's (its
    /// waiter still reports to the store), or the previous daemon's (pump its pipes here).
    fn adopt(&mut self) {
        let store = self.args.store.clone();
        let mut record = store.lock();
        let Some(pipes) = record.adopt_pipes.take() else {
            tracing::debug!(pm_id = record.pm_id, "adopted a running process");
            return;
        };
        let Some(process) = record.life.process() else {
            return;
        };
        let (pid, generation) = (process.pid, process.generation);
        let target = launch::log_target(&record);
        tracing::info!(name = %record.spec.name, pm_id = record.pm_id, pid, "adopted from the previous daemon");
        drop(record);
        self.args.sink.cast(LogSinkMsg::Open(target.clone()));
        handover::watch_adopted(
            pid,
            generation,
            pipes,
            target,
            &store,
            self.args.sink.clone(),
        );
    }

    /// Gives the registry this process's row, when it changed since the last time.
    fn publish(&mut self) {
        let info = self.info();
        if self.published.as_ref() == Some(&info) {
            return;
        }
        self.published = Some(info.clone());
        self.args.registry.cast(RegistryMsg::Update(Box::new(info)));
    }

    fn restart(
        &mut self,
        myself: &ActorRef<ProcMsg>,
        update: SpecUpdate,
        reply: RpcReplyPort<ProcessInfo>,
    ) {
        {
            let mut record = self.args.store.lock();
            update.apply(&mut record.spec);
            record.counters.prev_backoff_ms = None;
        }
        if self.send_stop_signal(myself) {
            // As PM2: a restart counts only when it replaces a running process.
            self.args.store.lock().counters.restart_time += 1;
            self.restart_waiters.push(reply);
        } else {
            self.launch(myself);
            let _ = reply.send(self.info());
        }
    }

    fn exited(&mut self, myself: &ActorRef<ProcMsg>, generation: u64) {
        self.ipc.remove(&generation);
        let decision = {
            let mut record = self.args.store.lock();
            let Some(index) = record.exits.iter().position(|e| e.generation == generation) else {
                return;
            };
            let exit = record.exits.remove(index);
            record.stdin.retain(|(g, _)| *g != generation);
            if record
                .retiring
                .is_some_and(|old| old.process.generation == generation)
            {
                // The old process of a reload is gone: the new one serves alone.
                record.retiring = None;
                return;
            }
            if record
                .life
                .process()
                .is_none_or(|p| p.generation != generation)
            {
                return; // a process this record no longer tracks
            }
            record.pipes = None;
            if record.retiring.is_some_and(|old| !old.stopping) {
                // The new process of a reload died before it was ready.
                drop(record);
                return self.reload_failed(exit);
            }
            let _ = std::fs::remove_file(&record.pid_file);
            record.exit_code = exit.code;
            let requested = matches!(record.life, Lifecycle::Stopping { .. });
            let uptime_ms = now_ms() - record.started_at;
            tracing::info!(
                name = %record.spec.name, pm_id = record.pm_id,
                code = ?exit.code, signal = ?exit.signal, uptime_ms, "process exited"
            );
            let spec = record.spec.clone();
            let code = exit.code;
            state::on_exit(
                &spec,
                &mut record.counters,
                Exit {
                    code,
                    uptime_ms,
                    requested,
                },
            )
        };
        if !self.restart_waiters.is_empty() {
            self.launch(myself);
            let info = self.info();
            for waiter in self
                .restart_waiters
                .drain(..)
                .chain(self.stop_waiters.drain(..))
            {
                let _ = waiter.send(info.clone());
            }
            return;
        }
        match decision {
            Decision::Stop => self.args.store.lock().life = Lifecycle::Down { errored: false },
            Decision::GiveUp => {
                let mut record = self.args.store.lock();
                tracing::warn!(
                    name = %record.spec.name, pm_id = record.pm_id,
                    "too many unstable restarts ({}): errored", record.spec.max_restarts
                );
                record.life = Lifecycle::Down { errored: true };
            }
            Decision::Restart { delay_ms: 0 } => {
                self.args.store.lock().counters.restart_time += 1;
                self.launch(myself);
            }
            Decision::Restart { delay_ms } => {
                let mut record = self.args.store.lock();
                let generation = record.generation;
                record.life = Lifecycle::WaitingRestart { generation };
                tracing::info!(name = %record.spec.name, pm_id = record.pm_id, "restart in {delay_ms}ms");
                myself.send_after(Duration::from_millis(delay_ms), move || {
                    ProcMsg::RestartDue(generation)
                });
            }
        }
        let info = self.info();
        for waiter in self.stop_waiters.drain(..) {
            let _ = waiter.send(info.clone());
        }
    }

    fn restart_due(&mut self, myself: &ActorRef<ProcMsg>, generation: u64) {
        let due = self.args.store.lock().life == Lifecycle::WaitingRestart { generation };
        if due {
            self.args.store.lock().counters.restart_time += 1;
            self.launch(myself);
        }
    }

    fn signal(&self, signal: i32) -> crate::error::TreeResult<ProcessInfo> {
        let record = self.args.store.lock();
        match record.life.process() {
            Some(process) => {
                self.args.store.host().kill(process.pid, signal, false);
                Ok(record.info())
            }
            None => Err(crate::error::TreeError::refused(format!(
                "process {} is not running",
                record.pm_id
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
