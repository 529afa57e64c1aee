//! What users read and script against: `jlist`, `prettylist`, `ls`, `describe`, `pid`, `id`,
//! in PM2's shapes.

use crate::common;

use common::Pm2;
use pm2_protocol::procfs::parse_pids;
use serde_json::Value;

/// A bash app that stays up.
const IDLE_SH: &str = "while true; do sleep 1; done\n";

#[test]
fn jlist_has_pm2s_shape_and_json_types() {
    let pm2 = Pm2::new();
    let script = pm2.write("idle.sh", IDLE_SH, false);
    pm2.run_env(
        &["start", "idle.sh", "--name", "shape"],
        &[("PM2_E2E_MARKER", "marker-value")],
    )
    .ok();
    let p = pm2.wait_status(0, "online");

    assert_eq!(p["pm_id"].as_u64(), Some(0), "pm_id: {p:#}");
    assert_eq!(p["name"], "shape");
    assert!(p["pid"].as_u64().unwrap_or(0) > 0, "pid: {}", p["pid"]);
    assert!(
        p["monit"]["memory"].is_u64(),
        "monit.memory: {}",
        p["monit"]
    );
    assert!(p["monit"]["cpu"].is_number(), "monit.cpu: {}", p["monit"]);

    let env = &p["pm2_env"];
    assert_eq!(env["status"], "online");
    assert_eq!(env["restart_time"].as_u64(), Some(0), "restart_time");
    assert_eq!(
        env["unstable_restarts"].as_u64(),
        Some(0),
        "unstable_restarts"
    );
    let created_at = env["created_at"].as_i64().expect("created_at is a number");
    let pm_uptime = env["pm_uptime"].as_i64().expect("pm_uptime is a number");
    // Milliseconds since the epoch: after 2020 and no earlier than the creation.
    assert!(created_at > 1_577_836_800_000, "created_at {created_at}");
    assert!(
        pm_uptime >= created_at,
        "pm_uptime {pm_uptime} < created_at {created_at}"
    );
    assert_eq!(env["exec_mode"], "fork_mode");
    assert_eq!(env["instances"].as_u64(), Some(1), "instances");
    assert_eq!(env["namespace"], "default");
    assert_eq!(env["exec_interpreter"], "bash");
    assert_eq!(
        path_of(&env["pm_exec_path"]),
        canonical(&script),
        "pm_exec_path"
    );
    assert_eq!(path_of(&env["pm_cwd"]), canonical(pm2.work()), "pm_cwd");
    for key in ["pm_out_log_path", "pm_err_log_path", "pm_pid_path"] {
        let path = env[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is a string"));
        assert!(path.starts_with('/'), "{key} is not absolute: {path}");
    }
    assert_eq!(
        env["pm_out_log_path"].as_str(),
        pm2.log("shape-out.log").to_str()
    );
    assert_eq!(
        env["pm_err_log_path"].as_str(),
        pm2.log("shape-error.log").to_str()
    );
    assert!(env["env"].is_object(), "pm2_env.env: {}", env["env"]);
    assert_eq!(
        env["env"]["PM2_E2E_MARKER"], "marker-value",
        "the caller's environment should be in pm2_env.env"
    );
}

#[test]
fn jlist_of_a_stopped_app_has_pid_0_and_zero_monit() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    pm2.run(&["start", "idle.sh", "--name", "idle"]).ok();
    pm2.wait_status(0, "online");
    pm2.run(&["stop", "idle"]).ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pid"].as_u64(), Some(0), "pid: {}", p["pid"]);
    assert_eq!(p["monit"]["memory"].as_u64(), Some(0), "{}", p["monit"]);
    assert_eq!(p["monit"]["cpu"].as_f64(), Some(0.0), "{}", p["monit"]);
}

#[test]
fn jlist_and_prettylist_escape_awkward_strings_as_node_does() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    // util.inspect picks the quote by content: ' then " then `, escaping ' as a last resort.
    let values = [
        ("PM2_E2E_PLAIN", "plain words é ✓"),
        ("PM2_E2E_APOSTROPHE", "it's"),
        ("PM2_E2E_DOUBLE", "say \"hi\""),
        ("PM2_E2E_BOTH", "it's \"quoted\""),
        ("PM2_E2E_ALL", "it's \"quoted\" `ticked`"),
        (
            "PM2_E2E_ESCAPES",
            "back\\slash\nnew line\ttab\u{1}ctl\u{7f}del",
        ),
    ];
    pm2.run_env(&["start", "idle.sh", "--name", "odd"], &values)
        .ok();
    let p = pm2.wait_status(0, "online");
    let prettylist = pm2.run(&["prettylist"]).ok().stdout;

    for (key, value) in values {
        assert_eq!(p["pm2_env"]["env"][key], value, "jlist value of {key}");
        let line = prettylist
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("no {key} in prettylist:\n{prettylist}"));
        assert_eq!(
            line.trim_end_matches(','),
            format!("{key}: {}", node_inspect(value)),
            "prettylist notation of {key}"
        );
    }
}

