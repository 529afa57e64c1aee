//! `pm2 monit` (alias `dashboard`, `dash`): the interactive dashboard.
//!
//! The process list with status, cpu, memory and their recent history; the selected
//! process's live log lines and metadata; host vitals when `pm2:sysmonit` is on; keys to
//! restart, stop, reload, delete (after a yes) and filter. Built on ratatui over crossterm.
//!
//! ```text
//! keys ──Intent──> state (Monit) ──Effect──> feed ──Request──> daemon
//!                     ^                        |
//!                     └─────── Update ─────────┘        ui::draw(state) ──> terminal
//! ```
//!
//! - [`state`]: the model and what each intent does to it (pure, unit-tested);
//! - [`keys`]: which key means which intent, per mode;
//! - [`feed`]: the connections to the daemon (the table's changes and the log lines,
//!   both pushed; one per action), reconnecting when it goes away;
//! - [`ui`]: drawing, a pure function of the model;
//! - [`terminal`]: raw mode and the alternate screen, restored on every exit and on panic.
//!
//! Cheap by design, for the daemon and for the terminal: two subscriptions and nothing
//! polled, and a frame drawn only when something visible changed (a key, a resize, a
//! new list, a line of the selected process; lines at most every [`FRAME_GAP`]). The first
//! frame is drawn before the daemon is even reached, the list as soon as it arrives.

mod feed;
mod history;
mod keys;
mod logs;
mod state;
#[cfg(test)]
mod state_tests;
mod terminal;
mod ui;

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use pm2_protocol::clock::now_ms;
use pm2_protocol::Home;
use tokio::signal::unix::{signal, SignalKind};
use tokio::time::Instant;

use feed::{Feed, Order, Update};
use logs::Entry;
use state::{Effect, Link, Monit};

/// The shortest time between two frames drawn for log lines: a burst of lines is one
/// redraw, not many. Keys, lists and the link are drawn at once.
pub const FRAME_GAP: Duration = Duration::from_millis(30);

/// Whether the screen needs a new frame, and how soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Redraw {
    /// Nothing visible changed.
    No,
    /// New log lines: within [`FRAME_GAP`] of the last frame.
    Soon,
    /// A key, a resize, a list, the link: at once.
    Now,
}

/// Runs the dashboard until the user quits (or SIGTERM/SIGHUP).
pub async fn run(home: Home) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("pm2 monit needs a terminal (use `pm2 ls` or `pm2 logs` in scripts)");
    }
    let mut screen = terminal::Screen::enter().context("cannot set up the terminal")?;
    let mut monit = Monit::new();
    let mut view = ui::View::default();
    screen.draw(|frame| ui::draw(frame, &monit, &mut view, now_ms()))?;

    let mut feed = Feed::start(home);
    let mut input = EventStream::new();
    let mut term = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let mut redraw = Redraw::No;
    let mut next_frame = Instant::now();
    loop {
        tokio::select! {
            event = input.next() => match event {
                None => break,
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                Some(Ok(TermEvent::Key(key))) => {
                    let intent = keys::intent(monit.mode(), !monit.filter().is_empty(), key);
                    if let Some(intent) = intent {
                        redraw = Redraw::Now;
                        match monit.handle(intent) {
                            Some(Effect::Quit) => break,
                            Some(effect) => perform(effect, &mut monit, &feed),
                            None => {}
                        }
                    }
                }
                Some(Ok(TermEvent::Resize(..))) => redraw = Redraw::Now,
                Some(Ok(_)) => {}
            },
            update = feed.updates.recv() => {
                let Some(update) = update else { bail!("the dashboard's connection tasks ended") };
                redraw = redraw.max(apply(update, &mut monit, &feed));
                // Take everything already waiting before drawing once.
                while let Ok(update) = feed.updates.try_recv() {
                    redraw = redraw.max(apply(update, &mut monit, &feed));
                }
            }
            _ = clock.tick() => {
                if monit.expire_notice(std::time::Instant::now()) {
                    redraw = Redraw::Now;
                }
            }
            _ = term.recv() => break,
            _ = hangup.recv() => break,
            () = tokio::time::sleep_until(next_frame), if redraw == Redraw::Soon => {}
        }
        if redraw == Redraw::Now || (redraw == Redraw::Soon && Instant::now() >= next_frame) {
            screen.draw(|frame| ui::draw(frame, &monit, &mut view, now_ms()))?;
            redraw = Redraw::No;
            next_frame = Instant::now() + FRAME_GAP;
        }
    }
    drop(screen);
    Ok(())
}

/// Carries out what the model asked for.
fn perform(effect: Effect, monit: &mut Monit, feed: &Feed) {
    match effect {
        Effect::Quit => {}
        Effect::Backfill(pm_id) => feed.send(Order::Backfill(pm_id)),
        Effect::Act(pending) => {
            monit.notify(
                format!("{} {}…", feed::doing(pending.action), pending.name),
                false,
            );
            feed.send(Order::Act {
                action: pending.action,
                pm_id: pending.pm_id,
                name: pending.name,
            });
        }
    }
}

/// Applies one update; says when the screen must show it.
fn apply(update: Update, monit: &mut Monit, feed: &Feed) -> Redraw {
    let soon_if = |visible: bool| if visible { Redraw::Soon } else { Redraw::No };
    let selected = monit.selected().map(|p| p.pm_id);
    match update {
        Update::Up => monit.link = Link::Up,
        Update::Down(reason) => monit.link = Link::Down(reason),
        Update::List { rows, sampled } => {
            if let Some(effect) = monit.set_list(rows, sampled) {
                perform(effect, monit, feed);
            }
        }
        Update::Vitals(vitals) => {
            if monit.vitals == vitals {
                return Redraw::No;
            }
            monit.vitals = vitals;
        }
        Update::Log(line) => {
            monit
                .logs
                .push(line.pm_id, Entry::new(line.stream, &line.line));
            return soon_if(Some(line.pm_id) == selected);
        }
        Update::Missed(count) => {
            monit.logs.missed += count;
            return Redraw::Soon;
        }
        Update::Backfill { pm_id, out, err } => {
            let entries =
                |stream, lines: Vec<Vec<u8>>| lines.iter().map(|l| Entry::new(stream, l)).collect();
            monit.logs.backfill(
                pm_id,
                entries(pm2_protocol::LogStream::Out, out),
                entries(pm2_protocol::LogStream::Err, err),
            );
            return soon_if(Some(pm_id) == selected);
        }
        Update::Acted { text, error } => monit.notify(text, error),
    }
    Redraw::Now
}
