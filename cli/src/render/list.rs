//! The process listing of `pm2 ls` (and of the commands that print it afterwards): the box
//! table or, with `-m`, the mini list, in the order `--sort` asks.

use pm2_protocol::ProcessInfo;

use super::mini::mini_list;
use super::sort::SortSpec;
use super::table::table_of_rows;

/// How the listing should look: PM2's `--sort` and `-m` flags, plus what the output allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListStyle {
    /// `--sort`; `None` keeps PM2's default (table by name, mini list by id).
    pub sort: Option<SortSpec>,
    /// `-m` / `--mini-list`.
    pub mini: bool,
    /// ANSI colours (the mini list has none, as in PM2).
    pub color: bool,
    /// Terminal width, which picks the table's layout; `None` when not a terminal (PM2
    /// assumes 300 columns, the full table).
    pub columns: Option<usize>,
}

/// The listing of `procs` in `style`, without a trailing newline.
pub fn list(procs: &[ProcessInfo], now_ms: i64, style: &ListStyle) -> String {
    if style.mini {
        let rows = style.sort.unwrap_or(SortSpec::BY_ID).sorted(procs, now_ms);
        mini_list(&rows, now_ms)
    } else {
        let rows = style
            .sort
            .unwrap_or(SortSpec::BY_NAME)
            .sorted(procs, now_ms);
        table_of_rows(&rows, now_ms, style.color, style.columns)
    }
}
