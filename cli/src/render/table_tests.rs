//! Tests of the `pm2 ls` table, against the layout of PM2 7.0.4's output.

use pm2_protocol::{ExecMode, Status};

use super::fixture::{process, stopped, NOW};
use super::{table, table_for_width};

const HEADER: &str = "│ id │ name         │ namespace   │ version │ mode    │ pid      │ uptime │ ↺    │ status    │ cpu      │ mem      │ user     │ watching │";

#[test]
fn full_table_matches_pm2() {
    let mut api = process(0, "api");
    api.spec.exec_mode = ExecMode::Cluster;
    let procs = [stopped(1, "it's-long"), api];
    let expected = [
        "┌────┬──────────────┬─────────────┬─────────┬─────────┬──────────┬────────┬──────┬───────────┬──────────┬──────────┬──────────┬──────────┐",
        HEADER,
        "├────┼──────────────┼─────────────┼─────────┼─────────┼──────────┼────────┼──────┼───────────┼──────────┼──────────┼──────────┼──────────┤",
        "│ 0  │ api          │ default     │ N/A     │ cluster │ 4242     │ 5m     │ 1    │ online    │ 0.5%     │ 12.3mb   │ u        │ disabled │",
        "│ 1  │ it's-long    │ default     │ N/A     │ fork    │ 0        │ 0      │ 1    │ stopped   │ 0%       │ 0b       │ u        │ disabled │",
        "└────┴──────────────┴─────────────┴─────────┴─────────┴──────────┴────────┴──────┴───────────┴──────────┴──────────┴──────────┴──────────┘",
    ]
    .join("\n");
    assert_eq!(table(&procs, NOW, false), expected);
}

#[test]
fn empty_table_has_headers_only() {
    let expected = [
        "┌────┬───────────┬─────────────┬─────────┬─────────┬──────────┬────────┬──────┬───────────┬──────────┬──────────┬──────────┬──────────┐",
        "│ id │ name      │ namespace   │ version │ mode    │ pid      │ uptime │ ↺    │ status    │ cpu      │ mem      │ user     │ watching │",
        "└────┴───────────┴─────────────┴─────────┴─────────┴──────────┴────────┴──────┴───────────┴──────────┴──────────┴──────────┴──────────┘",
    ]
    .join("\n");
    assert_eq!(table(&[], NOW, false), expected);
}

#[test]
fn header_words_are_pm2s() {
    let text = table(&[process(0, "api")], NOW, false);
    let header: Vec<&str> = text
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split('│')
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "name",
            "namespace",
            "version",
            "mode",
            "pid",
            "uptime",
            "↺",
            "status",
            "cpu",
            "mem",
            "user",
            "watching"
        ]
    );
}

#[test]
fn rows_are_sorted_by_name() {
    let procs = [process(0, "zeta"), process(1, "alpha"), process(2, "mid")];
    let text = table(&procs, NOW, false);
    let names: Vec<&str> = text
        .lines()
        .skip(3)
        .filter_map(|line| line.split('│').nth(2))
        .map(str::trim)
        .collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
}

#[test]
fn no_escape_codes_without_color() {
    let procs = [process(0, "api"), stopped(1, "worker")];
    assert!(!table(&procs, NOW, false).contains('\x1b'));
}

#[test]
fn status_is_coloured_only_with_color() {
    let mut launching = process(2, "boot");
    launching.status = Status::Launching;
    let procs = [process(0, "api"), stopped(1, "worker"), launching];
    let text = table(&procs, NOW, true);
    assert!(text.contains("\x1b[32m\x1b[1monline\x1b[22m\x1b[39m"));
    assert!(text.contains("\x1b[31m\x1b[1mstopped\x1b[22m\x1b[39m"));
    assert!(text.contains("\x1b[34m\x1b[1mlaunching\x1b[22m\x1b[39m"));
    // Headers bold cyan, borders grey, `fork` inverse, `disabled` grey.
    assert!(text.contains("\x1b[1m\x1b[36m id \x1b[39m\x1b[22m"));
    assert!(text.starts_with("\x1b[90m┌"));
    assert!(text.contains("\x1b[7m\x1b[1mfork\x1b[22m\x1b[27m"));
    assert!(text.contains("\x1b[90mdisabled\x1b[39m"));
}

#[test]
fn coloured_cells_keep_their_width() {
    let text = table(&[process(0, "api")], NOW, true);
    assert!(text.contains(" \x1b[32m\x1b[1monline\x1b[22m\x1b[39m    \x1b[90m│\x1b[39m"));
}

#[test]
fn errored_process_shows_zeros() {
    let mut crashed = stopped(3, "crash");
    crashed.status = Status::Errored;
    crashed.restart_time = 15;
    let text = table(&[crashed], NOW, false);
    assert!(
        text.contains(
            "│ 3  │ crash    │ default     │ N/A     │ fork    │ 0        │ 0      │ 15   │ errored   │ 0%       │ 0b       │ u        │ disabled │"
        ),
        "{text}"
    );
}

#[test]
fn long_names_are_cut_at_forty_columns() {
    let name = "a".repeat(50);
    let text = table(&[process(0, &name)], NOW, false);
    let cell = format!(" {}… ", "a".repeat(37));
    assert!(text.contains(&format!("│{cell}│")), "{text}");
}

#[test]
fn id_column_widens_for_long_ids() {
    let text = table(&[process(12345, "api")], NOW, false);
    assert!(text.contains("│ 12345 │ api "), "{text}");
    assert!(text
        .lines()
        .nth(1)
        .unwrap_or_default()
        .starts_with("│ id    │"));
}

#[test]
fn narrow_terminals_get_condensed_then_mini_tables() {
    let procs = [process(0, "api")];
    let condensed = table_for_width(&procs, NOW, false, Some(100));
    assert_eq!(
        condensed.lines().nth(1),
        Some("│ id │ name   │ mode     │ ↺    │ status    │ cpu      │ memory   │")
    );
    assert!(
        condensed.contains("│ 0  │ api    │ fork     │ 1    │ online    │ 0.5%     │ 12.3mb   │")
    );
    let mini = table_for_width(&procs, NOW, false, Some(60));
    assert_eq!(
        mini.lines().nth(1),
        Some("│ id │ name   │ status    │ cpu    │ mem      │")
    );
    let full = table_for_width(&procs, NOW, false, Some(200));
    assert_eq!(full, table(&procs, NOW, false));
}
