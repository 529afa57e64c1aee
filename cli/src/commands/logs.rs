//! `pm2 logs`, `pm2 flush`, `pm2 reloadLogs`.
//!
//! `logs` prints the last lines of each file (read backwards from the end, so a huge file
//! costs nothing), then subscribes over the socket and prints lines as the daemon pushes
//! them: no file is polled.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use pm2_protocol::{Event, LogStream, ProcessInfo, Request, Response, Target};

use super::{ask, processes, Context};
use crate::args::LogsArgs;
use crate::render::logline::{LineStyle, LineWriter};
use pm2_protocol::tail::last_lines;

/// Lines printed before following, unless `--lines`.
const DEFAULT_LINES: usize = 15;

/// One file to tail: its path and whose it is (`None`: the daemon's own log).
struct Tailed {
    path: PathBuf,
    source: Option<(u32, String, LogStream)>,
}

/// `pm2 logs [target]`.
pub async fn logs(ctx: &Context, args: LogsArgs) -> Result<()> {
    let id = args.target.clone().unwrap_or_else(|| "all".into());
    // A target word as everywhere (an ecosystem file: its apps).
    let targets = super::targets::flatten(&super::targets::read(std::slice::from_ref(&id), None)?);
    if targets.is_empty() {
        anyhow::bail!("{id}: no app to follow");
    }
    let exclusive = match (args.out, args.err) {
        (true, false) => Some(LogStream::Out),
        (false, true) => Some(LogStream::Err),
        _ => None,
    };
    let style = if args.json {
        LineStyle::Json
    } else if args.format {
        LineStyle::KeyValue
    } else if args.raw {
        LineStyle::Raw
    } else {
        LineStyle::Prefixed
    };
    let timestamp = match (&style, &args.timestamp) {
        (LineStyle::KeyValue, None) => Some("YYYY-MM-DD-HH:mm:ssZZ".to_string()),
        (_, t) => t.clone(),
    };
    let highlight = args.highlight.clone().filter(|h| !h.is_empty());
    let mut writer = LineWriter::new(style.clone(), ctx.printer.color, timestamp, highlight);
    let mut client = ctx.client().await?;

    let lines = args.lines.unwrap_or(DEFAULT_LINES);
    // As PM2: --json and --format only stream; the others print past lines first, and
    // --nostream prints them (in the usual style) whatever else was asked.
    if args.nostream && matches!(style, LineStyle::Json | LineStyle::KeyValue) {
        writer = LineWriter::new(LineStyle::Prefixed, ctx.printer.color, None, None);
    }
    let tails = args.nostream || matches!(style, LineStyle::Prefixed | LineStyle::Raw);
    if lines > 0 && tails {
        let procs = processes(
            ask(
                &mut client,
                Request::Describe {
                    targets: targets.clone(),
                    allow_empty: true,
                },
            )
            .await?,
        )?;
        let plural = if id == "all" { "es" } else { "" };
        ctx.printer.text(format!(
            "[TAILING] Tailing last {lines} lines for [{id}] process{plural} (change the value with --lines option)"
        ));
        let mut files = files_to_tail(&procs, exclusive);
        if writer.style != LineStyle::Raw && id == "all" && exclusive.is_none() {
            files.insert(
                0,
                Tailed {
                    path: ctx.home.daemon_log(),
                    source: None,
                },
            );
        }
        print_tails(&writer, &files, lines)?;
    }
    if args.nostream {
        return Ok(());
    }
    let targets = if targets == [Target::All] {
        Vec::new()
    } else {
        targets
    };
    stream(ctx, client, writer, exclusive, targets).await
}

/// `--no-daemon` after a command: PM2's two lines, then every app's new lines until the
/// daemon of this terminal exits (Ctrl-C stops both).
pub async fn follow_daemon(ctx: &Context) -> Result<()> {
    ctx.printer.info("[--no-daemon] Continue to stream logs");
    let pid = std::fs::read_to_string(ctx.home.pid_file()).unwrap_or_default();
    ctx.printer.info(format!(
        "[--no-daemon] Exit on target PM2 exit pid={}",
        pid.trim()
    ));
    let writer = LineWriter::new(LineStyle::Prefixed, ctx.printer.color, None, None);
    let client = ctx.client().await?;
    stream(ctx, client, writer, None, Vec::new()).await
}

