//! `pm2 flush` and `pm2 reloadLogs`: asked of Root, carried out by the apps' sinks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures::future::join_all;
use pm2_protocol::{Response, Target};
use ractor::RpcReplyPort;

use super::RootState;
use crate::logsink::LogsMsg;

impl RootState {
    /// Empties the files of the targeted processes (all when none), each through the sink
    /// that writes it, so sizes kept for rotation stay right.
    pub(super) async fn flush(&mut self, targets: Vec<Target>, reply: RpcReplyPort<Response>) {
        let targets = if targets.is_empty() {
            vec![Target::All]
        } else {
            targets
        };
        let procs = match self.resolve(targets, false).await {
            Ok(procs) => procs,
            Err(e) => {
                let _ = reply.send(Response::Error(e));
                return;
            }
        };
        let Some(logs) = self.logs.get() else {
            let _ = reply.send(Response::Error(
                "log supervisor is restarting, try again".into(),
            ));
            return;
        };
        let mut by_app: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for p in &procs {
            let paths = [&p.out_log, &p.err_log, &p.combined_log];
            by_app
                .entry(p.spec.name.clone())
                .or_default()
                .extend(paths.into_iter().flatten().cloned());
        }
        tokio::spawn(async move {
            let calls = by_app.into_iter().map(|(app, paths)| {
                let logs = logs.clone();
                async move {
                    ractor::call!(logs, LogsMsg::Truncate, app, paths)
                        .unwrap_or_else(|e| vec![e.to_string()])
                }
            });
            let errors: Vec<String> = join_all(calls).await.into_iter().flatten().collect();
            let response = if errors.is_empty() {
                Response::Processes(procs)
            } else {
                Response::Error(errors.join("; "))
            };
            let _ = reply.send(response);
        });
    }

    /// Every sink reopens its files on its next write (after an external logrotate moved
    /// them): lines written meanwhile went to the moved file, none is lost.
    pub(super) fn reload_logs(&self) -> Response {
        self.logs.cast(LogsMsg::ReopenAll);
        Response::Ok
    }
}
