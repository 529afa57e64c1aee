//! Drawing the dashboard from the model, with ratatui: a pure function of [`Monit`] (and
//! the scroll position of the list) onto a frame, so every layout is tested on ratatui's
//! `TestBackend` at any size.
//!
//! ```text
//! ┌ Host line (only with pm2:sysmonit) ──────────────────────────────┐
//! ┌ Processes ─────────────┐┌ <app> logs ─────────────────────────────┐
//! │› id name status cpu mem ││ live lines of the selected process       │
//! └─────────────────────────┘└──────────────────────────────────────────┘
//! ┌ <app> history ─────────┐┌ Metadata ───────────────────────────────┐
//! │ cpu / mem sparklines    ││ pid, uptime, restarts, script, paths ... │
//! └─────────────────────────┘└──────────────────────────────────────────┘
//!  keys (or the filter prompt, or the delete question)
//! ```

mod bars;
pub mod list;
pub mod panes;

#[cfg(test)]
mod tests;

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::state::{Link, Monit};

/// The smallest terminal the layout fits; below it a message says so.
pub const MIN_WIDTH: u16 = 56;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 14;

/// What the drawing remembers between frames: where the list is scrolled to, so it only
/// scrolls when the selection would leave it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// The first list row on screen.
    pub offset: usize,
}

/// Draws the whole dashboard; `now_ms` is the wall clock for uptimes.
pub fn draw(frame: &mut Frame, monit: &Monit, view: &mut View, now_ms: i64) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let host_height = u16::from(monit.vitals.is_some());
    let [host, body, help] = Layout::vertical([
        Constraint::Length(host_height),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if let Some(vitals) = &monit.vitals {
        bars::host(frame, host, vitals);
    }
    let left_width = (area.width * 2 / 5).clamp(40, 64).min(area.width / 2);
    let bottom_height = (body.height * 2 / 5).clamp(10, 14);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
    let rows = [Constraint::Fill(1), Constraint::Length(bottom_height)];
    let [list_area, history_area] = Layout::vertical(rows).areas(left);
    let [logs_area, meta_area] = Layout::vertical(rows).areas(right);
    list::draw(frame, list_area, monit, view);
    panes::history(frame, history_area, monit);
    panes::logs(frame, logs_area, monit);
    panes::metadata(frame, meta_area, monit, now_ms);
    bars::help(frame, help, monit);
    if monit.link != Link::Up {
        banner(frame, body, &monit.link);
    }
}

/// A box in the middle saying the daemon does not answer (yet), over the last data.
fn banner(frame: &mut Frame, body: Rect, link: &Link) {
    let (title, text) = match link {
        Link::Up => return,
        Link::Connecting => (" PM2 ", "connecting to the PM2 daemon…".to_string()),
        Link::Down(reason) => (
            " PM2 daemon unreachable ",
            format!("{reason}\nwaiting for it to come back… (q quits)"),
        ),
    };
    let width = body.width.saturating_sub(8).min(70);
    let height = 5.min(body.height);
    let area = Rect {
        x: body.x + (body.width - width) / 2,
        y: body.y + (body.height - height) / 2,
        width,
        height,
    };
    let style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title).border_style(style)),
        area,
    );
}

/// What is drawn on a terminal smaller than [`MIN_WIDTH`] x [`MIN_HEIGHT`].
fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from(format!(
            "terminal too small ({}x{})",
            area.width, area.height
        )),
        Line::from(format!("pm2 monit needs {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::from("q quits"),
    ];
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}