/// `--attach` after a start, restart, reload or stop: the acted processes' new lines, until
/// Ctrl-C (PM2's `speedList` with `--attach`).
pub async fn attach_after(ctx: &Context, procs: &[ProcessInfo]) -> Result<()> {
    if procs.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = procs.iter().map(|p| p.pm_id.to_string()).collect();
    ctx.printer.text(format!(
        "[PM2][INFO] Log streaming apps id: {}, exit with Ctrl-C",
        ids.join(" ")
    ));
    let writer = LineWriter::new(LineStyle::Prefixed, ctx.printer.color, None, None);
    let client = ctx.client().await?;
    let targets = procs.iter().map(|p| Target::Id(p.pm_id)).collect();
    stream(ctx, client, writer, None, targets).await
}

/// Follows the lines the daemon pushes for `targets` (all when empty) until it goes away or
/// the reader does.
async fn stream(
    ctx: &Context,
    mut client: crate::client::Client,
    mut writer: LineWriter,
    exclusive: Option<LogStream>,
    targets: Vec<Target>,
) -> Result<()> {
    client.subscribe(targets).await?;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    while let Some(event) = client.next_event().await? {
        match event {
            Event::Log(line) => {
                if exclusive.is_some_and(|only| only != line.stream) {
                    continue;
                }
                let (text, to_err) = writer.live(&line);
                let written = if to_err {
                    stderr.lock().write_all(text.as_bytes())
                } else {
                    let mut out = stdout.lock();
                    out.write_all(text.as_bytes()).and_then(|_| out.flush())
                };
                if written.is_err() {
                    return Ok(()); // the reader went away (pm2 logs | head)
                }
            }
            Event::Missed(count) => ctx.printer.warn(format!(
                "{count} lines were not shown: this terminal fell behind the apps"
            )),
        }
    }
    ctx.printer
        .text("[PM2] the daemon went away: stopped following");
    Ok(())
}

/// Each process's out/err files once, oldest modified first (PM2's order).
fn files_to_tail(procs: &[ProcessInfo], exclusive: Option<LogStream>) -> Vec<Tailed> {
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for p in procs {
        for (stream, path) in [(LogStream::Out, &p.out_log), (LogStream::Err, &p.err_log)] {
            let Some(path) = path else { continue };
            if path == std::path::Path::new("/dev/null")
                || exclusive.is_some_and(|only| only != stream)
                || !seen.insert(path.clone())
            {
                continue;
            }
            files.push(Tailed {
                path: path.clone(),
                source: Some((p.pm_id, p.spec.name.clone(), stream)),
            });
        }
    }
    let modified = |t: &Tailed| std::fs::metadata(&t.path).and_then(|m| m.modified()).ok();
    files.sort_by_key(modified);
    files
}

fn print_tails(writer: &LineWriter, files: &[Tailed], lines: usize) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    for file in files {
        let Ok(tail) = last_lines(&file.path, lines) else {
            continue; // not created yet, or /dev/null
        };
        stdout.write_all(
            writer
                .tail_header(&file.path.display().to_string(), lines)
                .as_bytes(),
        )?;
        for line in &tail {
            let source = file
                .source
                .as_ref()
                .map(|(id, name, s)| (*id, name.as_str(), *s));
            let (text, to_err) = writer.tailed(source, line);
            if to_err {
                stderr.write_all(text.as_bytes())?;
            } else {
                stdout.write_all(text.as_bytes())?;
            }
        }
        if !tail.is_empty() {
            stdout.write_all(b"\n")?;
        }
    }
    stdout.flush()?;
    Ok(())
}

/// `pm2 flush [targets]`: empties the files, with PM2's `Flushing:` block per process.
pub async fn flush(ctx: &Context, words: Vec<String>) -> Result<()> {
    let targets = super::targets::flatten(&super::targets::read(&words, None)?);
    let all = words.is_empty();
    if !all && targets.is_empty() {
        anyhow::bail!("{}: no app to flush", words.join(" "));
    }
    let mut client = ctx.client().await?;
    let flushed = processes(ask(&mut client, Request::Flush { targets }).await?)?;
    if all {
        ctx.printer
            .info(format!("Flushing {}", ctx.home.daemon_log().display()));
    }
    for p in &flushed {
        ctx.printer.info("Flushing:");
        // PM2 lists the combined log last when flushing everything, first otherwise.
        let files = if all {
            [&p.out_log, &p.err_log, &p.combined_log]
        } else {
            [&p.combined_log, &p.out_log, &p.err_log]
        };
        for path in files.into_iter().flatten() {
            ctx.printer.info(path.display());
        }
    }
    ctx.printer.info("Logs flushed");
    Ok(())
}

/// `pm2 reloadLogs`.
pub async fn reload(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    ctx.printer.text("Reloading all logs...");
    match ask(&mut client, Request::ReloadLogs).await? {
        Response::Ok => {
            ctx.printer.text("All logs reloaded");
            Ok(())
        }
        other => anyhow::bail!("unexpected answer from the daemon: {other:?}"),
    }
}
