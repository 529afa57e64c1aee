//! `pm2 update` without restarting the apps: what Root hands to the next daemon, and how
//! the next daemon's Root adopts it.

use std::sync::Arc;

use pm2_protocol::dump::{Dump, HandedProcess, Handover};

use super::records::new_record;
use super::starts::Starter;
use super::tree::{Tree, TABLE_WAIT_MS};
use crate::app::AppMsg;
use crate::balancer::Sockets;
use crate::error::{TreeError, TreeResult};
use crate::proc::handover::inherit;
use crate::proc::lifecycle::{Lifecycle, Spawned};
use crate::registry::RegistryMsg;

/// Longest wait for an App to adopt the processes handed over.
const ADOPT_WAIT_MS: u64 = 30_000;

impl Tree {
    /// The process list, the running processes with their pipes, and the cluster sockets,
    /// all kept open across `exec`.
    pub(super) async fn export(&self) -> Handover {
        let list = self.list(false).await.unwrap_or_default();
        let apps = Dump::from_processes(&list).apps;
        let mut processes = Vec::new();
        let mut sockets = Vec::new();
        let mut udp_sockets = Vec::new();
        let handles = self.apps.borrow().clone();
        for (name, handle) in handles.iter() {
            if let Some(app) = handle.live.get() {
                if let Ok(mut handed) = ractor::call_t!(app, AppMsg::Export, TABLE_WAIT_MS) {
                    processes.append(&mut handed);
                }
            }
            if let Some(bound) = handle.sockets.as_ref().and_then(|cell| cell.get()) {
                sockets.push((name.clone(), bound.hand_over()));
                udp_sockets.push((name.clone(), bound.hand_over_udp()));
            }
        }
        Handover {
            apps,
            processes,
            sockets,
            udp_sockets,
        }
    }
}

impl Starter {
    /// Rebuilds the apps of the previous daemon around its running processes (same pids,
    /// same pipes, same sockets); processes that were not running stay stopped.
    pub(super) async fn adopt(&mut self, handover: Handover) -> TreeResult<usize> {
        let mut adopted = 0;
        for saved in handover.apps {
            let spec = saved.spec;
            let of_app = |all: &[(String, Vec<(u16, i32)>)]| {
                all.iter()
                    .find(|(name, _)| *name == spec.name)
                    .map(|(_, fds)| fds.clone())
            };
            let tcp = of_app(&handover.sockets);
            let udp = of_app(&handover.udp_sockets);
            let inherited = (tcp.is_some() || udp.is_some()).then(|| {
                // SAFETY: these descriptors were handed to us across exec, each once.
                let listeners = tcp
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(port, fd)| (port, std::net::TcpListener::from(unsafe { inherit(fd) })))
                    .collect();
                let datagrams = udp
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(port, fd)| (port, std::net::UdpSocket::from(unsafe { inherit(fd) })))
                    .collect();
                Arc::new(Sockets::inherited(listeners, datagrams, spec.instances))
            });
            let registry = self.tree.registry()?;
            let _ = ractor::call_t!(
                registry,
                RegistryMsg::Reserve,
                TABLE_WAIT_MS,
                saved.ids.clone()
            );
            let handle = self.app_for(&spec, inherited).await?;
            let sockets = handle.sockets;
            let records = saved
                .ids
                .iter()
                .enumerate()
                .map(|(i, &pm_id)| {
                    let handed = handover.processes.iter().find(|p| p.pm_id == pm_id);
                    let instance = handed.map(|p| p.instance).unwrap_or(i as u32);
                    let mut record = new_record(&spec, pm_id, instance);
                    record.sockets = sockets.clone();
                    match handed {
                        Some(p) => {
                            adopt_into(&mut record, p);
                            adopted += 1;
                        }
                        None => record.life = Lifecycle::Down { errored: false },
                    }
                    record
                })
                .collect();
            let app = handle
                .live
                .get()
                .ok_or_else(|| TreeError::restarting(format!("app {}", spec.name)))?;
            ractor::call_t!(app, AppMsg::Add, ADOPT_WAIT_MS, records)
                .map_err(|e| TreeError::no_answer(format!("app {}", spec.name), e))?;
        }
        Ok(adopted)
    }
}

/// Fills a fresh record with a running process handed over by the previous daemon.
fn adopt_into(record: &mut crate::proc::ProcRecord, handed: &HandedProcess) {
    record.generation = 1;
    record.life = Lifecycle::Running {
        process: Spawned {
            pid: handed.pid,
            generation: 1,
        },
        launching: false,
    };
    record.counters.restart_time = handed.restart_time;
    record.counters.unstable_restarts = handed.unstable_restarts;
    record.created_at = handed.created_at;
    record.started_at = handed.started_at;
    // SAFETY: the pipe descriptors were handed to us across exec, each once.
    record.adopt_pipes = Some(unsafe { (inherit(handed.out_fd), inherit(handed.err_fd)) });
    if let Some(fd) = handed.in_fd {
        // SAFETY: as above, handed once.
        let stdin = unsafe { inherit(fd) };
        let _ = crate::proc::stdin::set_nonblocking(&stdin);
        record.stdin.push((1, stdin));
    }
}
