//! `pm2 flush`, `pm2 reloadLogs` and the recent lines of `pm2_tail_logs`: asked of Root,
//! carried out by the apps' sinks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures::future::join_all;
use pm2_protocol::{LogStream, ProcessInfo, RecentLog, Target};
use ractor::ActorRef;

use super::command::Reply;
use super::tree::Tree;
use crate::error::{TreeError, TreeResult};
use crate::logsink::LogsMsg;

/// Most bytes of lines in one `Response::RecentLogs`, well under the frame limit: files
/// past it are left for the caller to read.
const RECENT_BUDGET: usize = 8 * 1024 * 1024;

/// How long a sink has to answer for its recent lines before the caller reads the files.
const RECENT_WAIT_MS: u64 = 5000;

impl Tree {
    /// The processes the targets name (all when none) and the log supervisor, or why not.
    async fn logs_of(
        &self,
        targets: Vec<Target>,
    ) -> TreeResult<(Vec<ProcessInfo>, ActorRef<LogsMsg>)> {
        let targets = if targets.is_empty() {
            vec![Target::All]
        } else {
            targets
        };
        let procs = self.resolve(targets, false).await?;
        Ok((procs, self.logs()?))
    }

    /// Empties the files of the targeted processes (all when none), each through the sink
    /// that writes it, so sizes kept for rotation stay right.
    pub(super) async fn flush(&self, targets: Vec<Target>) -> TreeResult<Reply> {
        let (procs, logs) = self.logs_of(targets).await?;
        let mut by_app: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for p in &procs {
            let paths = [&p.out_log, &p.err_log, &p.combined_log];
            by_app
                .entry(p.spec.name.clone())
                .or_default()
                .extend(paths.into_iter().flatten().cloned());
        }
        let calls = by_app.into_iter().map(|(app, paths)| {
            let logs = logs.clone();
            async move {
                ractor::call_t!(logs, LogsMsg::Truncate, RECENT_WAIT_MS, app, paths)
                    .unwrap_or_else(|e| vec![e.to_string()])
            }
        });
        let errors: Vec<String> = join_all(calls).await.into_iter().flatten().collect();
        if errors.is_empty() {
            Ok(Reply::Processes(procs))
        } else {
            Err(TreeError::failed(errors.join("; ")))
        }
    }

    /// The last `lines` lines of the out and/or err file of each targeted process (all when
    /// none), from the sinks' memory. A sink that cannot answer for a file, or does not
    /// answer within a few seconds, leaves its entry incomplete for the caller to read the
    /// file; so does an answer that would pass [`RECENT_BUDGET`].
    pub(super) async fn recent_logs(
        &self,
        targets: Vec<Target>,
        stream: Option<LogStream>,
        lines: u32,
    ) -> TreeResult<Reply> {
        let (procs, logs) = self.logs_of(targets).await?;
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
        Ok(Reply::RecentLogs(entries))
    }
}
