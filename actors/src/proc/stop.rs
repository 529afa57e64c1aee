//! Stopping a process gracefully: the kill signal (or PM2's `shutdown` message) to its
//! group, then SIGKILL when `kill_timeout` passes, driven by a timer message rather than a
//! sleep; the old process of a reload under way goes too.

use std::time::Duration;

use pm2_protocol::ProcessInfo;
use ractor::{ActorRef, RpcReplyPort};

use super::lifecycle::Lifecycle;
use super::messages::ProcMsg;
use super::{readiness, spawn, ProcState};

impl ProcState {
    pub(super) fn stop(&mut self, myself: &ActorRef<ProcMsg>, reply: RpcReplyPort<ProcessInfo>) {
        if self.send_stop_signal(myself) {
            self.stop_waiters.push(reply);
        } else {
            self.args.store.lock().life = Lifecycle::Down { errored: false };
            let _ = reply.send(self.info());
        }
    }

    /// Starts a graceful stop (of the old process of a reload too); false when nothing is
    /// running.
    pub(super) fn send_stop_signal(&mut self, myself: &ActorRef<ProcMsg>) -> bool {
        let mut record = self.args.store.lock();
        let process = match record.life {
            Lifecycle::Running { process, .. } => process,
            Lifecycle::Stopping { .. } => return true,
            _ => return false,
        };
        record.life = Lifecycle::Stopping { process };
        let spec = record.spec.clone();
        let old = record
            .retiring
            .as_mut()
            .filter(|old| !old.stopping)
            .map(|old| {
                old.stopping = true;
                old.process
            });
        drop(record);
        self.stop_process(myself, &spec, process.pid, process.generation);
        if let Some(old) = old {
            self.stop_process(myself, &spec, old.pid, old.generation);
            let stopped = crate::error::TreeError::refused("stopped during its reload");
            for waiter in self.reload_waiters.drain(..) {
                let _ = waiter.send(Err(stopped.clone()));
            }
        }
        true
    }

    /// Asks one OS process to stop (PM2's `shutdown` message when configured and possible,
    /// else the kill signal to its group) and schedules the SIGKILL after `kill_timeout`.
    pub(super) fn stop_process(
        &mut self,
        myself: &ActorRef<ProcMsg>,
        spec: &pm2_protocol::AppSpec,
        pid: u32,
        generation: u64,
    ) {
        tracing::info!(name = %spec.name, pid, "stopping");
        let writer = self.ipc.remove(&generation);
        match writer {
            Some(mut writer) if spec.shutdown_with_message => {
                // Holds the IPC channel open while the app shuts down on its own; the SIGKILL timer
                // (KillDue) bounds the stop, and the task ends with the hour or the process.
                tokio::spawn(async move {
                    readiness::send_shutdown(&mut writer).await;
                    // Keep the channel open until the process exits or is killed.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    drop(writer);
                });
            }
            _ => {
                let signal = spawn::parse_signal(&spec.kill_signal)
                    .unwrap_or(nix::sys::signal::Signal::SIGINT as i32);
                self.args.store.host().kill(pid, signal, spec.treekill);
            }
        }
        let grace = Duration::from_millis(spec.kill_timeout_ms);
        myself.send_after(grace, move || ProcMsg::KillDue(generation));
    }

    pub(super) fn kill_due(&mut self, generation: u64) {
        let record = self.args.store.lock();
        let stopping = match record.life {
            Lifecycle::Stopping { process } if process.generation == generation => Some(process),
            _ => None,
        };
        let retiring = record
            .retiring
            .filter(|old| old.stopping && old.process.generation == generation)
            .map(|old| old.process);
        if let Some(pid) = stopping.or(retiring).map(|p| p.pid) {
            tracing::warn!(name = %record.spec.name, pm_id = record.pm_id, pid, "kill_timeout passed: SIGKILL");
            let sigkill = nix::sys::signal::Signal::SIGKILL as i32;
            self.args.store.host().kill(pid, sigkill, true);
        }
    }
}
