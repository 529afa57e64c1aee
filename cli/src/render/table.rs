//! The `pm2 ls` table (PM2 7's `lib/API/UX/pm2-ls.js`).

use pm2_protocol::{ExecMode, ProcessInfo, Status};

use super::boxes::{fit, BoxTable, Cell};
use super::color::{status_paint, Paint};
use super::sort::SortSpec;
use super::units::{human_bytes, human_duration, js_number, round_cpu};

/// Terminal width PM2 assumes when standard output is not a terminal.
const DEFAULT_COLUMNS: usize = 300;
/// Widest the name column gets.
const NAME_COL_MAX: usize = 40;

/// The columns PM2 shows, widest layout first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Every column.
    Full,
    /// id, name, mode, ↺, status, cpu, memory.
    Condensed,
    /// id, name, status, cpu, mem.
    Mini,
}

/// The `pm2 ls` table of `procs` as PM2 prints it when its output is not a terminal: every
/// column (id, name, namespace, version, mode, pid, uptime, ↺, status, cpu, mem, user,
/// watching), rows sorted by name, no trailing newline.
///
/// With `color`, the borders, headers, ids, mode, status, user and watch state are painted
/// as PM2 paints them (status green when online, blue when launching, red otherwise).
pub fn table(procs: &[ProcessInfo], now_ms: i64, color: bool) -> String {
    table_for_width(procs, now_ms, color, None)
}

/// [`table`] for a terminal `columns` wide: like PM2, falls back to a condensed layout (id,
/// name, mode, ↺, status, cpu, memory) then a minimal one (id, name, status, cpu, mem) when
/// the full table does not fit. `None` means PM2's default of 300 columns (full table).
pub fn table_for_width(
    procs: &[ProcessInfo],
    now_ms: i64,
    color: bool,
    columns: Option<usize>,
) -> String {
    table_of_rows(
        &SortSpec::BY_NAME.sorted(procs, now_ms),
        now_ms,
        color,
        columns,
    )
}

/// [`table_for_width`] of `rows` in the order given (`pm2 ls --sort`).
pub fn table_of_rows(
    rows: &[&ProcessInfo],
    now_ms: i64,
    color: bool,
    columns: Option<usize>,
) -> String {
    let longest_name = rows.iter().map(|p| p.spec.name.chars().count()).max();
    let name_width = longest_name.map_or(11, |len| (len + 5).min(NAME_COL_MAX));
    let id_width = rows
        .iter()
        .map(|p| p.pm_id.to_string().len() + 2)
        .max()
        .unwrap_or(0)
        .max(4);

    let full = [
        ("id", id_width),
        ("name", name_width),
        ("namespace", 13),
        ("version", 9),
        ("mode", 9),
        ("pid", 10),
        ("uptime", 8),
        ("↺", 6),
        ("status", 11),
        ("cpu", 10),
        ("mem", 10),
        ("user", 10),
        ("watching", 10),
    ];
    let condensed = [
        ("id", id_width),
        ("name", name_width.min(20)),
        ("mode", 10),
        ("↺", 6),
        ("status", 11),
        ("cpu", 10),
        ("memory", 10),
    ];
    let mini = [
        ("id", id_width),
        ("name", name_width.min(16)),
        ("status", 11),
        ("cpu", 8),
        ("mem", 10),
    ];
    let table_width = |head: &[(&str, usize)]| -> usize {
        head.iter().map(|(_, w)| w).sum::<usize>() + head.len() + 1
    };
    let columns = columns.unwrap_or(DEFAULT_COLUMNS);
    let (layout, head): (Layout, &[(&str, usize)]) = if columns >= table_width(&full) {
        (Layout::Full, &full)
    } else if columns >= table_width(&condensed) {
        (Layout::Condensed, &condensed)
    } else {
        (Layout::Mini, &mini)
    };

    let mut table = BoxTable::with_head(
        head.iter().map(|(title, _)| (*title).to_owned()).collect(),
        head.iter().map(|(_, width)| *width).collect(),
    );
    for p in rows {
        table.push(row(p, now_ms, layout, name_width_of(head)));
    }
    table.render(color)
}

fn name_width_of(head: &[(&str, usize)]) -> usize {
    head.iter()
        .find(|(title, _)| *title == "name")
        .map_or(11, |(_, width)| *width)
}

fn row(p: &ProcessInfo, now_ms: i64, layout: Layout, name_width: usize) -> Vec<Cell> {
    let full = layout == Layout::Full;
    let mut cells = vec![
        // Painted bold cyan as the first cell of the row.
        Cell::plain(p.pm_id.to_string()),
        Cell::plain(fit(&p.spec.name, name_width.saturating_sub(2))),
    ];
    if full {
        cells.push(Cell::plain(p.spec.namespace.clone()));
        cells.push(Cell::plain("N/A"));
    }
    if layout != Layout::Mini {
        cells.push(match p.spec.exec_mode {
            ExecMode::Fork => Cell::new("fork", Paint::INVERSE_BOLD),
            ExecMode::Cluster => Cell::new("cluster", Paint::BLUE_BOLD),
        });
    }
    if full {
        cells.push(Cell::plain(p.pid.unwrap_or(0).to_string()));
        cells.push(Cell::plain(uptime(p, now_ms)));
    }
    if layout != Layout::Mini {
        cells.push(Cell::plain(p.restart_time.to_string()));
    }
    cells.push(Cell::new(p.status.as_str(), status_paint(p.status)));
    cells.push(Cell::plain(cpu_text(p)));
    cells.push(Cell::plain(memory_text(p)));
    if full {
        cells.push(Cell::new(fit(&p.username, 8), Paint::BOLD));
        cells.push(if p.spec.watch.enabled {
            Cell::new("enabled", Paint::GREEN_BOLD)
        } else {
            Cell::new("disabled", Paint::GREY)
        });
    }
    cells
}

/// Uptime as PM2 shows it: the short duration when online, `0` otherwise.
pub(crate) fn uptime(p: &ProcessInfo, now_ms: i64) -> String {
    if p.status == Status::Online && p.pm_uptime != 0 {
        human_duration(now_ms - p.pm_uptime)
    } else {
        "0".to_owned()
    }
}

/// The CPU and memory PM2 reports: the sample when online, zeros otherwise.
pub(crate) fn reported_monit(p: &ProcessInfo) -> (f64, u64) {
    if p.status == Status::Online {
        (round_cpu(p.monit.cpu), p.monit.memory)
    } else {
        (0.0, 0)
    }
}

fn cpu_text(p: &ProcessInfo) -> String {
    format!("{}%", js_number(reported_monit(p).0))
}

fn memory_text(p: &ProcessInfo) -> String {
    human_bytes(reported_monit(p).1)
}
