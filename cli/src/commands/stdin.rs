//! `pm2 send` and `pm2 attach`: lines to an app's standard input, which the daemon keeps as a
//! pipe for every process.

use std::io::Write;

use anyhow::{bail, Result};
use pm2_protocol::{Event, Request, Target};

use super::{ask, processes, show, Context};

/// A number is a process id, strictly, as in PM2's `send` and `attach`; anything else names
/// processes the usual way (ours: PM2 takes ids only).
fn target_of(word: &str) -> Target {
    match word.parse::<u32>() {
        Ok(id) if word.bytes().all(|b| b.is_ascii_digit()) => Target::Id(id),
        _ => Target::parse(word),
    }
}

/// `pm2 send <id> <line...>`: the words joined by spaces, then a newline; then the table, as
/// PM2.
pub async fn send(ctx: &Context, target: String, words: Vec<String>) -> Result<()> {
    let mut client = ctx.client().await?;
    let line = format!("{}\n", words.join(" "));
    ask(
        &mut client,
        Request::SendLine {
            target: target_of(&target),
            line,
        },
    )
    .await?;
    show::print_table(ctx, &mut client).await
}

/// `pm2 attach <id> [separator]`: the process's output (both streams) on this terminal and
/// every line typed sent to its stdin (followed by `separator`, a newline by default), until
/// the input ends or Ctrl-C.
pub async fn attach(ctx: &Context, target: String, separator: Option<String>) -> Result<()> {
    let mut client = ctx.client().await?;
    let found = processes(
        ask(
            &mut client,
            Request::Describe {
                targets: vec![target_of(&target)],
                allow_empty: false,
            },
        )
        .await?,
    )?;
    let [process] = found.as_slice() else {
        bail!(
            "{target} names {} processes: attach to one id (pm2 id <name>)",
            found.len()
        );
    };
    let pm_id = process.pm_id;
    let mut sender = ctx.client().await?;
    client.subscribe(vec![Target::Id(pm_id)]).await?;
    let separator = separator.unwrap_or_else(|| "\n".into());
    let mut input = typed_lines();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            event = client.next_event() => match event? {
                Some(Event::Log(line)) => {
                    let mut out = std::io::stdout().lock();
                    let written = out
                        .write_all(&line.line)
                        .and_then(|_| out.write_all(b"\n"))
                        .and_then(|_| out.flush());
                    if written.is_err() {
                        return Ok(());
                    }
                }
                Some(Event::Missed(_)) => {}
                None => bail!("the daemon went away"),
            },
            typed = input.recv() => match typed {
                Some(text) => {
                    let request = Request::SendLine {
                        target: Target::Id(pm_id),
                        line: format!("{text}{separator}"),
                    };
                    if let Err(e) = ask(&mut sender, request).await {
                        crate::output::error(e);
                    }
                }
                None => return Ok(()),
            },
            _ = &mut ctrl_c => return Ok(()),
        }
    }
}

/// The lines of this process's stdin, read by a thread of its own: tokio's stdin reads in
/// its blocking pool, which would hold the runtime's shutdown (Ctrl-C) until the next line.
fn typed_lines() -> tokio::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches('\n').trim_end_matches('\r');
                    if sender.blocking_send(text.to_string()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    receiver
}
