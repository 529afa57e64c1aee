//! What a user sees of logs: `pm2 logs` (tailing and following in every style), `pm2 flush`,
//! `pm2 reloadLogs`, and the log options of an app (`log_type`, date prefixes, `/dev/null`,
//! merged files, chosen paths, a path that cannot be written).
//!
//! Followers are real `pm2 logs` children with piped output, read line by line in threads
//! and waited on with deadlines; they are killed and reaped when dropped.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use common::{log_pieces, log_size, read, wait_until, Pm2, DEADLINE};
use serde_json::Value;

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

// ---- pm2 logs: following ----

#[test]
fn following_prints_new_lines_with_the_name_prefix_after_the_tail() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);
    wait_until("a few lines in the out log", || {
        read(&pm2.log("tick-out.log")).lines().count() >= 3
    });

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--lines", "2"]);
    let header = logs.out_line("the [TAILING] header", |l| l.starts_with("[TAILING]"));
    assert_eq!(
        header,
        "[TAILING] Tailing last 2 lines for [tick] process (change the value with --lines option)"
    );
    // Tailed lines have PM2's fixed 10-column name.
    let tailed = logs.out_line("a tailed line", |l| l.starts_with("0|tick     | tick "));
    let tailed_n = number_after(&tailed, "0|tick     | tick ").expect("number");
    // Followed lines use PM2's growing padding: the name column is one wider than `0|tick`.
    let live = logs.out_line("a followed out line", |l| {
        number_after(l, "0|tick  | tick ").is_some_and(|n| n > tailed_n + 1)
    });
    let live_n = number_after(&live, "0|tick  | tick ").expect("number");
    logs.out_line("three lines later", |l| {
        number_after(l, "0|tick  | tick ").is_some_and(|n| n >= live_n + 3)
    });
    // Error lines come on stdout too, with the same prefix.
    logs.out_line("a followed error line", |l| {
        l.starts_with("0|tick  | tock ")
    });
    let seen = logs.stop();
    assert!(
        !seen.out.iter().any(|l| l.contains('\x1b')),
        "ANSI codes without a tty: {:?}",
        seen.out
    );
    assert!(seen.err.is_empty(), "nothing on stderr: {:?}", seen.err);
}

#[test]
fn following_raw_prints_only_messages_with_error_lines_on_stderr() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--raw", "--lines", "0"]);
    logs.out_line("5 bare out lines", counting(5, |l| l.starts_with("tick ")));
    logs.err_line(
        "3 bare error lines on stderr",
        counting(3, |l| l.starts_with("tock ")),
    );
    let seen = logs.stop();
    for line in &seen.out {
        assert!(
            number_after(line, "tick ").is_some(),
            "stdout has only bare out lines: {line:?}"
        );
    }
    for line in &seen.err {
        assert!(
            number_after(line, "tock ").is_some(),
            "stderr has only bare error lines: {line:?}"
        );
    }
}

#[test]
fn following_json_prints_pm2s_objects() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--json"]);
    logs.out_line("an out object", |l| l.contains(r#""type":"out""#));
    logs.out_line("an err object", |l| l.contains(r#""type":"err""#));
    let seen = logs.stop();
    assert!(!seen.out.is_empty());
    for line in &seen.out {
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
        let object = value.as_object().expect("an object");
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["message", "timestamp", "type", "process_id", "app_name"],
            "{line}"
        );
        let (kind, word) = match object["type"].as_str() {
            Some("out") => ("out", "tick "),
            Some("err") => ("err", "tock "),
            other => panic!("type {other:?} in {line}"),
        };
        let message = object["message"].as_str().expect("message");
        assert!(
            number_after(message, word).is_some(),
            "{kind} message {message:?}"
        );
        assert_eq!(object["process_id"], 0, "{line}");
        assert_eq!(object["app_name"], "tick", "{line}");
        let stamp = object["timestamp"].as_str().expect("timestamp");
        assert_eq!(digits(stamp), "9999-99-99T99:99:99.999Z", "{line}");
    }
}

#[test]
fn following_format_prints_key_value_lines() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--format"]);
    let out = logs.out_line("an out line", |l| l.contains(" type=out "));
    let err = logs.out_line("an error line", |l| l.contains(" type=error "));
    logs.stop();
    for (line, kind, word) in [(&out, "out", "tick"), (&err, "error", "tock")] {
        // timestamp=2026-11-26-05:28:32+0000 app=tick id=0 type=out message=tick 15
        let (stamp, rest) = line
            .strip_prefix("timestamp=")
            .and_then(|l| l.split_once(' '))
            .unwrap_or_else(|| panic!("timestamp= first: {line:?}"));
        assert!(
            ["9999-99-99-99:99:99+9999", "9999-99-99-99:99:99-9999"]
                .contains(&digits(stamp).as_str()),
            "timestamp {stamp:?} in {line:?}"
        );
        let prefix = format!("app=tick id=0 type={kind} message={word} ");
        assert!(
            number_after(rest, &prefix).is_some(),
            "{line:?} is not `{prefix}<n>`"
        );
    }
}

#[test]
fn following_with_timestamp_prefixes_a_date() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--lines", "0", "--timestamp"]);
    let line = logs.out_line("a stamped line", |l| l.contains(" 0|tick  | tick "));
    logs.stop();
    let (stamp, rest) = line.split_once(' ').expect("a space");
    assert_eq!(digits(stamp), "9999-99-99-99:99:99", "{line:?}");
    assert!(number_after(rest, "0|tick  | tick ").is_some(), "{line:?}");

    let mut logs = Follower::start(
        &pm2,
        &["logs", "tick", "--lines", "0", "--timestamp", "HH:mm"],
    );
    let line = logs.out_line("a line stamped HH:mm", |l| l.contains(" 0|tick  | tick "));
    logs.stop();
    let (stamp, _) = line.split_once(' ').expect("a space");
    assert_eq!(digits(stamp), "99:99", "{line:?}");
}

