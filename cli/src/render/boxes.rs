//! Box-drawing tables as PM2 draws them with `cli-tableau` (`compact` style, one space of
//! padding each side).

use super::color::Paint;

/// One cell: its text (possibly several lines) and the style of that text.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    text: String,
    paint: Paint,
}

impl Cell {
    /// A cell with styled text.
    pub(crate) fn new(text: impl Into<String>, paint: Paint) -> Cell {
        Cell {
            text: text.into(),
            paint,
        }
    }

    /// A cell with plain text.
    pub(crate) fn plain(text: impl Into<String>) -> Cell {
        Cell::new(text, Paint::PLAIN)
    }
}

/// A table: optional header row, rows of cells, fixed or content-sized columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct BoxTable {
    head: Vec<String>,
    widths: Vec<usize>,
    rows: Vec<Vec<Cell>>,
    /// Style the first cell of every row like a header (PM2's rows given as `{ key: [..] }`).
    first_column_head: bool,
}

impl BoxTable {
    /// A table with a header row and fixed column widths (padding included).
    pub(crate) fn with_head(head: Vec<String>, widths: Vec<usize>) -> BoxTable {
        BoxTable {
            head,
            widths,
            rows: Vec::new(),
            first_column_head: true,
        }
    }

    /// A header-less key/value table sized to its content (`pm2 describe`).
    pub(crate) fn key_value() -> BoxTable {
        BoxTable {
            first_column_head: true,
            ..BoxTable::default()
        }
    }

    /// Appends a row.
    pub(crate) fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The table, without a trailing newline; empty when it has neither header nor rows.
    pub(crate) fn render(&self, color: bool) -> String {
        if self.head.is_empty() && self.rows.is_empty() {
            return String::new();
        }
        let widths = if self.widths.is_empty() {
            self.content_widths()
        } else {
            self.widths.clone()
        };
        let border = |s: &str| Paint::GREY.apply(s, color);
        let rule = |left: &str, mid: &str, right: &str| {
            let parts: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
            border(&format!("{left}{}{right}", parts.join(mid)))
        };
        let mut lines = vec![rule("┌", "┬", "┐")];
        if !self.head.is_empty() {
            let cells: Vec<String> = self
                .head
                .iter()
                .zip(&widths)
                .map(|(title, width)| Paint::BOLD_CYAN.apply(&pad(title, *width), color))
                .collect();
            lines.push(join_row(&cells, color));
        }
        for (index, row) in self.rows.iter().enumerate() {
            if index == 0 && !self.head.is_empty() {
                lines.push(rule("├", "┼", "┤"));
            }
            lines.extend(self.row_lines(row, &widths, color));
        }
        lines.push(rule("└", "┴", "┘"));
        lines.join("\n")
    }

    /// Column widths from the longest line of each column, plus the padding.
    fn content_widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.head.iter().map(|h| text_width(h) + 2).collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate() {
                let width = cell.text.split('\n').map(text_width).max().unwrap_or(0) + 2;
                match widths.get_mut(index) {
                    Some(w) => *w = (*w).max(width),
                    None => widths.push(width),
                }
            }
        }
        widths
    }

    fn row_lines(&self, row: &[Cell], widths: &[usize], color: bool) -> Vec<String> {
        let height = row
            .iter()
            .map(|cell| cell.text.split('\n').count())
            .max()
            .unwrap_or(1);
        (0..height)
            .map(|line| {
                let cells: Vec<String> = widths
                    .iter()
                    .enumerate()
                    .map(|(index, width)| {
                        let cell = row.get(index);
                        let text = cell
                            .and_then(|c| c.text.split('\n').nth(line))
                            .unwrap_or("");
                        let paint = cell.map_or(Paint::PLAIN, |c| c.paint);
                        let rendered = pad_painted(text, *width, paint, color);
                        if index == 0 && self.first_column_head {
                            Paint::BOLD_CYAN.apply(&rendered, color)
                        } else {
                            rendered
                        }
                    })
                    .collect();
                join_row(&cells, color)
            })
            .collect()
    }
}

fn join_row(cells: &[String], color: bool) -> String {
    let bar = Paint::GREY.apply("│", color);
    format!("{bar}{}{bar}", cells.join(&bar))
}

/// Width of `text` in the table: its characters.
pub(crate) fn text_width(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `width` characters with a final `…` when longer (PM2's `fitColumn`).
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text_width(text) > width {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    } else {
        text.to_owned()
    }
}

/// A plain cell: one space, the text fitted to the column, spaces up to the width.
fn pad(text: &str, width: usize) -> String {
    pad_painted(text, width, Paint::PLAIN, false)
}

/// A cell whose text is painted, padding left unpainted, as `cli-tableau` pads styled text.
fn pad_painted(text: &str, width: usize, paint: Paint, color: bool) -> String {
    let inner = width.saturating_sub(2);
    let text = fit(text, inner);
    let fill = " ".repeat(inner.saturating_sub(text_width(&text)));
    format!(" {}{fill} ", paint.apply(&text, color))
}
