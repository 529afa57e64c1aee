//! `pm2 logs` following: every style and filter, across restarts, and slow followers.
//!
//! Followers are real `pm2 logs` children with piped output, read line by line in threads
//! and waited on with deadlines; they are killed and reaped when dropped.

use crate::common;

use common::{log_pieces, log_size, read, wait_until, Pm2};
use serde_json::Value;

use common::logs::*;

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
