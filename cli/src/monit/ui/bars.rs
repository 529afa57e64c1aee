//! The one-line bars: the host panel at the top (when `pm2:sysmonit` is on) and the key
//! help at the bottom, which becomes the filter prompt or the delete question when those
//! are active.

use pm2_protocol::HostVitals;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::list::cpu_text;
use crate::monit::state::{Mode, Monit};
use crate::render::human_bytes;

const KEY: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
const DIM: Style = Style::new().fg(Color::DarkGray);

/// The host's cpu, memory, load, disk and network, on one line.
pub fn host(frame: &mut Frame, area: Rect, vitals: &HostVitals) {
    let sep = || Span::styled(" │ ", DIM);
    let label = |text: &'static str| Span::styled(text, KEY);
    let rate = |bps: u64| format!("{}/s", human_bytes(bps));
    let line = Line::from(vec![
        Span::styled(
            " Host ",
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(" "),
        label("cpu "),
        Span::raw(format!("{} ×{}", cpu_text(vitals.cpu_percent), vitals.cpus)),
        sep(),
        label("mem "),
        Span::raw(format!(
            "{}/{}",
            human_bytes(vitals.mem_used),
            human_bytes(vitals.mem_total)
        )),
        sep(),
        label("load "),
        Span::raw(format!(
            "{:.2} {:.2} {:.2}",
            vitals.load[0], vitals.load[1], vitals.load[2]
        )),
        sep(),
        label("disk "),
        Span::raw(format!(
            "r {} w {}",
            rate(vitals.disk_read_bps),
            rate(vitals.disk_write_bps)
        )),
        sep(),
        label("net "),
        Span::raw(format!(
            "↓{} ↑{}",
            rate(vitals.net_rx_bps),
            rate(vitals.net_tx_bps)
        )),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The keys of the current mode, or the question or prompt that replaces them.
pub fn help(frame: &mut Frame, area: Rect, monit: &Monit) {
    let line = match monit.mode() {
        Mode::Confirm(pending) => Line::from(vec![
            Span::styled(
                format!(" Delete {} (id {})? ", pending.name, pending.pm_id),
                Style::new()
                    .bg(Color::Red)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(" "),
            Span::styled("y", KEY),
            Span::raw(" yes  "),
            Span::styled("n", KEY),
            Span::raw(" no"),
        ]),
        Mode::Filter => Line::from(vec![
            Span::styled("filter: ", KEY),
            Span::raw(monit.filter().to_string()),
            Span::styled("█", DIM),
            Span::raw("  "),
            Span::styled("Enter", KEY),
            Span::raw(" keep  "),
            Span::styled("Esc", KEY),
            Span::raw(" clear"),
        ]),
        Mode::Browse => keys(&[
            ("↑↓/jk", "select"),
            ("r", "restart"),
            ("s", "stop"),
            ("l", "reload"),
            ("d", "delete"),
            ("/", "filter"),
            ("q", "quit"),
        ]),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn keys(pairs: &[(&'static str, &'static str)]) -> Line<'static> {
    let mut spans = Vec::with_capacity(pairs.len() * 2);
    for (i, (key, what)) in pairs.iter().enumerate() {
        let gap = if i == 0 { " " } else { "  " };
        spans.push(Span::raw(gap));
        spans.push(Span::styled(*key, KEY));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}
