//! `pm2 flush`, `pm2 reloadLogs` and the recent lines of `pm2_tail_logs`: asked of Root,
//! carried out by the apps' sinks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures::future::join_all;
use pm2_protocol::{LogStream, ProcessInfo, RecentLog, Response, Target};
use ractor::{ActorRef, RpcReplyPort};

use super::RootState;
use crate::logsink::LogsMsg;

/// Most bytes of lines in one [`Response::RecentLogs`], well under the frame limit: files
/// past it are left for the caller to read.
const RECENT_BUDGET: usize = 8 * 1024 * 1024;

/// How long a sink has to answer for its recent lines before the caller reads the files.
const RECENT_WAIT_MS: u64 = 5000;

impl RootState {
    /// The processes the targets name (all when none) and the log supervisor, or why not.
    async fn logs_of(
        &mut self,
        targets: Vec<Target>,
    ) -> Result<(Vec<ProcessInfo>, ActorRef<LogsMsg>), String> {
        let targets = if targets.is_empty() {
            vec![Target::All]
        } else {
            targets
        };
        let procs = self.resolve(targets, false).await?;
        let logs = self
            .logs
            .get()
            .ok_or("log supervisor is restarting, try again")?;
        Ok((procs, logs))
    }

    /// Empties the files of the targeted processes (all when none), each through the sink
    /// that writes it, so sizes kept for rotation stay right.
    pub(super) async fn flush(&mut self, targets: Vec<Target>, reply: RpcReplyPort<Response>) {
        let (procs, logs) = match self.logs_of(targets).await {
            Ok(found) => found,
            Err(e) => {
                let _ = reply.send(Response::Error(e));
                return;
            }
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

    /// The last `lines` lines of the out and/or err file of each targeted process (all when
    /// none), from the sinks' memory. A sink that cannot answer for a file, or does not
    /// answer within a few seconds, leaves its entry incomplete for the caller to read the
    /// file; so does an answer that would pass [`RECENT_BUDGET`].
    pub(super) async fn recent_logs(
        &mut self,
        targets: Vec<Target>,
        stream: Option<LogStream>,
        lines: u32,
        reply: RpcReplyPort<Response>,
    ) {
        let (procs, logs) = match self.logs_of(targets).await {
            Ok(found) => found,
            Err(e) => {
                let _ = reply.send(Response::Error(e));
                return;
            }
        };
        let mut entries = Vec::new();
        // Per app: the entries its sink answers for, and their files.
        let mut by_app: BTreeMap<String, (Vec<usize>, Vec<PathBuf>)> = BTreeMap::new();
        for p in &procs {
            for (of, file) in [(LogStream::Out, &p.out_log), (LogStream::Err, &p.err_log)] {
                let Some(file) = file.as_ref().filter(|_| stream.is_none_or(|s| s == of)) else {
                    continue;
                };
                let (indices, files) = by_app.entry(p.spec.name.clone()).or_default();
                indices.push(entries.len());
                files.push(file.clone());
                entries.push(RecentLog {
                    pm_id: p.pm_id,
                    name: p.spec.name.clone(),
                    stream: of,
                    file: file.clone(),
                    lines: Vec::new(),
                    complete: false,
                });
            }
        }
        let lines = lines as usize;
        tokio::spawn(async move {
            let calls = by_app.into_iter().map(|(app, (indices, files))| {
                let logs = logs.clone();
                async move {
                    let answers =
                        ractor::call_t!(logs, LogsMsg::Recent, RECENT_WAIT_MS, app, files, lines)
                            .unwrap_or_default();
                    indices.into_iter().zip(answers)
                }
            });
            let mut budget = RECENT_BUDGET;
            for (index, answer) in join_all(calls).await.into_iter().flatten() {
                let Some(found) = answer else { continue };
                let size: usize = found.iter().map(|line| line.len() + 8).sum();
                if size > budget {
                    continue;
                }
                budget -= size;
                entries[index].lines = found;
                entries[index].complete = true;
            }
            let _ = reply.send(Response::RecentLogs(entries));
        });
    }

    /// Every sink reopens its files on its next write (after an external logrotate moved
    /// them): lines written meanwhile went to the moved file, none is lost.
    pub(super) fn reload_logs(&self) -> Response {
        self.logs.cast(LogsMsg::ReopenAll);
        Response::Ok
    }
}
