//! The process list pane: id, name, status, cpu and memory of each visible process, with a
//! small cpu history when there is room, the selected row highlighted and marked.

use pm2_protocol::{ProcessInfo, Status};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::View;
use crate::monit::state::{Mode, Monit};
use crate::render::human_bytes;

/// Inner width from which each row also shows its cpu history.
const SPARK_FROM_WIDTH: u16 = 52;
/// Width of that history.
const SPARK_WIDTH: u16 = 10;

/// Draws the list in `area`, scrolling `view` so the selection stays in sight.
pub fn draw(frame: &mut Frame, area: Rect, monit: &Monit, view: &mut View) {
    let visible = monit.visible();
    let mut title = format!(" Processes {} ", monit.processes().len());
    if !monit.filter().is_empty() || *monit.mode() == Mode::Filter {
        title = format!(
            " Processes {}/{} · filter: {} ",
            visible.len(),
            monit.processes().len(),
            monit.filter()
        );
    }
    let mut block = Block::bordered()
        .title(title)
        .border_style(Style::new().fg(Color::Blue));
    if let Some(notice) = &monit.notice {
        let color = if notice.error {
            Color::Red
        } else {
            Color::Green
        };
        block = block.title_bottom(Line::styled(
            format!(" {} ", notice.text),
            Style::new().fg(color).add_modifier(Modifier::BOLD),
        ));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let empty = if !monit.loaded() {
        Some("loading…".to_string())
    } else if monit.processes().is_empty() {
        Some("no process yet: pm2 start <app>".to_string())
    } else if visible.is_empty() {
        Some(format!("no name contains {:?}", monit.filter()))
    } else {
        None
    };
    if let Some(text) = empty {
        let style = Style::new().fg(Color::DarkGray);
        frame.render_widget(Paragraph::new(Span::styled(text, style)), inner);
        return;
    }

    let rows_height = usize::from(inner.height.saturating_sub(1));
    let selected = monit.selected_index();
    view.offset = scroll(view.offset, selected, rows_height, visible.len());
    let with_spark = inner.width >= SPARK_FROM_WIDTH;
    let id_width = visible
        .iter()
        .map(|p| p.pm_id.to_string().len())
        .max()
        .unwrap_or(1)
        .max(2) as u16;
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(id_width),
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(7),
    ];
    let mut header = vec!["", "id", "name", "status", "  cpu", "    mem"];
    if with_spark {
        widths.push(Constraint::Length(SPARK_WIDTH));
        header.push("cpu ~2m");
    }
    let rows = visible
        .iter()
        .enumerate()
        .skip(view.offset)
        .take(rows_height)
        .map(|(index, p)| row(p, monit, Some(index) == selected, with_spark));
    let header = Row::new(header).style(Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD));
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, inner);
}

/// The first row to show so that `selected` is on screen, moving as little as possible.
pub fn scroll(offset: usize, selected: Option<usize>, height: usize, len: usize) -> usize {
    let height = height.max(1);
    let mut offset = offset.min(len.saturating_sub(height));
    if let Some(selected) = selected {
        if selected < offset {
            offset = selected;
        } else if selected >= offset + height {
            offset = selected + 1 - height;
        }
    }
    offset
}

fn row<'a>(p: &'a ProcessInfo, monit: &Monit, selected: bool, with_spark: bool) -> Row<'a> {
    let (status, color) = status_label(p.status);
    let mut cells = vec![
        Cell::from(if selected { "›" } else { " " }),
        Cell::from(p.pm_id.to_string()),
        Cell::from(p.spec.name.as_str()),
        Cell::from(Span::styled(status, Style::new().fg(color))),
        Cell::from(format!("{:>5}", cpu_text(p.monit.cpu))),
        Cell::from(format!("{:>7}", human_bytes(p.monit.memory))),
    ];
    if with_spark {
        let cpu: Vec<f64> = monit
            .history
            .get(p.pm_id)
            .map(|s| s.cpu().iter().map(|&c| f64::from(c)).collect())
            .unwrap_or_default();
        cells.push(Cell::from(Span::styled(
            spark_text(&cpu, usize::from(SPARK_WIDTH)),
            Style::new().fg(Color::Cyan),
        )));
    }
    let style = if selected {
        Style::new()
            .bg(Color::Blue)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    Row::new(cells).style(style)
}

/// PM2's status names, shortened to fit the column, and their colour.
pub fn status_label(status: Status) -> (&'static str, Color) {
    match status {
        Status::Online => ("online", Color::Green),
        Status::Launching => ("launch", Color::Yellow),
        Status::Stopping => ("stopping", Color::Yellow),
        Status::WaitingRestart => ("waiting", Color::Yellow),
        Status::Stopped => ("stopped", Color::Red),
        Status::Errored => ("errored", Color::Red),
    }
}

/// `0.3%`, `12%`, `150%`.
pub fn cpu_text(cpu: f32) -> String {
    if cpu < 9.95 {
        format!("{cpu:.1}%")
    } else {
        format!("{cpu:.0}%")
    }
}

/// The last `width` values as block characters, scaled to their maximum (at least 1, so
/// an idle process reads as flat rather than as noise blown up).
pub fn spark_text(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().fold(1.0_f64, f64::max);
    let mut text: String = tail
        .iter()
        .map(|v| {
            let level = (v.max(0.0) / max * 7.0).round() as usize;
            BARS[level.min(7)]
        })
        .collect();
    let pad = width.saturating_sub(tail.len());
    text.insert_str(0, &" ".repeat(pad));
    text
}
