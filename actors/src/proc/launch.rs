//! Launching: the command, its sockets and readiness channels, the pid file and the log
//! files of one new OS process.

use std::sync::Arc;
use std::time::Duration;

use pm2_protocol::{Handover, Status};
use ractor::ActorRef;

use super::messages::ProcMsg;
use super::{readiness, spawn, ProcState};
use crate::clock::now_ms;
use crate::logsink::{LogSinkMsg, LogTarget};

impl ProcState {
    /// Spawns a new OS process for this record.
    pub(super) fn launch(&mut self, myself: &ActorRef<ProcMsg>) {
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
        let mut inherited = match &record.sockets {
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
        match spawn::start(&record.spec, &env, &inherited) {
            Ok(child) => {
                let pid = child.id().unwrap_or(0);
                record.running = Some((pid, generation));
                let waits = record.spec.wait_ready || record.draining.is_some();
                record.status = if record.spec.wait_ready {
                    Status::Launching
                } else {
                    Status::Online
                };
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
}
