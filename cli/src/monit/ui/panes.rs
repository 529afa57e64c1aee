//! The selected process's panes: its live log lines, its metadata, and its cpu and memory
//! history as sparklines.

use pm2_protocol::{LogStream, ProcessInfo};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Sparkline};
use ratatui::Frame;

use super::list::cpu_text;
use crate::monit::state::Monit;
use crate::render::{human_bytes, human_duration};

const DIM: Style = Style::new().fg(Color::DarkGray);

/// The last lines of the selected process, newest at the bottom, long lines wrapped.
pub fn logs(frame: &mut Frame, area: Rect, monit: &Monit) {
    let selected = monit.selected();
    let title = match selected {
        Some(p) => format!(" {} logs ", p.spec.name),
        None => " Logs ".to_string(),
    };
    let mut block = Block::bordered().title(title).padding(Padding::left(1));
    if monit.logs.missed > 0 {
        block = block.title_bottom(Line::styled(
            format!(" {} lines missed ", monit.logs.missed),
            Style::new().fg(Color::Yellow),
        ));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(p) = selected else { return };
    let entries = monit.logs.lines(p.pm_id);
    if entries.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled("no output yet", DIM)), inner);
        return;
    }
    let width = usize::from(inner.width.max(1));
    let height = usize::from(inner.height);
    let mut shown: Vec<Line> = Vec::with_capacity(height);
    'entries: for entry in entries.iter().rev() {
        let style = match entry.stream {
            LogStream::Out => Style::new(),
            LogStream::Err => Style::new().fg(Color::Red),
        };
        for piece in wrap(&entry.text, width).into_iter().rev() {
            if shown.len() == height {
                break 'entries;
            }
            shown.push(Line::styled(piece, style));
        }
    }
    shown.reverse();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// `text` cut into pieces of at most `width` characters (one empty piece for an empty line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// What the selected process is: pid, uptime, restarts, mode, instances, watch,
/// namespace, interpreter, script, cwd and log paths. One value per line when the pane is
/// tall enough, else the short ones share lines.
pub fn metadata(frame: &mut Frame, area: Rect, monit: &Monit, now_ms: i64) {
    let block = Block::bordered()
        .title(" Metadata ")
        .padding(Padding::left(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(p) = monit.selected() else { return };
    let fields = fields(p, now_ms);
    let width = usize::from(inner.width);
    let key = Style::new().fg(Color::Cyan);
    let lines: Vec<Line> = if fields.len() <= usize::from(inner.height) {
        fields
            .iter()
            .map(|(k, v)| {
                Line::from(vec![
                    Span::styled(format!("{k:<12}"), key),
                    Span::raw(tail_fit(v, width.saturating_sub(12))),
                ])
            })
            .collect()
    } else {
        let (short, long) = fields.split_at(SHORT_FIELDS);
        let mut lines = pack(short, width, key);
        lines.extend(long.iter().map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k} "), key),
                Span::raw(tail_fit(v, width.saturating_sub(k.len() + 1))),
            ])
        }));
        lines
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Short `key value` pairs on as few lines as `width` allows, in order, ` · ` between them.
fn pack(fields: &[(&'static str, String)], width: usize, key: Style) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    for (k, v) in fields {
        let size = k.chars().count() + 1 + v.chars().count();
        if used > 0 && used + 3 + size > width {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::styled(" · ", DIM));
            used += 3;
        }
        spans.push(Span::styled(format!("{k} "), key));
        spans.push(Span::raw(v.clone()));
        used += size;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
}

/// How many of [`fields`] are short enough to share a line.
const SHORT_FIELDS: usize = 8;

fn fields(p: &ProcessInfo, now_ms: i64) -> Vec<(&'static str, String)> {
    let spec = &p.spec;
    let path = |path: &Option<std::path::PathBuf>| {
        path.as_ref()
            .map_or("/dev/null".to_string(), |p| p.display().to_string())
    };
    let watch = if spec.watch.enabled { "✔" } else { "✘" };
    let mut interpreter = spec.interpreter_name().to_string();
    if !spec.interpreter_args.is_empty() {
        interpreter = format!("{interpreter} {}", spec.interpreter_args.join(" "));
    }
    let mut script = spec.exec_path.display().to_string();
    if !spec.args.is_empty() {
        script = format!("{script} {}", spec.args.join(" "));
    }
    let mut fields = vec![
        (
            "pid",
            p.pid.map_or("N/A".to_string(), |pid| pid.to_string()),
        ),
        ("uptime", human_duration(p.uptime_ms(now_ms))),
        ("restarts", p.restart_time.to_string()),
        ("mode", spec.exec_mode.short_name().to_string()),
        ("instances", spec.instances.to_string()),
        ("watch", watch.to_string()),
        ("namespace", spec.namespace.clone()),
        ("interpreter", interpreter),
        ("script", script),
        ("cwd", spec.cwd.display().to_string()),
        ("out log", path(&p.out_log)),
        ("error log", path(&p.err_log)),
    ];
    if let Some(log) = &p.combined_log {
        fields.push(("log", log.display().to_string()));
    }
    if let Some(error) = &p.log_error {
        fields.push(("log error", error.clone()));
    }
    if let Some(error) = &p.last_error {
        fields.push(("last error", error.clone()));
    }
    fields
}

/// `text` if it fits in `width` characters, else its end after a `…` (the end of a path is
/// what tells files apart).
pub fn tail_fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep: String = text.chars().skip(count - (width - 1)).collect();
    format!("…{keep}")
}

/// The selected process's cpu and memory over the last minutes.
pub fn history(frame: &mut Frame, area: Rect, monit: &Monit) {
    let selected = monit.selected();
    let title = match selected {
        Some(p) => format!(" {} history ", p.spec.name),
        None => " History ".to_string(),
    };
    let block = Block::bordered().title(title).padding(Padding::left(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (Some(p), Some(series)) = (selected, selected.and_then(|p| monit.history.get(p.pm_id)))
    else {
        return;
    };
    if series.is_empty() {
        return;
    }
    let width = usize::from(inner.width);
    let skip = series.len().saturating_sub(width);
    let cpu: Vec<u64> = series
        .cpu()
        .iter()
        .skip(skip)
        .map(|c| (c * 10.0) as u64)
        .collect();
    let memory: Vec<u64> = series.memory().iter().skip(skip).copied().collect();
    let cpu_max = series.cpu().iter().copied().fold(0.0_f32, f32::max);
    let mem_max = series.memory().iter().copied().max().unwrap_or(0);
    let [cpu_label, cpu_area, mem_label, mem_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let label = |name: &str, now: String, max: String| {
        Line::from(vec![
            Span::styled(
                format!("{name} "),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(now),
            Span::styled(format!("  max {max}"), DIM),
        ])
    };
    frame.render_widget(
        label("cpu", cpu_text(p.monit.cpu), cpu_text(cpu_max)),
        cpu_label,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&cpu)
            .max(cpu.iter().copied().max().unwrap_or(0).max(10))
            .style(Style::new().fg(Color::Cyan)),
        cpu_area,
    );
    frame.render_widget(
        label("mem", human_bytes(p.monit.memory), human_bytes(mem_max)),
        mem_label,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&memory)
            .max(mem_max.max(1))
            .style(Style::new().fg(Color::Magenta)),
        mem_area,
    );
}
