//! Reading the apps' recent log lines for `pm2_tail_logs` and `pm2_search_logs`.
//!
//! `pm2_tail_logs` takes the lines the daemon's log sinks keep in memory
//! (`Request::RecentLogs`) and reads only the files they cannot answer for: written before
//! the daemon started, or more lines asked than a sink keeps. Files are read backwards
//! from their end, a block at a time, until enough lines are found (the reader `pm2 logs`
//! uses): the cost follows the lines asked for, never the size of the file.

use std::path::{Path, PathBuf};

use pm2_protocol::{LogStream, ProcessInfo, RecentLog};
use regex::Regex;

use crate::args::LogType;
use crate::views::{LogMatch, LogTail, Matches, Tails};

/// The files of `kind` for each process: (process, "out"|"err", file).
fn files(list: &[ProcessInfo], kind: LogType) -> Vec<(&ProcessInfo, &'static str, &PathBuf)> {
    let mut files = Vec::new();
    for p in list {
        let wanted: &[(&'static str, &Option<PathBuf>)] = match kind {
            LogType::Out => &[("out", &p.out_log)],
            LogType::Err => &[("err", &p.err_log)],
            LogType::Combined => &[("out", &p.out_log), ("err", &p.err_log)],
        };
        for (name, path) in wanted {
            if let Some(path) = path {
                files.push((p, *name, path));
            }
        }
    }
    files
}

/// The last `lines` lines of a file (none when it does not exist yet).
fn last(path: &Path, lines: usize) -> Result<Vec<String>, String> {
    match pm2_protocol::tail::last_lines(path, lines) {
        Ok(read) => Ok(read
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The stream(s) of `kind`, as `Request::RecentLogs` names them (`None`: both).
pub fn stream_of(kind: LogType) -> Option<LogStream> {
    match kind {
        LogType::Out => Some(LogStream::Out),
        LogType::Err => Some(LogStream::Err),
        LogType::Combined => None,
    }
}

/// The last `lines` lines of each file the daemon answered for: its lines when complete,
/// else read from the file.
pub fn tail(recent: Vec<RecentLog>, lines: usize) -> Result<Tails, String> {
    let logs = recent
        .into_iter()
        .map(|log| {
            let lines = if log.complete {
                log.lines
                    .iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect()
            } else {
                last(&log.file, lines)?
            };
            Ok(LogTail {
                pm_id: log.pm_id,
                name: log.name,
                kind: log.stream.pm2_name().into(),
                file: log.file,
                lines,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Tails { logs })
}

/// The text content of a tail.
pub fn tail_text(tails: &Tails) -> String {
    let mut text = String::new();
    for log in &tails.logs {
        text.push_str(&format!(
            "{} {} {} ({}):\n",
            log.pm_id,
            log.name,
            log.kind,
            log.file.display()
        ));
        for line in &log.lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    if text.is_empty() {
        text.push_str("No log file");
    }
    text
}

/// The lines matching `pattern` among the last `lines` of each file; the latest `limit`.
pub fn search(
    list: &[ProcessInfo],
    kind: LogType,
    pattern: &str,
    lines: usize,
    limit: usize,
) -> Result<Matches, String> {
    let regex = Regex::new(pattern).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?;
    let mut matches = Vec::new();
    let mut searched = 0;
    for (p, name, path) in files(list, kind) {
        let read = last(path, lines)?;
        searched += read.len();
        matches.extend(
            read.into_iter()
                .filter(|line| regex.is_match(line))
                .map(|line| LogMatch {
                    pm_id: p.pm_id,
                    name: p.spec.name.clone(),
                    kind: name.into(),
                    line,
                }),
        );
    }
    let truncated = matches.len() > limit;
    if truncated {
        matches.drain(..matches.len() - limit);
    }
    Ok(Matches {
        pattern: pattern.into(),
        searched,
        matches,
        truncated,
    })
}

/// The text content of a search.
pub fn search_text(found: &Matches) -> String {
    let mut text = format!(
        "{} line(s) matching {:?} in {} line(s) searched{}\n",
        found.matches.len(),
        found.pattern,
        found.searched,
        if found.truncated {
            " (only the latest shown)"
        } else {
            ""
        }
    );
    for m in &found.matches {
        text.push_str(&format!("{}|{} {}: {}\n", m.pm_id, m.name, m.kind, m.line));
    }
    text
}
