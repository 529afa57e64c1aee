//! Lifecycle verbs of an App: each runs in a task that talks to the Procs by message, with
//! deadlines from what the App knows of each process (its last row), one instance at a time
//! for a reload so the others keep serving.

use std::time::Duration;

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{Handover, ProcessInfo};
use ractor::{ActorRef, RpcReplyPort};

use super::{ActReply, AppMsg, AppState, REMOVE_WAIT_MS};
use crate::balancer::Sockets;
use crate::error::{TreeError, TreeResult};
use crate::proc::{ProcMsg, SpecUpdate};
use crate::supervision::LiveRef;

/// Longest a caller waits for one process to act (beyond its own kill_timeout).
const ACT_MARGIN: Duration = Duration::from_secs(10);
/// The timeouts assumed for a process whose row the App has not learnt (it did not answer).
const DEFAULT_WAIT_MS: u64 = 5000;

/// One process as a verb task needs it: its actor and the figures its deadlines come from.
struct Target {
    pm_id: u32,
    live: LiveRef<ProcMsg>,
    instance: u32,
    kill_timeout_ms: u64,
    listen_timeout_ms: u64,
}

impl AppState {
    /// What a verb task needs of each process `ids` names, from what the App knows.
    fn targets(&self, ids: &[u32]) -> Vec<Target> {
        let procs = self.args.store.procs();
        ids.iter()
            .filter_map(|&pm_id| {
                let live = procs.get(&pm_id)?.live.clone();
                let row = self.rows.get(&pm_id);
                Some(Target {
                    pm_id,
                    live,
                    instance: row.map_or(0, |r| r.instance),
                    kill_timeout_ms: row.map_or(DEFAULT_WAIT_MS, |r| r.spec.kill_timeout_ms),
                    listen_timeout_ms: row.map_or(DEFAULT_WAIT_MS, |r| r.spec.listen_timeout_ms),
                })
            })
            .collect()
    }

    /// Applies a lifecycle verb to processes `ids`, answering from a task.
    pub(super) fn act(
        &self,
        myself: &ActorRef<AppMsg>,
        action: Action,
        ids: Vec<u32>,
        update: SpecUpdate,
        reply: RpcReplyPort<ActReply>,
    ) {
        let targets = self.targets(&ids);
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
                let mut results = Vec::with_capacity(targets.len());
                for target in targets {
                    if let Some(sockets) = &proxy {
                        drain(sockets, &target).await;
                    }
                    results.push(act_on(&target, action, update.clone()).await);
                    if let Some(sockets) = &proxy {
                        // Ready behind the proxy means its port accepts.
                        wait_listening(sockets, target.instance, target.listen_timeout_ms).await;
                        sockets.resume(target.instance);
                    }
                }
                results
            } else {
                let calls = targets.iter().map(|target| {
                    let update = update.clone();
                    async move { act_on(target, action, update).await }
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
            // A restart may have brought new settings (watch, cron_restart): the App learns
            // them from the rows the Procs answered.
            let rows = results
                .iter()
                .filter_map(|r| r.as_ref().ok().cloned())
                .collect();
            let _ = myself.cast(AppMsg::Refresh(rows));
            let _ = reply.send(results);
        });
    }
}

/// Takes a proxied instance out of rotation and waits (at most its `kill_timeout`) until
/// the connections the proxy has open to it are done.
async fn drain(sockets: &Sockets, target: &Target) {
    sockets.pause(target.instance);
    let grace = Duration::from_millis(target.kill_timeout_ms);
    let deadline = tokio::time::Instant::now() + grace;
    while sockets.active(target.instance) > 0 && tokio::time::Instant::now() < deadline {
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

async fn act_on(target: &Target, action: Action, update: SpecUpdate) -> TreeResult<ProcessInfo> {
    let pm_id = target.pm_id;
    let actor = target
        .live
        .get()
        .ok_or_else(|| TreeError::restarting(format!("process {pm_id}")))?;
    let own = target.kill_timeout_ms + target.listen_timeout_ms;
    let timeout_ms = (Duration::from_millis(own) + ACT_MARGIN).as_millis() as u64;
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