#[test]
fn following_out_or_err_shows_only_that_stream() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--lines", "0", "--out"]);
    logs.out_line(
        "10 out lines",
        counting(10, |l| l.starts_with("0|tick  | tick ")),
    );
    let seen = logs.stop();
    let errors: Vec<&String> = seen.out.iter().filter(|l| l.contains("| tock ")).collect();
    assert!(errors.is_empty(), "--out shows error lines: {errors:?}");

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--lines", "0", "--err"]);
    logs.out_line(
        "10 error lines",
        counting(10, |l| l.starts_with("0|tick  | tock ")),
    );
    let seen = logs.stop();
    let outs: Vec<&String> = seen.out.iter().filter(|l| l.contains("| tick ")).collect();
    assert!(outs.is_empty(), "--err shows out lines: {outs:?}");

    // The tail too shows only the chosen file.
    for (flag, file) in [("--out", "tick-out.log"), ("--err", "tick-error.log")] {
        let run = pm2
            .run(&["logs", "tick", "--nostream", "--lines", "2", flag])
            .ok();
        assert_eq!(
            Tail::parse(&run.stdout).paths(),
            [pm2.log(file)],
            "{flag}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn following_goes_on_across_a_restart_and_ends_when_the_daemon_goes_away() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "tick", "--lines", "0"]);
    logs.out_line("line 3 of the first run", |l| {
        number_after(l, "0|tick  | tick ").is_some_and(|n| n >= 3)
    });
    pm2.run(&["restart", "tick"]).ok();
    // The new process counts from 0 again.
    logs.out_line("line 0 of the second run", |l| l == "0|tick  | tick 0");
    logs.out_line("line 3 of the second run", |l| l == "0|tick  | tick 3");

    pm2.run(&["kill"]).ok();
    let status = logs.wait_exit();
    assert!(status.success(), "`pm2 logs` ends cleanly: {status:?}");
    let seen = logs.stop();
    assert_eq!(
        seen.out.last().map(String::as_str),
        Some("[PM2] the daemon went away: stopped following"),
        "{:?}",
        &seen.out[seen.out.len().saturating_sub(5)..]
    );
}

#[test]
fn following_with_highlight_changes_nothing_without_a_tty() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "tick", &[]);

    let mut logs = Follower::start(
        &pm2,
        &["logs", "tick", "--lines", "0", "--highlight", "tick"],
    );
    logs.out_line("5 lines", counting(5, |l| l.starts_with("0|tick  | ")));
    let seen = logs.stop();
    for line in &seen.out {
        let plain = number_after(line, "0|tick  | tick ").is_some()
            || number_after(line, "0|tick  | tock ").is_some();
        assert!(plain, "a plain line: {line:?}");
    }
    assert!(seen.err.is_empty(), "{:?}", seen.err);
}

#[test]
fn following_all_includes_every_app_and_apps_started_later() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "one", &[]);
    start_ticker(&pm2, "two", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "all", "--lines", "0"]);
    logs.out_line("a line of app one", |l| {
        l.starts_with("0|one") && l.contains(" | tick ")
    });
    logs.out_line("a line of app two", |l| {
        l.starts_with("1|two") && l.contains(" | tick ")
    });

    start_ticker(&pm2, "three", &[]);
    logs.out_line("a line of app three, started after", |l| {
        l.starts_with("2|three  | tick ")
    });
    // The name column widened for `2|three`; the others follow it.
    logs.out_line("app one in the wider column", |l| {
        l.starts_with("0|one    | tick ")
    });
    logs.stop();

    // Without a target is the same as `all`.
    let mut logs = Follower::start(&pm2, &["logs", "--lines", "0"]);
    for name in ["0|one", "1|two", "2|three"] {
        logs.out_line(name, |l| l.starts_with(name));
    }
    logs.stop();
}

