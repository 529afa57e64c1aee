//! Reload: replace the OS process with no moment without one serving.
//!
//! A new process starts while the old one keeps serving (both share the cluster socket);
//! when the new one is ready (it said so, its server listens, or `listen_timeout` passed)
//! the old one is asked to stop gracefully. If the new one exits first, the old one stays
//! and the reload is reported as failed.

use pm2_protocol::{ExecMode, Handover, ProcessInfo};
use ractor::{ActorRef, RpcReplyPort};

use super::lifecycle::{Lifecycle, Retiring};
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
                matches!(
                    record.life,
                    Lifecycle::Running {
                        launching: false,
                        ..
                    }
                ),
                record.retiring.is_some(),
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
            // Bridges the restart's answer to the reload's caller; ends when the Proc answers it
            // (or drops it).
            tokio::spawn(async move {
                let _ = reply.send(answer.await.map_err(|e| TreeError::failed(e.to_string())));
            });
            return;
        }
        {
            let mut record = self.args.store.lock();
            update.apply(&mut record.spec);
            record.retiring = record.life.process().map(|process| Retiring {
                process,
                stopping: false,
            });
            record.counters.restart_time += 1;
            tracing::info!(name = %record.spec.name, pm_id = record.pm_id, "reloading");
        }
        self.reload_waiters.push(reply);
        self.launch(myself);
        if self.args.store.lock().life.process().is_none() {
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
            let Lifecycle::Running { process, .. } = record.life else {
                return;
            };
            if process.generation != generation {
                return;
            }
            record.life = Lifecycle::Running {
                process,
                launching: false,
            };
            let spec = record.spec.clone();
            record
                .retiring
                .as_mut()
                .filter(|old| !old.stopping)
                .map(|old| {
                    old.stopping = true;
                    (old.process, spec)
                })
        };
        self.ready = generation;
        if let Some((old, spec)) = old {
            self.stop_process(myself, &spec, old.pid, old.generation);
        }
        // The new process serves (the old one, if any, was asked to stop).
        let info = self.info();
        for waiter in self.reload_waiters.drain(..) {
            let _ = waiter.send(Ok(info.clone()));
        }
    }

    /// The new process of a reload exited before it was ready: the old one keeps serving.
    pub(super) fn reload_failed(&mut self, exit: PendingExit) {
        let message = {
            let mut record = self.args.store.lock();
            record.life = match record.retiring.take() {
                Some(old) => Lifecycle::Running {
                    process: old.process,
                    launching: false,
                },
                None => Lifecycle::Down { errored: true },
            };
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