#[test]
fn jlist_copies_the_environment_into_pm2_env_as_pm2_does() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    pm2.run_env(
        &["start", "idle.sh", "--name", "envy"],
        &[("PM2_E2E_MARKER", "marker-value")],
    )
    .ok();
    let p = pm2.wait_status(0, "online");
    // PM2 7 merges the app's environment into pm2_env itself: `pm2_env.PORT` works in jq.
    assert_eq!(
        p["pm2_env"]["PM2_E2E_MARKER"], "marker-value",
        "pm2_env.PM2_E2E_MARKER, as in PM2 7"
    );
}

#[test]
fn monit_memory_of_a_running_app_becomes_positive() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    pm2.run(&["start", "idle.sh"]).ok();
    pm2.wait_status(0, "online");
    let list = pm2.wait_for("monit.memory > 0", |list| {
        list.first()
            .and_then(|p| p["monit"]["memory"].as_u64())
            .is_some_and(|m| m > 0)
    });
    assert!(list[0]["monit"]["cpu"].is_number(), "{}", list[0]["monit"]);
}

#[test]
fn monit_memory_sums_the_whole_process_tree() {
    let pm2 = Pm2::new();
    pm2.write(
        "tree.sh",
        "sleep 1000 &\n\
         python3 -c '\n\
         import time\n\
         end = time.time() + 5\n\
         while time.time() < end: pass\n\
         time.sleep(1000)\n\
         ' &\n\
         wait\n",
        false,
    );
    pm2.run(&["start", "tree.sh", "--name", "tree"]).ok();
    let p = pm2.wait_status(0, "online");
    let bash = p["pid"].as_u64().expect("pid") as u32;

    // The monitor samples each second; the members' RSS moves a little between samples.
    let list = pm2.wait_for("monit.memory to cover the whole tree", |list| {
        let Some(memory) = list.first().and_then(|p| p["monit"]["memory"].as_u64()) else {
            return false;
        };
        let members = descendants(bash);
        let (Some(own), sum) = (
            common::rss_bytes(bash as i32),
            members
                .iter()
                .filter_map(|&m| common::rss_bytes(m as i32))
                .sum::<u64>(),
        ) else {
            return false;
        };
        members.len() >= 3 && memory > own && memory as f64 >= sum as f64 * 0.8
    });
    assert!(list[0]["monit"]["cpu"].is_number(), "{}", list[0]["monit"]);
}

#[test]
fn prettylist_uses_util_inspect_notation() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    pm2.run(&["start", "idle.sh", "--name", "pretty"]).ok();
    pm2.wait_status(0, "online");
    let run = pm2.run(&["prettylist"]).ok();
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .collect();
    for expected in ["name: 'pretty'", "status: 'online'", "restart_time: 0"] {
        assert!(
            lines.contains(&expected),
            "prettylist lacks a line {expected:?}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn ls_without_a_terminal_is_a_plain_table_with_one_row_per_process() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    pm2.run(&["start", "idle.sh", "--name", "alpha"]).ok();
    pm2.run(&["start", "idle.sh", "--name", "beta"]).ok();
    pm2.wait_status(0, "online");
    pm2.wait_status(1, "online");

    for args in [&["ls"][..], &["ls", "--no-color"], &["list"], &["status"]] {
        let run = pm2.run(args).ok();
        assert!(
            !run.stdout.contains('\x1b'),
            "`pm2 {}` printed ANSI escapes without a terminal:\n{:?}",
            args.join(" "),
            run.stdout
        );
        let rows = table_rows(&run.stdout);
        assert_header(&rows, &run.stdout);
        let body = &rows[1..];
        assert_eq!(body.len(), 2, "one row per process:\n{}", run.stdout);
        for (row, (id, name)) in body.iter().zip([("0", "alpha"), ("1", "beta")]) {
            assert_eq!(row[0], id, "{}", run.stdout);
            assert_eq!(row[1], name, "{}", run.stdout);
            assert!(row.contains(&"online".to_string()), "{}", run.stdout);
        }
    }
}

#[test]
fn ls_with_no_apps_is_an_empty_table() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["ls"]).ok();
    let table: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("[PM2]"))
        .collect();
    assert_eq!(
        table.len(),
        3,
        "top border, header, bottom border:\n{}",
        run.stdout
    );
    let rows = table_rows(&run.stdout);
    assert_header(&rows, &run.stdout);
    assert_eq!(rows.len(), 1, "no process rows:\n{}", run.stdout);
}

