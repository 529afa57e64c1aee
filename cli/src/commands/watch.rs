//! `pm2 ls --watch` (`-w`): the listing redrawn in place every second, as `watch -n1 pm2 ls`
//! would show it, until Ctrl-C. PM2 has no such flag.
//!
//! It draws below what is already on screen and rewrites only its own rows (see
//! [`crate::terminal::frame`]): no full-screen switch, nothing pushed to the scrollback,
//! and the last frame stays visible after Ctrl-C. It needs a terminal: with standard output
//! piped or redirected it refuses with one line rather than print a table a second into a
//! file forever (`pm2 jlist` in a loop is the tool for that).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use tokio::signal::unix::{signal, Signal, SignalKind};

use super::show::listing;
use super::Context;
use crate::client::Client;
use crate::render::Paint;
use crate::terminal::{self, InPlace, QuietInput};

/// How often the listing is redrawn.
const PERIOD: Duration = Duration::from_secs(1);
/// A daemon slower than this to answer is shown as not answering, so Ctrl-C and the
/// redraws never wait on it.
const ANSWER_DEADLINE: Duration = Duration::from_secs(3);
/// Used when the terminal reports no size.
const FALLBACK_SIZE: (usize, usize) = (80, 24);

/// The signals that end the watch: Ctrl-C, `kill`, the terminal closing.
struct Stop {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

fn on(kind: SignalKind) -> Result<Signal> {
    signal(kind).context("cannot watch for signals")
}

impl Stop {
    fn install() -> Result<Stop> {
        Ok(Stop {
            interrupt: on(SignalKind::interrupt())?,
            terminate: on(SignalKind::terminate())?,
            hangup: on(SignalKind::hangup())?,
        })
    }

    /// Resolves when the user (or the system) asks the watch to end.
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}

/// Runs the watch until a stop signal; the terminal is left with the last frame, the
/// cursor shown and echo restored.
pub async fn watch(ctx: &Context) -> Result<()> {
    if ctx.printer.silent {
        return Ok(());
    }
    if !std::io::stdout().is_terminal() {
        bail!("pm2 ls --watch redraws a terminal and standard output is not one (use pm2 ls or pm2 jlist)");
    }
    let mut stop = Stop::install()?;
    // A new size is drawn at once rather than at the next tick.
    let mut resize = on(SignalKind::window_change())?;
    let mut client = Some(ctx.client().await?);
    let input = QuietInput::start();
    let mut screen = InPlace::new();
    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outcome = loop {
        tokio::select! {
            _ = stop.recv() => break Ok(()),
            _ = ticks.tick() => {}
            _ = resize.recv() => {}
        }
        let (columns, rows) = terminal::size().unwrap_or(FALLBACK_SIZE);
        let text = tokio::select! {
            _ = stop.recv() => break Ok(()),
            text = frame_text(ctx, &mut client, columns) => text,
        };
        if let Err(e) = write(&screen.frame(&text, columns, rows)) {
            break Err(e);
        }
    };
    // Best effort: the terminal may be gone (hangup).
    let _ = write(&screen.finish());
    drop(input);
    outcome.map_err(|e| anyhow::anyhow!("cannot write to the terminal: {e}"))
}

/// The text of one frame: a title line, then the listing (or why there is none this time).
/// A lost connection is dropped and tried again on the next frame, without starting a
/// daemon: `pm2 kill` from another shell shows up here rather than being undone.
async fn frame_text(ctx: &Context, client: &mut Option<Client>, columns: usize) -> String {
    let title = Paint::GREY.apply(
        &format!("Every {}s: pm2 ls · Ctrl-C to exit", PERIOD.as_secs()),
        ctx.printer.color,
    );
    if client.is_none() {
        *client = Client::connect(&ctx.home, false).await.ok();
    }
    let body = match client.as_mut() {
        None => "[PM2] the daemon is not running (pm2 ping starts it)".to_owned(),
        Some(connected) => {
            match tokio::time::timeout(ANSWER_DEADLINE, listing(ctx, connected, Some(columns)))
                .await
            {
                Ok(Ok(text)) => text,
                Ok(Err(e)) => {
                    *client = None;
                    format!("[PM2][ERROR] {e:#}")
                }
                Err(_) => {
                    *client = None;
                    "[PM2] the daemon did not answer in time".to_owned()
                }
            }
        }
    };
    format!("{title}\n{body}")
}

fn write(bytes: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes.as_bytes())?;
    out.flush()
}
