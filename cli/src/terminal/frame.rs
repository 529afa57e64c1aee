//! Redrawing a block of text in place, as `watch(1)` does, without a full-screen program:
//! the cursor goes back up over the previous frame, each line is rewritten, and what is
//! left below is cleared. Earlier output and the scrollback are untouched, and the last
//! frame stays on screen after the end.
//!
//! Pure: it returns the bytes to write, so the arithmetic is tested without a terminal.

use std::fmt::Write;

/// Hides the cursor while frames are drawn.
const HIDE_CURSOR: &str = "\x1b[?25l";
/// Shows it again.
const SHOW_CURSOR: &str = "\x1b[?25h";
/// Clears the whole current line.
const CLEAR_LINE: &str = "\x1b[2K";
/// Clears from the cursor to the end of the screen.
const CLEAR_BELOW: &str = "\x1b[J";
/// Moves the cursor to the top-left corner.
const HOME: &str = "\x1b[H";
/// Resets colours, after a line cut in the middle of a coloured cell.
const RESET: &str = "\x1b[0m";

/// The state of an in-place redraw: how many rows the last frame took, and at what width.
#[derive(Debug, Default)]
pub struct InPlace {
    rows_drawn: usize,
    columns: Option<usize>,
}

impl InPlace {
    /// Nothing drawn yet.
    pub fn new() -> InPlace {
        InPlace::default()
    }

    /// The bytes that replace the previous frame with `text` on a terminal of `columns` x
    /// `rows`.
    ///
    /// Each line is cut to the width, so a line is one row and the count of rows to go back
    /// up is exact (a wrapped line would throw it off). A frame taller than the terminal is
    /// cut to leave one free row, with a last line saying how many were left out, since
    /// the cursor cannot go back above the top of the screen. After a change of width the
    /// terminal may have re-wrapped the old frame, so the screen is cleared from the top.
    pub fn frame(&mut self, text: &str, columns: usize, rows: usize) -> String {
        let columns = columns.max(1);
        let mut out = String::new();
        if self.columns.is_none() {
            out.push_str(HIDE_CURSOR);
        } else if self.columns != Some(columns) {
            out.push_str(HOME);
            out.push_str(CLEAR_BELOW);
        } else if self.rows_drawn > 0 {
            // Cursor Previous Line: up n rows, to the first column.
            let _ = write!(out, "\x1b[{}F", self.rows_drawn);
        }
        let lines = fit_rows(text, rows.saturating_sub(1).max(1));
        for line in &lines {
            out.push_str(CLEAR_LINE);
            out.push_str(&cut(line, columns));
            out.push('\n');
        }
        out.push_str(CLEAR_BELOW);
        self.rows_drawn = lines.len();
        self.columns = Some(columns);
        out
    }

    /// The bytes that end the redraw: the cursor shown again, on a clean line below the
    /// last frame (where an echoed `^C` would have been written).
    pub fn finish(&self) -> String {
        format!("\r{CLEAR_LINE}{SHOW_CURSOR}")
    }
}

/// The lines of `text`, at most `max_rows` of them: when there are more, the last kept line
/// says how many were left out.
fn fit_rows(text: &str, max_rows: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max_rows {
        return lines.into_iter().map(str::to_owned).collect();
    }
    let kept = max_rows.saturating_sub(1);
    let mut out: Vec<String> = lines[..kept].iter().map(|l| (*l).to_owned()).collect();
    out.push(format!(
        "… {} more lines (a taller terminal shows them)",
        lines.len() - kept
    ));
    out
}

/// `line` cut to `columns` visible characters; ANSI escape sequences take no room and are
/// kept, and a cut line ends with a colour reset so no colour leaks into the next row.
fn cut(line: &str, columns: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut visible = 0;
    let mut chars = line.chars().peekable();
    let mut coloured = false;
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            coloured = true;
            // CSI: ESC [, parameters, then a final byte in @..~.
            if let Some(open) = chars.next_if_eq(&'[') {
                out.push(open);
                for c in chars.by_ref() {
                    out.push(c);
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        if visible == columns {
            if coloured {
                out.push_str(RESET);
            }
            return out;
        }
        out.push(c);
        visible += 1;
    }
    out
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