#[test]
fn following_by_namespace_or_by_id_shows_only_those_apps() {
    let pm2 = Pm2::new();
    start_ticker(&pm2, "api", &["--namespace", "back"]);
    start_ticker(&pm2, "web", &[]);

    let mut logs = Follower::start(&pm2, &["logs", "back", "--lines", "0"]);
    logs.out_line("10 lines of api", counting(10, |l| l.starts_with("0|api")));
    let seen = logs.stop();
    assert!(
        seen.out.iter().all(|l| l.starts_with("0|api  | ")),
        "namespace back is api alone: {:?}",
        seen.out
    );

    let mut logs = Follower::start(&pm2, &["logs", "1", "--lines", "0"]);
    logs.out_line("10 lines of web", counting(10, |l| l.starts_with("1|web")));
    let seen = logs.stop();
    assert!(
        seen.out.iter().all(|l| l.starts_with("1|web  | ")),
        "id 1 is web alone: {:?}",
        seen.out
    );

    // The tail of a namespace names its apps' files only.
    let run = pm2
        .run(&["logs", "back", "--nostream", "--lines", "2"])
        .ok();
    let tail = Tail::parse(&run.stdout);
    assert_eq!(
        tail.paths(),
        sorted([&pm2.log("api-out.log"), &pm2.log("api-error.log")]),
        "{}",
        run.stdout
    );
}

#[test]
fn a_slow_follower_never_blocks_the_app_and_is_told_how_many_lines_it_missed() {
    const TOTAL: u64 = 200_000;
    let pm2 = Pm2::new();
    // Says `ready` until the `go` file exists, then writes TOTAL numbered lines of ~100
    // bytes as fast as it can, then creates `done`.
    pm2.write(
        "flood.py",
        &format!(
            r#"
import os, sys, time
while not os.path.exists("go"):
    os.write(1, b"ready\n")
    time.sleep(0.02)
pad = "z" * 88
out = sys.stdout
for i in range({TOTAL}):
    out.write(f"{{i:07d}} {{pad}}\n")
out.flush()
open("done", "w").close()
time.sleep(100000)
"#
        ),
        false,
    );
    pm2.run(&["start", "flood.py", "--name", "flood"]).ok();

    // One line of room between the pipe and the test: the follower blocks on its stdout.
    let mut logs = Follower::start_bounded(&pm2, &["logs", "flood", "--raw", "--lines", "0"], 1);
    logs.out_line("the follower to be subscribed", |l| l == "ready");
    std::fs::write(pm2.work().join("go"), "").expect("go");

    // The app is not held back by the follower it cannot see.
    let out_log = pm2.log("flood-out.log");
    wait_until(
        "the app to write every line while the follower is stuck",
        || pm2.work().join("done").exists(),
    );
    // `<7 digits> <88 z>\n`: 97 bytes a line (rotated pieces included: 19 MB is past
    // pm2-logrotate's default max_size).
    wait_until("every line in the app's log file", || {
        log_size(&out_log) >= TOTAL * 97
    });

    // Now read: the follower shows what it still can and says how many lines it could not.
    let shown_and_missed = |logs: &Follower| -> (u64, u64) {
        let shown = logs
            .seen
            .out
            .iter()
            .filter(|l| l.len() > 8 && l.as_bytes()[..7].iter().all(u8::is_ascii_digit))
            .count() as u64;
        let missed: u64 = logs.seen.err.iter().filter_map(|l| missed_count(l)).sum();
        (shown, missed)
    };
    logs.drain_until("every line shown or counted as missed", |logs| {
        let (shown, missed) = shown_and_missed(logs);
        shown + missed >= TOTAL
    });
    let (shown, missed) = shown_and_missed(&logs);
    let seen = logs.stop();
    let warnings: Vec<&String> = seen
        .err
        .iter()
        .filter(|l| l.contains("lines were not shown"))
        .collect();
    assert!(
        !warnings.is_empty()
            && warnings
                .iter()
                .all(|w| missed_count(w).is_some_and(|n| n > 0)),
        "a warning with a count on stderr: {:?}",
        seen.err
    );
    assert!(
        shown < TOTAL,
        "all {TOTAL} lines shown: the follower never fell behind"
    );
    // The count is honest: a few `ready` lines may be among the missed ones, no more.
    let ready_in_log: u64 = log_pieces(&out_log)
        .iter()
        .map(|p| read(p).lines().filter(|l| l == &"ready").count() as u64)
        .sum();
    assert!(
        shown + missed <= TOTAL + ready_in_log,
        "{shown} shown + {missed} missed > {TOTAL} lines (+{ready_in_log} ready)"
    );
    // What was shown is in order, each line once, whole.
    let numbers: Vec<u64> = seen
        .out
        .iter()
        .filter(|l| *l != "ready")
        .map(|l| {
            let (n, pad) = l
                .split_once(' ')
                .unwrap_or_else(|| panic!("cut line {l:?}"));
            assert_eq!(pad, "z".repeat(88), "cut line {l:?}");
            n.parse().unwrap_or_else(|_| panic!("cut line {l:?}"))
        })
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "lines shown out of order or twice"
    );
}

// ---- pm2 flush / pm2 reloadLogs ----

