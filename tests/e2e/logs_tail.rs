//! `pm2 logs --nostream`: the last lines of each file, in PM2's formats.

use crate::common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::Pm2;

use common::logs::*;

// ---- pm2 logs --nostream: the last lines of each file ----

#[test]
fn nostream_prints_the_last_lines_of_each_file_with_pm2s_prefix() {
    let pm2 = Pm2::new();
    start_numbered(&pm2, "app", 30);
    let out_log = pm2.log("app-out.log");
    let err_log = pm2.log("app-error.log");

    let run = pm2.run(&["logs", "--nostream", "--lines", "5", "app"]).ok();
    assert!(
        !run.stdout.contains('\x1b'),
        "ANSI codes without a tty:\n{}",
        run.stdout
    );
    let tail = Tail::parse(&run.stdout);
    assert_eq!(
        tail.header,
        "[TAILING] Tailing last 5 lines for [app] process (change the value with --lines option)"
    );
    assert_eq!(tail.paths(), sorted([&out_log, &err_log]), "{}", run.stdout);
    let expected = |stream: &str| -> Vec<String> {
        (25..30)
            .map(|i| format!("0|app      | {stream} {i}"))
            .collect()
    };
    assert_eq!(tail.section(&out_log, 5), expected("out"), "{}", run.stdout);
    assert_eq!(tail.section(&err_log, 5), expected("err"), "{}", run.stdout);
}

#[test]
fn nostream_prints_fifteen_lines_by_default() {
    let pm2 = Pm2::new();
    start_numbered(&pm2, "app", 30);
    let out_log = pm2.log("app-out.log");

    let run = pm2.run(&["logs", "--nostream", "app"]).ok();
    let tail = Tail::parse(&run.stdout);
    assert_eq!(
        tail.header,
        "[TAILING] Tailing last 15 lines for [app] process (change the value with --lines option)"
    );
    let expected: Vec<String> = (15..30).map(|i| format!("0|app      | out {i}")).collect();
    assert_eq!(tail.section(&out_log, 15), expected, "{}", run.stdout);
}

#[test]
fn nostream_with_zero_lines_prints_no_past_line() {
    let pm2 = Pm2::new();
    start_numbered(&pm2, "app", 30);

    let run = pm2.run(&["logs", "--nostream", "--lines", "0", "app"]).ok();
    // As PM2: not even the header.
    assert_eq!(run.stdout, "", "stdout");
    assert_eq!(run.stderr, "", "stderr");
}

#[test]
fn nostream_raw_prints_only_messages_with_error_lines_on_stderr() {
    let pm2 = Pm2::new();
    start_numbered(&pm2, "app", 30);

    let run = pm2
        .run(&["logs", "--nostream", "--raw", "--lines", "3", "app"])
        .ok();
    let out_lines: Vec<&str> = run.stdout.lines().collect();
    for i in 27..30 {
        assert!(
            out_lines.contains(&format!("out {i}").as_str()),
            "out {i} on stdout, bare:\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains("err "),
        "error lines on stdout:\n{}",
        run.stdout
    );
    assert_eq!(run.stderr, "err 27\nerr 28\nerr 29\n", "stderr");
}

#[test]
fn nostream_for_all_includes_the_daemon_log() {
    let pm2 = Pm2::new();
    start_numbered(&pm2, "app", 30);
    let daemon_log = pm2.home().join("pm2.log");

    let run = pm2.run(&["logs", "--nostream", "--lines", "3"]).ok();
    let tail = Tail::parse(&run.stdout);
    assert_eq!(
        tail.header,
        "[TAILING] Tailing last 3 lines for [all] processes (change the value with --lines option)"
    );
    let lines = tail.section(&daemon_log, 3);
    assert!(!lines.is_empty(), "pm2.log tailed:\n{}", run.stdout);
    for line in lines {
        assert!(line.starts_with("PM2        | "), "{line:?}");
    }
    assert_eq!(
        tail.section(&pm2.log("app-out.log"), 3)
            .last()
            .map(String::as_str),
        Some("0|app      | out 29")
    );
}

#[test]
fn nostream_with_json_still_prints_the_past_lines() {
    // PM2 checks --nostream first: `pm2 logs app --nostream --json` prints the tail.
    let pm2 = Pm2::new();
    start_numbered(&pm2, "app", 30);

    let run = pm2
        .run(&["logs", "--nostream", "--json", "--lines", "2", "app"])
        .ok();
    let tail = Tail::parse(&run.stdout);
    assert_eq!(
        tail.section(&pm2.log("app-out.log"), 2),
        ["0|app      | out 28", "0|app      | out 29"],
        "stdout:\n{}",
        run.stdout
    );
}

#[test]
fn nostream_tails_a_fifty_megabyte_file_quickly() {
    let pm2 = Pm2::new();
    // The app's out log exists before it starts: the daemon appends to it.
    std::fs::create_dir_all(pm2.home().join("logs")).expect("mkdir logs");
    let out_log = pm2.log("big-out.log");
    let pad = "y".repeat(86);
    let lines = 500_000;
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&out_log).expect("create"));
        for i in 0..lines {
            writeln!(file, "line {i:08} {pad}").expect("write");
        }
        file.flush().expect("flush");
    }
    assert!(std::fs::metadata(&out_log).expect("size").len() >= 50_000_000);
    pm2.write("silent.py", "import time\ntime.sleep(100000)\n", false);
    pm2.run(&["start", "silent.py", "--name", "big"]).ok();
    pm2.wait_status(0, "online");

    let started = Instant::now();
    let run = pm2.run(&["logs", "--nostream", "--lines", "5", "big"]).ok();
    let took = started.elapsed();
    let expected: Vec<String> = (lines - 5..lines)
        .map(|i| format!("0|big      | line {i:08} {pad}"))
        .collect();
    assert_eq!(
        Tail::parse(&run.stdout).section(&out_log, 5),
        expected,
        "stdout:\n{}",
        run.stdout
    );
    assert!(
        took < Duration::from_secs(5),
        "tailing 5 lines of 50 MB took {took:?}"
    );
}
