//! Launching: the command, its sockets and readiness channels, the pid file and the log
//! files of one new OS process.

use std::sync::Arc;
use std::time::Duration;

use ractor::ActorRef;

use super::lifecycle::{Lifecycle, Spawned};
use super::messages::ProcMsg;
use super::{readiness, spawn, ProcState};
use crate::logsink::{LogSinkMsg, LogTarget};
use pm2_protocol::clock::now_ms;

/// Where a process's output goes and how it is written.
pub(super) fn log_target(record: &super::store::ProcRecord) -> Arc<LogTarget> {
    Arc::new(LogTarget {
        pm_id: record.pm_id,
        name: record.spec.name.clone(),
        namespace: record.spec.namespace.clone(),
        paths: record.logs.clone(),
        date_format: record.spec.log_date_format.clone(),
        json: record.spec.log_json,
        rotate: record.spec.logrotate.clone(),
    })
}

impl ProcState {
    /// Spawns a new OS process for this record.
    pub(super) fn launch(&mut self, myself: &ActorRef<ProcMsg>) {
        let store = self.args.store.clone();
        let mut record = store.lock();
        record.generation += 1;
        let generation = record.generation;
        let mut env = spawn::environment(&record, self.args.pm2_home.as_deref());
        let preload = self.node_preload(&record.spec);
        let mut inherited = match record.sockets.as_ref().map(|cell| cell.get()) {
            Some(Some(sockets)) => {
                env.extend(sockets.environment(&record.spec, record.instance, preload.as_deref()));
                sockets.fds(record.spec.handover)
            }
            Some(None) => {
                // The port is only in the code: every instance starts at once and its
                // preload asks the daemon for the socket when the code listens (share.rs).
                env.extend(crate::balancer::discovery_environment(
                    &record.spec,
                    preload.as_deref(),
                ));
                Vec::new()
            }
            None => Vec::new(),
        };
        let channel_name = format!("pm2-{}-{}-{generation}", std::process::id(), record.pm_id);
        let first_fd = crate::balancer::FIRST_FD + inherited.len() as i32;
        let channels = match readiness::prepare(
            &record.spec,
            record.sockets.is_some(),
            first_fd,
            &channel_name,
        ) {
            Ok(channels) => Some(channels),
            Err(e) => {
                tracing::warn!(pm_id = record.pm_id, "no readiness channel: {e}");
                None
            }
        };
        if let Some(channels) = &channels {
            inherited.extend(channels.raw_fds());
            env.extend(channels.env.clone());
        }
        match store.host().start(&record.spec, &env, &inherited) {
            Ok((child, stdin)) => {
                let pid = child.pid;
                record.life = Lifecycle::Running {
                    process: Spawned { pid, generation },
                    launching: record.spec.wait_ready,
                };
                record.stdin.push((generation, stdin));
                let waits = record.spec.wait_ready || record.retiring.is_some();
                if let Some(channels) = channels {
                    let listening_is_ready = !record.spec.wait_ready;
                    if let Some(writer) =
                        channels.watch(generation, myself.clone(), listening_is_ready)
                    {
                        self.ipc.insert(generation, writer);
                    }
                }
                if waits {
                    let timeout = Duration::from_millis(record.spec.listen_timeout_ms);
                    myself.send_after(timeout, move || ProcMsg::ListenTimeout(generation));
                }
                record.started_at = now_ms();
                record.env = env;
                record.last_error = None;
                let _ = crate::fsutil::open_creating_dirs(&record.pid_file, |p| {
                    std::fs::write(p, pid.to_string())
                });
                tracing::info!(name = %record.spec.name, pm_id = record.pm_id, pid, "process online");
                let target = log_target(&record);
                drop(record);
                self.args.sink.cast(LogSinkMsg::Open(target.clone()));
                let wiring = super::host::Wiring {
                    generation,
                    target,
                    store: &store,
                    sink: self.args.sink.clone(),
                };
                store.host().watch(child, wiring);
            }
            Err(e) => {
                let message = format!("cannot start {}: {e}", record.spec.exec_path.display());
                tracing::error!(name = %record.spec.name, pm_id = record.pm_id, "{message}");
                record.life = Lifecycle::Down { errored: true };
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
}

impl ProcState {
    /// Takes over the socket the first instance bound itself (a port only in the code), so
    /// every later instance and restart inherits it.
    pub(super) fn adopt_socket(&mut self, generation: u64, port: u16, fd: i32) {
        let record = self.args.store.lock();
        let Some(cell) = record.sockets.clone() else {
            return;
        };
        let Some(pid) = record
            .life
            .process()
            .filter(|p| p.generation == generation)
            .map(|p| p.pid)
        else {
            return;
        };
        if cell.get().is_some() || fd < 0 {
            return;
        }
        match crate::balancer::take_fd(pid, fd) {
            Ok(socket) => {
                let listener = std::net::TcpListener::from(socket);
                let sockets =
                    crate::balancer::Sockets::adopt(port, listener, record.spec.instances);
                if cell.set(std::sync::Arc::new(sockets)).is_ok() {
                    tracing::info!(
                        name = %record.spec.name, port, pid,
                        "took over the port the first instance bound: the others share it"
                    );
                }
            }
            Err(e) => tracing::warn!(
                name = %record.spec.name, port,
                "cannot take over the socket of instance {}: {e}", record.instance
            ),
        }
    }
}
