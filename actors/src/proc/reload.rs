//! Reload: replace the OS process with no moment without one serving.
//!
//! A new process starts while the old one keeps serving (both share the cluster socket);
//! when the new one is ready (it said so, its server listens, or `listen_timeout` passed)
//! the old one is asked to stop gracefully. If the new one exits first, the old one stays
//! and the reload is reported as failed.

use pm2_protocol::{ExecMode, Handover, ProcessInfo, Status};
use ractor::{ActorRef, RpcReplyPort};

use super::messages::{ProcMsg, SpecUpdate};
use super::store::PendingExit;
use super::ProcState;
use crate::error::{TreeError, TreeResult};

impl ProcState {
    /// Starts a reload (cluster mode) or restarts (fork mode, or nothing running), as PM2.
    pub(super) fn reload(
        &mut self,
        myself: &ActorRef<ProcMsg>,
        update: SpecUpdate,
        reply: RpcReplyPort<TreeResult<ProcessInfo>>,
    ) {
        let (cluster, running, reloading) = {
            let record = self.args.store.lock();
            // Behind the proxy each instance owns its port, so a second process cannot
            // start beside it: a proxied instance restarts, and the proxy skips it meanwhile.
            (
                record.spec.exec_mode == ExecMode::Cluster
                    && record.spec.handover == Handover::Inherit,
                record.running.is_some() && record.status == Status::Online,
                record.draining.is_some(),
            )
        };
        if reloading {
            let _ = reply.send(Err(TreeError::refused(
                "a reload of this process is already under way",
            )));
            return;
        }
        if !cluster || !running {
            let (port, answer) = ractor::concurrency::oneshot();
            self.restart(myself, update, port.into());
            tokio::spawn(async move {
                let _ = reply.send(answer.await.map_err(|e| TreeError::failed(e.to_string())));
            });
            return;
        }
        {
            let mut record = self.args.store.lock();
            update.apply(&mut record.spec);
            record.draining = record.running.take();
            record.counters.restart_time += 1;
            tracing::info!(name = %record.spec.name, pm_id = record.pm_id, "reloading");
        }
        self.reload_waiters.push(reply);
        self.launch(myself);
        if self.args.store.lock().running.is_none() {
            // The new process could not even be spawned.
            self.reload_failed(PendingExit {
                generation: 0,
                code: None,
                signal: None,
            });
        }
    }

    /// Generation `generation` is ready: it is online, and a reload it ends stops the old
    /// process.
    pub(super) fn ready(&mut self, myself: &ActorRef<ProcMsg>, generation: u64) {
        if self.ready >= generation {
            return;
        }
        let old = {
            let mut record = self.args.store.lock();
            if record.running.map(|(_, g)| g) != Some(generation) {
                return;
            }
            if record.status == Status::Launching {
                record.status = Status::Online;
            }
            record.draining.map(|old| (old, record.spec.clone()))
        };
        self.ready = generation;
        if let Some(((pid, old_generation), spec)) = old {
            self.stop_process(myself, &spec, pid, old_generation);
            let info = self.info();
            for waiter in self.reload_waiters.drain(..) {
                let _ = waiter.send(Ok(info.clone()));
            }
        }
    }

    /// The new process of a reload exited before it was ready: the old one keeps serving.
    pub(super) fn reload_failed(&mut self, exit: PendingExit) {
        let message = {
            let mut record = self.args.store.lock();
            record.running = record.draining.take();
            record.status = Status::Online;
            // The old process still serves: no restart happened.
            record.counters.restart_time = record.counters.restart_time.saturating_sub(1);
            let why = match (exit.code, exit.signal) {
                (Some(code), _) => format!("exited with code {code}"),
                (None, Some(signal)) => format!("was killed by signal {signal}"),
                (None, None) => "could not start".to_string(),
            };
            let message = format!(
                "reload of {} (id {}) failed: the new process {why} before it was ready; \
                 the old process keeps serving",
                record.spec.name, record.pm_id
            );
            record.last_error = Some(message.clone());
            message
        };
        tracing::warn!("{message}");
        for waiter in self.reload_waiters.drain(..) {
            let _ = waiter.send(Err(TreeError::failed(message.clone())));
        }
    }
}