#[test]
fn flush_empties_one_apps_files_while_it_keeps_writing_and_leaves_the_others() {
    let pm2 = Pm2::new();
    start_counter(&pm2, "busy");
    start_numbered(&pm2, "quiet", 3);
    let busy_out = pm2.log("busy-out.log");
    let busy_err = pm2.log("busy-error.log");
    let quiet_out = pm2.log("quiet-out.log");
    let quiet_err = pm2.log("quiet-error.log");
    wait_until("busy to write 100 lines", || {
        numbers(&busy_out).len() >= 100
    });
    wait_until("quiet to write its lines", || {
        read(&quiet_err).lines().count() == 3
    });
    let quiet_before = (read(&quiet_out), read(&quiet_err));
    let last_before = *numbers(&busy_out).last().expect("lines");

    let run = pm2.run(&["flush", "busy"]).ok();
    assert!(
        run.stdout.contains(&busy_out.display().to_string()),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&busy_err.display().to_string()),
        "{}",
        run.stdout
    );
    for quiet in [&quiet_out, &quiet_err] {
        assert!(
            !run.stdout.contains(&quiet.display().to_string()),
            "{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("Logs flushed"), "{}", run.stdout);

    // New lines appear in the emptied file, from its start (no hole of zeros).
    wait_until("busy to write 20 lines after the flush", || {
        numbers(&busy_out).len() >= 20
    });
    assert_flushed_after(&busy_out, last_before);
    assert!(
        !read(&busy_err).starts_with("e0\n"),
        "busy's error log flushed too"
    );
    assert_eq!(
        (read(&quiet_out), read(&quiet_err)),
        quiet_before,
        "another app's files are untouched"
    );
}

#[test]
fn flush_without_target_empties_every_app_and_the_daemon_log() {
    let pm2 = Pm2::new();
    start_counter(&pm2, "busy");
    start_numbered(&pm2, "quiet", 3);
    let busy_out = pm2.log("busy-out.log");
    let daemon_log = pm2.home().join("pm2.log");
    wait_until("busy to write 100 lines", || {
        numbers(&busy_out).len() >= 100
    });
    wait_until("quiet to write its lines", || {
        read(&pm2.log("quiet-error.log")).lines().count() == 3
    });
    assert!(
        read(&daemon_log).contains("daemon started"),
        "{}",
        read(&daemon_log)
    );
    let last_before = *numbers(&busy_out).last().expect("lines");

    let run = pm2.run(&["flush"]).ok();
    assert!(
        run.stdout
            .contains(&format!("Flushing {}", daemon_log.display())),
        "{}",
        run.stdout
    );
    assert_eq!(read(&pm2.log("quiet-out.log")), "", "quiet's out log");
    assert_eq!(read(&pm2.log("quiet-error.log")), "", "quiet's error log");
    assert!(
        !read(&daemon_log).contains("daemon started"),
        "pm2.log flushed: {}",
        read(&daemon_log)
    );
    wait_until("busy to write 20 lines after the flush", || {
        numbers(&busy_out).len() >= 20
    });
    assert_flushed_after(&busy_out, last_before);
}

#[test]
fn reload_logs_after_a_move_loses_no_line_and_writes_to_the_new_file() {
    let pm2 = Pm2::new();
    start_counter(&pm2, "busy");
    let out_log = pm2.log("busy-out.log");
    let moved = pm2.log("busy-out.log.1");
    wait_until("100 lines", || numbers(&out_log).len() >= 100);

    // As logrotate does: move the file away; the app's lines keep going to the moved file.
    std::fs::rename(&out_log, &moved).expect("rename");
    let at_move = numbers(&moved).len();
    wait_until("lines into the moved file", || {
        numbers(&moved).len() >= at_move + 50
    });

    let run = pm2.run(&["reloadLogs"]).ok();
    assert!(run.stdout.contains("All logs reloaded"), "{}", run.stdout);
    wait_until("lines in a new file at the old path", || {
        numbers(&out_log).len() >= 50
    });
    // From now on the moved file stays as it is.
    let moved_size = std::fs::metadata(&moved).expect("moved").len();
    let now = numbers(&out_log).len();
    wait_until("more lines in the new file", || {
        numbers(&out_log).len() >= now + 50
    });
    assert_eq!(
        std::fs::metadata(&moved).expect("moved").len(),
        moved_size,
        "lines still go to the moved file after reloadLogs"
    );

    // Stop the app: it records its last line; every line is in one file or the other.
    pm2.run(&["stop", "busy"]).ok();
    let last_file = pm2.work().join("last");
    wait_until("the app to record its last line", || {
        !read(&last_file).is_empty()
    });
    let last: u64 = read(&last_file).trim().parse().expect("a number");
    wait_until("the last line in the new file", || {
        numbers(&out_log).last() == Some(&last)
    });
    let old = numbers(&moved);
    let new = numbers(&out_log);
    let all: Vec<u64> = old.iter().chain(&new).copied().collect();
    let expected: Vec<u64> = (0..=last).collect();
    assert!(
        all == expected,
        "lines lost or repeated: moved file {}..={} ({} lines), new file {}..={} ({} lines), last {last}",
        old.first().unwrap_or(&0),
        old.last().unwrap_or(&0),
        old.len(),
        new.first().unwrap_or(&0),
        new.last().unwrap_or(&0),
        new.len()
    );
}

// ---- an app's log options ----

#[test]
fn log_type_json_writes_pm2s_json_lines() {
    let pm2 = Pm2::new();
    pm2.write("hello.py", HELLO, false);
    pm2.write(
        "ecosystem.toml",
        r#"
[[apps]]
name = "js"
script = "hello.py"
log_type = "json"

[[apps]]
name = "dated"
script = "hello.py"
log_type = "json"
log_date_format = "YYYY-MM-DD HH:mm Z"
"#,
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let files = [
        ("js-out.log", "out", r#"hello "out" ✓"#),
        ("js-error.log", "err", "hello err"),
        ("dated-out.log", "out", r#"hello "out" ✓"#),
        ("dated-error.log", "err", "hello err"),
    ];
    for (file, _, _) in files {
        wait_until(&format!("a line in {file}"), || {
            read(&pm2.log(file)).ends_with('\n')
        });
    }
    for (file, kind, message) in files {
        let text = read(&pm2.log(file));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{file}: one JSON line per output line:\n{text}"
        );
        let value: Value = serde_json::from_str(lines[0])
            .unwrap_or_else(|e| panic!("{file} is not JSON lines ({e}):\n{text}"));
        let object = value.as_object().expect("an object");
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["message", "timestamp", "type", "process_id", "app_name"],
            "{file}: {text}"
        );
        assert_eq!(object["message"], message, "{file}");
        assert_eq!(object["type"], kind, "{file}");
        let app = file.split('-').next().expect("name");
        assert_eq!(object["app_name"], app, "{file}");
        assert_eq!(object["process_id"], u64::from(app == "dated"), "{file}");
        let stamp = digits(object["timestamp"].as_str().expect("timestamp"));
        let expected = if app == "dated" {
            ["9999-99-99 99:99 +99:99", "9999-99-99 99:99 -99:99"]
        } else {
            ["9999-99-99T99:99:99.999Z"; 2]
        };
        assert!(
            expected.contains(&stamp.as_str()),
            "{file}: timestamp {stamp}"
        );
    }
}

#[test]
fn time_and_log_date_format_prefix_every_line() {
    let pm2 = Pm2::new();
    pm2.write("hello.py", HELLO, false);
    pm2.write(
        "ecosystem.toml",
        r#"
[[apps]]
name = "dated"
script = "hello.py"
log_date_format = "YYYY-MM-DD HH:mm Z"
"#,
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    pm2.run(&["start", "hello.py", "--name", "timed", "--time"])
        .ok();

    for (file, shapes, message) in [
        (
            "dated-out.log",
            ["9999-99-99 99:99 +99:99", "9999-99-99 99:99 -99:99"],
            r#"hello "out" ✓"#,
        ),
        (
            "dated-error.log",
            ["9999-99-99 99:99 +99:99", "9999-99-99 99:99 -99:99"],
            "hello err",
        ),
        (
            "timed-out.log",
            ["9999-99-99T99:99:99"; 2],
            r#"hello "out" ✓"#,
        ),
        ("timed-error.log", ["9999-99-99T99:99:99"; 2], "hello err"),
    ] {
        let path = pm2.log(file);
        wait_until(&format!("a line in {file}"), || read(&path).ends_with('\n'));
        let text = read(&path);
        let (stamp, rest) = text
            .trim_end()
            .split_once(": ")
            .unwrap_or_else(|| panic!("{file}: no `<date>: ` prefix: {text:?}"));
        assert!(shapes.contains(&digits(stamp).as_str()), "{file}: {text:?}");
        assert_eq!(rest, message, "{file}: {text:?}");
        assert_eq!(text.lines().count(), 1, "{file}: {text:?}");
    }
}

#[test]
fn dev_null_as_out_file_drops_stdout_but_keeps_errors() {
    let pm2 = Pm2::new();
    pm2.write("hello.py", HELLO, false);
    pm2.write(
        "ecosystem.toml",
        r#"
[[apps]]
name = "quiet"
script = "hello.py"
out_file = "/dev/null"
"#,
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let err_log = pm2.log("quiet-error.log");
    wait_until("the error line", || read(&err_log) == "hello err\n");
    let logs: Vec<String> = std::fs::read_dir(pm2.home().join("logs"))
        .expect("logs dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(logs, ["quiet-error.log"], "no out log is created");

    // Flushing does not touch /dev/null.
    pm2.run(&["flush"]).ok();
    assert!(
        is_char_device(Path::new("/dev/null")),
        "/dev/null is still a device"
    );

    let run = pm2.run(&["logs", "quiet", "--nostream"]).ok();
    assert_eq!(
        Tail::parse(&run.stdout).paths(),
        [err_log],
        "/dev/null is not tailed:\n{}",
        run.stdout
    );
}

#[test]
fn merge_logs_puts_two_instances_in_one_file() {
    let pm2 = Pm2::new();
    pm2.write(
        "pid.py",
        "import os, time\nos.write(1, f\"pid {os.getpid()}\\n\".encode())\ntime.sleep(100000)\n",
        false,
    );
    pm2.write(
        "ecosystem.toml",
        r#"
[[apps]]
name = "merged"
script = "pid.py"
instances = 2
merge_logs = true

[[apps]]
name = "split"
script = "pid.py"
instances = 2
"#,
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let list = pm2.wait_for("four processes online", |list| {
        list.len() == 4 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    let pids = |name: &str| -> Vec<String> {
        let mut pids: Vec<String> = list
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| format!("pid {}", p["pid"]))
            .collect();
        pids.sort();
        pids
    };

    let merged = pm2.log("merged-out.log");
    wait_until("both instances in the merged file", || {
        read(&merged).lines().count() == 2
    });
    let mut lines: Vec<String> = read(&merged).lines().map(String::from).collect();
    lines.sort();
    assert_eq!(lines, pids("merged"), "one line of each instance");
    assert!(!pm2.log("merged-out-0.log").exists());
    assert!(!pm2.log("merged-out-1.log").exists());
    // Both processes share the file: it is tailed once.
    let run = pm2
        .run(&["logs", "merged", "--nostream", "--lines", "5"])
        .ok();
    let tail = Tail::parse(&run.stdout);
    assert_eq!(
        tail.paths(),
        sorted([&merged, &pm2.log("merged-error.log")]),
        "{}",
        run.stdout
    );
    assert_eq!(tail.section(&merged, 5).len(), 2, "{}", run.stdout);

    // Without merge_logs each process has its own file, suffixed with its id.
    let split: Vec<PathBuf> = list
        .iter()
        .filter(|p| p["name"] == "split")
        .map(|p| pm2.log(&format!("split-out-{}.log", p["pm_id"])))
        .collect();
    for path in &split {
        wait_until(&format!("a line in {}", path.display()), || {
            read(path).ends_with('\n')
        });
    }
    let mut lines: Vec<String> = split
        .iter()
        .map(|p| read(p).trim_end().to_string())
        .collect();
    lines.sort();
    assert_eq!(lines, pids("split"));
    assert!(!pm2.log("split-out.log").exists());
}

#[test]
fn output_error_and_log_flags_choose_the_files() {
    let pm2 = Pm2::new();
    pm2.write("hello.py", HELLO, false);
    pm2.run(&[
        "start",
        "hello.py",
        "--name",
        "chosen",
        "-o",
        "out/o.log",
        "-e",
        "out/e.log",
        "--log",
        "out/all.log",
    ])
    .ok();
    let dir = pm2.work().join("out");
    wait_until("the error line in e.log", || {
        read(&dir.join("e.log")) == "hello err\n"
    });
    wait_until("the out line in o.log", || {
        read(&dir.join("o.log")) == "hello \"out\" ✓\n"
    });
    wait_until("both lines in all.log", || {
        read(&dir.join("all.log")).lines().count() == 2
    });
    let mut combined: Vec<String> = read(&dir.join("all.log"))
        .lines()
        .map(String::from)
        .collect();
    combined.sort();
    assert_eq!(combined, ["hello \"out\" ✓", "hello err"]);
    assert!(
        !pm2.log("chosen-out.log").exists() && !pm2.log("chosen-error.log").exists(),
        "nothing in PM2_HOME/logs"
    );
    let describe = pm2.run(&["describe", "chosen"]).ok().stdout;
    for file in ["o.log", "e.log", "all.log"] {
        assert!(
            describe.contains(&dir.join(file).display().to_string()),
            "describe names {file}:\n{describe}"
        );
    }

    // --log without a path: PM2_HOME/logs/<name>.log, beside the usual two.
    pm2.run(&["start", "hello.py", "--name", "both", "--log"])
        .ok();
    let combined = pm2.log("both.log");
    wait_until("both lines in both.log", || {
        read(&combined).lines().count() == 2
    });
    wait_until("the usual files too", || {
        read(&pm2.log("both-error.log")) == "hello err\n"
            && read(&pm2.log("both-out.log")) == "hello \"out\" ✓\n"
    });
}

#[test]
fn an_unwritable_log_path_is_reported_and_the_app_keeps_running() {
    let pm2 = Pm2::new();
    // Root ignores permissions; a path through a regular file fails for everyone.
    pm2.write("blocker", "a file, not a directory\n", false);
    start_ticker(&pm2, "stuck", &["-o", "blocker/sub/out.log"]);
    let bad = pm2.work().join("blocker/sub/out.log").display().to_string();

    let pid = pm2.wait_status(0, "online")["pid"].clone();
    let err_log = pm2.log("stuck-error.log");
    let daemon_log = pm2.home().join("pm2.log");
    wait_until("pm2.log to name the path", || {
        read(&daemon_log).contains(&bad)
    });

    // Still the same process, still writing its errors.
    let before = read(&err_log).lines().count();
    wait_until("more error lines", || {
        read(&err_log).lines().count() > before + 3
    });
    let now = pm2.process(0).expect("process 0");
    assert_eq!(now["pm2_env"]["status"], "online");
    assert_eq!(now["pid"], pid, "the app was not restarted");
    assert_eq!(now["pm2_env"]["restart_time"], 0);

    // `pm2 describe` says what is wrong.
    let mut describe = String::new();
    let deadline = Instant::now() + DEADLINE;
    while !describe.contains("log error") && Instant::now() < deadline {
        describe = pm2.run(&["describe", "stuck"]).ok().stdout;
    }
    let row = describe
        .lines()
        .find(|l| l.contains("log error"))
        .unwrap_or_else(|| panic!("no `log error` row:\n{describe}"));
    assert!(row.contains(&bad), "the row names the path: {row}");
}

// ---- helpers ----

/// Prints a line with quotes and a non-ASCII character to stdout, one to stderr, and waits.
const HELLO: &str = r#"
import sys, time
sys.stdout.write('hello "out" \u2713\n')
sys.stdout.flush()
sys.stderr.write("hello err\n")
sys.stderr.flush()
time.sleep(100000)
"#;

/// Starts `name`, which writes `out <i>` / `err <i>` for i in 0..n and idles; waits until
/// both files hold every line.
fn start_numbered(pm2: &Pm2, name: &str, n: usize) {
    pm2.write(
        "numbered.py",
        r#"
import os, sys, time
for i in range(int(sys.argv[1])):
    os.write(1, f"out {i}\n".encode())
    os.write(2, f"err {i}\n".encode())
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "numbered.py", "--name", name, "--", &n.to_string()])
        .ok();
    for file in [format!("{name}-out.log"), format!("{name}-error.log")] {
        let path = pm2.log(&file);
        wait_until(&format!("{n} lines in {file}"), || {
            read(&path).lines().count() >= n
        });
    }
}

/// Starts `name`, which writes `tick <i>` to stdout and `tock <i>` to stderr every 50 ms.
fn start_ticker(pm2: &Pm2, name: &str, extra: &[&str]) {
    pm2.write(
        "ticker.py",
        r#"
import os, time
i = 0
while True:
    os.write(1, f"tick {i}\n".encode())
    os.write(2, f"tock {i}\n".encode())
    i += 1
    time.sleep(0.05)
"#,
        false,
    );
    let mut args = vec!["start", "ticker.py", "--name", name];
    args.extend_from_slice(extra);
    pm2.run(&args).ok();
}

/// Starts `name`, which writes `0`, `1`, `2`... to stdout (one write per line, every 2 ms;
/// `e<i>` to stderr every 10th) until SIGINT, then records its last number in `last`.
fn start_counter(pm2: &Pm2, name: &str) {
    pm2.write(
        "counter.py",
        r#"
import os, signal, time
stop = False
def on_signal(*_):
    global stop
    stop = True
signal.signal(signal.SIGINT, on_signal)
i = 0
while not stop:
    os.write(1, f"{i}\n".encode())
    if i % 10 == 0:
        os.write(2, f"e{i}\n".encode())
    i += 1
    time.sleep(0.002)
with open("last", "w") as f:
    f.write(str(i - 1))
"#,
        false,
    );
    pm2.run(&["start", "counter.py", "--name", name]).ok();
}

/// The numbers of the counter's complete lines, in file order (a malformed line fails).
fn numbers(path: &Path) -> Vec<u64> {
    let text = read(path);
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("{}: malformed line {l:?}", path.display()))
        })
        .collect()
}

/// After a flush: the file holds only lines written after `last_before`, from its first
/// byte, consecutive.
fn assert_flushed_after(path: &Path, last_before: u64) {
    let bytes = std::fs::read(path).expect("read");
    assert!(
        !bytes.contains(&0),
        "{}: NUL bytes (written at the old offset)",
        path.display()
    );
    let numbers = numbers(path);
    assert!(
        numbers[0] > last_before,
        "{}: starts with line {} though the flush came after line {last_before}",
        path.display(),
        numbers[0]
    );
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "{}: lines lost or repeated after the flush",
        path.display()
    );
}

/// The number after `prefix`, when the line is exactly `prefix<number>`.
fn number_after(line: &str, prefix: &str) -> Option<u64> {
    line.strip_prefix(prefix)?.parse().ok()
}

/// The count in a `<n> lines were not shown` warning.
fn missed_count(line: &str) -> Option<u64> {
    let before = &line[..line.find(" lines were not shown")?];
    before.rsplit(' ').next()?.parse().ok()
}

/// The text with every ASCII digit as `9`: a shape to compare dates against.
fn digits(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect()
}

/// A predicate true from the `n`-th line that matches `check` on.
fn counting(n: usize, check: impl Fn(&str) -> bool) -> impl FnMut(&str) -> bool {
    let mut count = 0;
    move |line| {
        if check(line) {
            count += 1;
        }
        count >= n
    }
}

fn sorted<const N: usize>(paths: [&PathBuf; N]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    paths.sort();
    paths
}

fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

/// The output of `pm2 logs --nostream`: the `[TAILING]` header, then per file
/// `<path> last <n> lines:`, its lines, and a blank line when it had any.
struct Tail {
    header: String,
    sections: Vec<(String, Vec<String>)>,
}

impl Tail {
    fn parse(stdout: &str) -> Tail {
        let mut lines = stdout.lines();
        let header = lines.next().unwrap_or_default().to_string();
        let mut sections: Vec<(String, Vec<String>)> = Vec::new();
        for line in lines {
            if line.contains(" last ") && line.ends_with(" lines:") {
                sections.push((line.to_string(), Vec::new()));
            } else if !line.is_empty() {
                match sections.last_mut() {
                    Some((_, body)) => body.push(line.to_string()),
                    None => panic!("a line before any file header: {line:?}\n{stdout}"),
                }
            }
        }
        Tail { header, sections }
    }

    /// The files tailed, sorted.
    fn paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .sections
            .iter()
            .map(|(h, _)| PathBuf::from(h.split_once(" last ").expect("header").0))
            .collect();
        paths.sort();
        paths
    }

    /// The lines under `<path> last <n> lines:`; panics when that header is missing.
    fn section(&self, path: &Path, n: usize) -> Vec<String> {
        let header = format!("{} last {n} lines:", path.display());
        self.sections
            .iter()
            .find(|(h, _)| *h == header)
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| {
                panic!(
                    "no `{header}` in the output; headers: {:?}",
                    self.sections.iter().map(|(h, _)| h).collect::<Vec<_>>()
                )
            })
    }
}

