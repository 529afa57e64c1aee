//! Log files: `pm2 flush`, `pm2 reloadLogs`, and an app's log options (`log_type`, date
//! prefixes, `/dev/null`, merged files, chosen paths, a path that cannot be written).

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{read, wait_until, Pm2, DEADLINE};
use serde_json::Value;

use common::logs::*;

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
        assert_eq!(lines.len(), 1, "{file}: one JSON line per write:\n{text}");
        let value: Value = serde_json::from_str(lines[0])
            .unwrap_or_else(|e| panic!("{file} is not JSON lines ({e}):\n{text}"));
        let object = value.as_object().expect("an object");
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["message", "timestamp", "type", "process_id", "app_name"],
            "{file}: {text}"
        );
        // As PM2: the output as written, its newline kept.
        assert_eq!(object["message"], format!("{message}\n"), "{file}");
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