#[test]
fn describe_shows_status_script_and_log_paths() {
    let pm2 = Pm2::new();
    let script = pm2.write("idle.sh", IDLE_SH, false);
    pm2.run(&["start", "idle.sh", "--name", "described"]).ok();
    pm2.wait_status(0, "online");

    for target in ["described", "0"] {
        let run = pm2.run(&["describe", target]).ok();
        let out = &run.stdout;
        assert!(
            !out.contains('\x1b'),
            "ANSI escapes without a terminal:\n{out:?}"
        );
        assert!(out.contains("described"), "{out}");
        assert!(has_row(out, "status", "online"), "status row:\n{out}");
        assert!(
            has_row(out, "script path", &canonical(&script)),
            "script path row:\n{out}"
        );
        let out_log = pm2.log("described-out.log").display().to_string();
        let err_log = pm2.log("described-error.log").display().to_string();
        assert!(
            has_row(out, "out log path", &out_log),
            "out log row:\n{out}"
        );
        assert!(
            has_row(out, "error log path", &err_log),
            "error log row:\n{out}"
        );
    }
}

#[test]
fn describe_of_an_unknown_name_is_a_one_line_error() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let run = pm2.run(&["describe", "nosuch"]).failed();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", run.stderr);
    assert!(lines[0].contains("nosuch"), "{}", lines[0]);
    assert!(run.stdout.trim().is_empty(), "stdout: {:?}", run.stdout);
}

#[test]
fn pid_and_id_print_what_pm2_prints() {
    let pm2 = Pm2::new();
    pm2.write("idle.sh", IDLE_SH, false);
    pm2.run(&["start", "idle.sh", "--name", "first"]).ok();
    pm2.run(&["start", "idle.sh", "--name", "second"]).ok();
    let first = pm2.wait_status(0, "online");
    let second = pm2.wait_status(1, "online");
    let first_pid = first["pid"].as_u64().expect("pid");
    let second_pid = second["pid"].as_u64().expect("pid");

    assert_eq!(
        pm2.run(&["pid", "first"]).ok().stdout,
        format!("{first_pid}\n")
    );
    assert_eq!(
        pm2.run(&["pid", "second"]).ok().stdout,
        format!("{second_pid}\n")
    );
    assert_eq!(
        pm2.run(&["pid"]).ok().stdout,
        format!("{first_pid}\n{second_pid}\n"),
        "`pm2 pid` lists every pid"
    );
    assert_eq!(pm2.run(&["id", "first"]).ok().stdout, "[ 0 ]\n");
    assert_eq!(pm2.run(&["id", "second"]).ok().stdout, "[ 1 ]\n");

    // A stopped app has pid 0, as in PM2.
    pm2.run(&["stop", "first"]).ok();
    pm2.wait_status(0, "stopped");
    assert_eq!(pm2.run(&["pid", "first"]).ok().stdout, "0\n");
}

#[test]
fn pid_and_id_of_an_unknown_name_print_an_empty_answer() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    // PM2 7 prints the (empty) list of pids joined by newlines: one empty line.
    let run = pm2.run(&["pid", "nosuch"]).ok();
    assert_eq!(run.stdout, "\n", "as PM2 prints it");
    assert!(run.stderr.is_empty(), "stderr: {:?}", run.stderr);
    let run = pm2.run(&["id", "nosuch"]).ok();
    assert_eq!(run.stdout, "[]\n", "as PM2 prints it");
}

// ---- helpers ----

/// The cells of each `│`-delimited row of a table (header first), trimmed.
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_matches('│')
                .split('│')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// The first row is PM2's `ls` header.
fn assert_header(rows: &[Vec<String>], text: &str) {
    let header = rows.first().unwrap_or_else(|| panic!("no table:\n{text}"));
    for word in [
        "id",
        "name",
        "namespace",
        "mode",
        "pid",
        "uptime",
        "↺",
        "status",
        "cpu",
        "mem",
        "user",
        "watching",
    ] {
        assert!(
            header.iter().any(|cell| cell == word),
            "header lacks {word:?}: {header:?}"
        );
    }
}

/// True when a `describe` box has a row `│ key │ value │`.
fn has_row(text: &str, key: &str, value: &str) -> bool {
    table_rows(text)
        .iter()
        .any(|row| row.len() >= 2 && row[0] == key && row[1] == value)
}

/// A JSON string as a canonical path.
fn path_of(value: &Value) -> String {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    canonical(std::path::Path::new(text))
}

fn canonical(path: &std::path::Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .display()
        .to_string()
}

/// `pid` and its descendants, from `/proc/<pid>/task/<tid>/children`.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = vec![pid];
    let mut next = 0;
    while next < found.len() {
        let current = found[next];
        next += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{current}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children = std::fs::read(task.path().join("children")).unwrap_or_default();
            for child in parse_pids(&children) {
                if !found.contains(&child) {
                    found.push(child);
                }
            }
        }
    }
    found
}

/// Node's `util.inspect` of a string, the reference for PM2's notation.
fn node_inspect(value: &str) -> String {
    let output = std::process::Command::new("node")
        .args([
            "-e",
            "process.stdout.write(require('util').inspect(process.env.V))",
        ])
        .env("V", value)
        .output()
        .expect("run node");
    assert!(output.status.success(), "node failed");
    String::from_utf8(output.stdout).expect("utf-8")
}