/// What a follower printed, line by line.
#[derive(Debug, Default)]
struct Seen {
    out: Vec<String>,
    err: Vec<String>,
}

/// A running `pm2 logs` with its stdout and stderr read line by line in threads.
struct Follower {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
    seen: Seen,
}

impl Follower {
    /// Spawns `pm2 args...`; its output is read as fast as it comes.
    fn start(pm2: &Pm2, args: &[&str]) -> Follower {
        Follower::spawn(pm2, args, None)
    }

    /// Spawns `pm2 args...`; at most `room` stdout lines are read ahead of the test, so
    /// the follower blocks on a full pipe while the test does not read.
    fn start_bounded(pm2: &Pm2, args: &[&str], room: usize) -> Follower {
        Follower::spawn(pm2, args, Some(room))
    }

    fn spawn(pm2: &Pm2, args: &[&str], room: Option<usize>) -> Follower {
        let mut child = pm2
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pm2 logs");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let out = match room {
            None => {
                let (tx, rx) = mpsc::channel();
                pump(stdout, move |line| tx.send(line).is_ok());
                rx
            }
            Some(room) => {
                let (tx, rx) = mpsc::sync_channel(room);
                pump(stdout, move |line| tx.send(line).is_ok());
                rx
            }
        };
        let (tx, err) = mpsc::channel();
        pump(stderr, move |line| tx.send(line).is_ok());
        Follower {
            child,
            out,
            err,
            seen: Seen::default(),
        }
    }

    /// The next stdout line for which `check` holds; every line read is kept in `seen`.
    fn out_line(&mut self, what: &str, check: impl FnMut(&str) -> bool) -> String {
        self.next_line(what, false, check)
    }

    /// The next stderr line for which `check` holds.
    fn err_line(&mut self, what: &str, check: impl FnMut(&str) -> bool) -> String {
        self.next_line(what, true, check)
    }

    fn next_line(
        &mut self,
        what: &str,
        stderr: bool,
        mut check: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (rx, seen) = if stderr {
                (&self.err, &mut self.seen.err)
            } else {
                (&self.out, &mut self.seen.out)
            };
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if check(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out waiting for {what}; last lines: {:?}",
                    self.last_seen()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "`pm2 logs` closed its output before {what} ({:?}); last lines: {:?}",
                    self.child.try_wait(),
                    self.last_seen()
                ),
            }
        }
    }

    /// Reads both outputs until `done` holds for what was seen.
    fn drain_until(&mut self, what: &str, done: impl Fn(&Follower) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; {} out lines, stderr {:?}",
                self.seen.out.len(),
                self.seen.err
            );
            self.seen.err.extend(self.err.try_iter());
            match self.out.recv_timeout(Duration::from_millis(20)) {
                Ok(line) => self.seen.out.push(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("`pm2 logs` closed its output before {what}")
                }
            }
        }
    }

    /// The last lines read from each output, for messages.
    fn last_seen(&self) -> (&[String], &[String]) {
        let out = &self.seen.out;
        let err = &self.seen.err;
        (
            &out[out.len().saturating_sub(10)..],
            &err[err.len().saturating_sub(10)..],
        )
    }

    /// Waits for the follower to exit by itself.
    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "`pm2 logs` still running; last lines: {:?}",
                self.last_seen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills and reaps the follower; returns everything it printed that was read, plus
    /// whatever else was already in its pipes.
    fn stop(mut self) -> Seen {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes close with the child: the readers finish what was written.
        let deadline = Instant::now() + DEADLINE;
        while let Ok(line) = self
            .out
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.out.push(line);
        }
        while let Ok(line) = self.err.recv_timeout(Duration::from_millis(200)) {
            self.seen.err.push(line);
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `stream` line by line (bytes decoded lossily, newline removed) in a thread and
/// hands each to `send`, until the stream ends or `send` says stop.
fn pump(stream: impl Read + Send + 'static, send: impl Fn(String) -> bool + Send + 'static) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if buffer.last() == Some(&b'\n') {
                        buffer.pop();
                    }
                    if !send(String::from_utf8_lossy(&buffer).into_owned()) {
                        return;
                    }
                }
            }
        }
    });
}
