//! Proc: one managed OS process. Spawns it, reaps it, applies the restart policy, signals it.
//!
//! The actor wires messages to the pure decisions of [`state`] and the OS effects of
//! [`spawn`]; what must outlive an incarnation is in its [`store::ProcStore`].

pub mod messages;
pub mod output;
pub mod spawn;
pub mod state;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use pm2_protocol::{Handover, ProcessInfo, Status};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

pub use messages::{ProcMsg, SpecUpdate};
pub use store::{LogPaths, ProcRecord, ProcStore};

use crate::clock::now_ms;
use crate::logsink::{LogSinkMsg, LogTarget};
use crate::registry::RegistryMsg;
use crate::supervision::LiveRef;
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
        };
        let (pending, running, status, generation) = {
            let mut record = state.args.store.lock();
            record.actor = Some(myself.clone());
            (
                record.pending_exit,
                record.running.is_some(),
                record.status,
                record.generation,
            )
        };
        match (pending, running, status) {
            (Some(exit), _, _) => myself.cast(ProcMsg::Exited(exit.generation))?,
            (None, true, _) => tracing::debug!("adopted a running process"),
            (None, false, Status::Launching) => state.launch(),
            (None, false, Status::WaitingRestart) => {
                myself.cast(ProcMsg::RestartDue(generation))?
            }
            _ => {}
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
            ProcMsg::Reset(reply) => {
                state.args.store.lock().counters = state::Counters::default();
                let _ = reply.send(state.info());
            }
            ProcMsg::Signal(signal, reply) => {
                let _ = reply.send(state.signal(signal));
            }
            ProcMsg::Info(reply) => {
                let _ = reply.send(state.info());
            }
            ProcMsg::Exited(generation) => state.exited(&myself, generation),
            ProcMsg::RestartDue(generation) => state.restart_due(generation),
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

    fn publish(&self) {
        self.args
            .registry
            .cast(RegistryMsg::Update(Box::new(self.info())));
    }

    /// Spawns a new OS process for this record.
    fn launch(&mut self) {
        let store = self.args.store.clone();
        let mut record = store.lock();
        record.generation += 1;
        let generation = record.generation;
        let mut env = spawn::environment(
            &record.spec,
            record.pm_id,
            record.instance,
            self.args.pm2_home.as_deref(),
        );
        let inherited = match &record.sockets {
            Some(sockets) => {
                let preload = self.node_preload(&record.spec);
                env.extend(sockets.environment(&record.spec, record.instance, preload.as_deref()));
                match record.spec.handover {
                    Handover::Inherit => sockets.fds(),
                    Handover::Proxy => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        match spawn::start(&record.spec, &env, &inherited) {
            Ok(child) => {
                let pid = child.id().unwrap_or(0);
                record.running = Some((pid, generation));
                record.status = Status::Online;
                record.started_at = now_ms();
                record.env = env;
                record.last_error = None;
                let _ = crate::fsutil::open_creating_dirs(&record.pid_file, |p| {
                    std::fs::write(p, pid.to_string())
                });
                tracing::info!(name = %record.spec.name, pm_id = record.pm_id, pid, "process online");
                let target = Arc::new(LogTarget {
                    pm_id: record.pm_id,
                    name: record.spec.name.clone(),
                    namespace: record.spec.namespace.clone(),
                    paths: record.logs.clone(),
                    date_format: record.spec.log_date_format.clone(),
                    json: record.spec.log_json,
                    rotate: record.spec.logrotate.clone(),
                });
                drop(record);
                self.args.sink.cast(LogSinkMsg::Open(target.clone()));
                spawn::watch(child, generation, target, &store, self.args.sink.clone());
            }
            Err(e) => {
                let message = format!("cannot start {}: {e}", record.spec.exec_path.display());
                tracing::error!(name = %record.spec.name, pm_id = record.pm_id, "{message}");
                record.status = Status::Errored;
                record.last_error = Some(message);
            }
        }
    }

    /// The cluster preload, for apps run by node.
    fn node_preload(&self, spec: &pm2_protocol::AppSpec) -> Option<std::path::PathBuf> {
        let interpreter = spec.interpreter.as_deref()?;
        let is_node = std::path::Path::new(interpreter)
            .file_name()
            .is_some_and(|n| n == "node" || n == "nodejs");
        let home = self.args.pm2_home.as_deref()?;
        is_node.then(|| crate::balancer::preload_path(std::path::Path::new(home)))?
    }

    fn stop(&mut self, myself: &ActorRef<ProcMsg>, reply: RpcReplyPort<ProcessInfo>) {
        if self.send_stop_signal(myself) {
            self.stop_waiters.push(reply);
        } else {
            self.args.store.lock().status = Status::Stopped;
            let _ = reply.send(self.info());
        }
    }

    /// Starts a graceful stop; false when nothing is running.
    fn send_stop_signal(&mut self, myself: &ActorRef<ProcMsg>) -> bool {
        let mut record = self.args.store.lock();
        let Some((pid, generation)) = record.running else {
            return false;
        };
        if record.status != Status::Stopping {
            record.status = Status::Stopping;
            let signal = spawn::parse_signal(&record.spec.kill_signal)
                .unwrap_or(nix::sys::signal::Signal::SIGINT as i32);
            tracing::info!(name = %record.spec.name, pm_id = record.pm_id, pid, "stopping");
            spawn::kill(pid, signal, record.spec.treekill);
            let grace = Duration::from_millis(record.spec.kill_timeout_ms);
            myself.send_after(grace, move || ProcMsg::KillDue(generation));
        }
        true
    }

    fn restart(
        &mut self,
        myself: &ActorRef<ProcMsg>,
        update: SpecUpdate,
        reply: RpcReplyPort<ProcessInfo>,
    ) {
        {
            let mut record = self.args.store.lock();
            if let Some(spec) = update.spec {
                record.spec = *spec;
            }
            if let Some(base_env) = update.base_env {
                record.spec.base_env = base_env;
            }
            record.counters.prev_backoff_ms = None;
        }
        if self.send_stop_signal(myself) {
            // As PM2: a restart counts only when it replaces a running process.
            self.args.store.lock().counters.restart_time += 1;
            self.restart_waiters.push(reply);
        } else {
            self.launch();
            let _ = reply.send(self.info());
        }
    }

    fn exited(&mut self, myself: &ActorRef<ProcMsg>, generation: u64) {
        let decision = {
            let mut record = self.args.store.lock();
            let Some(exit) = record.pending_exit.take() else {
                return;
            };
            if exit.generation != generation || record.running.is_some() {
                return;
            }
            let _ = std::fs::remove_file(&record.pid_file);
            record.exit_code = exit.code;
            let requested = record.status == Status::Stopping;
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
            self.launch();
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
            Decision::Stop => self.args.store.lock().status = Status::Stopped,
            Decision::GiveUp => {
                let mut record = self.args.store.lock();
                tracing::warn!(
                    name = %record.spec.name, pm_id = record.pm_id,
                    "too many unstable restarts ({}): errored", record.spec.max_restarts
                );
                record.status = Status::Errored;
            }
            Decision::Restart { delay_ms: 0 } => {
                self.args.store.lock().counters.restart_time += 1;
                self.launch();
            }
            Decision::Restart { delay_ms } => {
                let mut record = self.args.store.lock();
                record.status = Status::WaitingRestart;
                let generation = record.generation;
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

    fn restart_due(&mut self, generation: u64) {
        let due = {
            let record = self.args.store.lock();
            record.status == Status::WaitingRestart
                && record.generation == generation
                && record.running.is_none()
        };
        if due {
            self.args.store.lock().counters.restart_time += 1;
            self.launch();
        }
    }

    fn kill_due(&mut self, generation: u64) {
        let record = self.args.store.lock();
        if let Some((pid, running)) = record.running {
            if running == generation && record.status == Status::Stopping {
                tracing::warn!(name = %record.spec.name, pm_id = record.pm_id, pid, "kill_timeout passed: SIGKILL");
                spawn::kill(pid, nix::sys::signal::Signal::SIGKILL as i32, true);
            }
        }
    }

    fn signal(&self, signal: i32) -> Result<ProcessInfo, String> {
        let record = self.args.store.lock();
        match record.running {
            Some((pid, _)) => {
                spawn::kill(pid, signal, false);
                Ok(record.info())
            }
            None => Err(format!("process {} is not running", record.pm_id)),
        }
    }
}
