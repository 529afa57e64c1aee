//! Built-in log rotation, set with pm2-logrotate's keys: `pm2 set/get/unset`, size and
//! time rotation, retain, gzip, per-app overrides, and the daemon's own `pm2.log`.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{read, wait_until, Pm2};

/// A Python app printing `line 000001 xxx…` (100 bytes a line), `burst` lines at a time
/// with a pause between bursts, `total` lines in all, then staying online.
const WRITER: &str = r#"
import sys, time
total, burst, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
pad = "x" * 88
for i in range(1, total + 1):
    sys.stdout.write(f"line {i:06d} {pad}\n")
    if i % burst == 0:
        sys.stdout.flush()
        time.sleep(pause)
sys.stdout.flush()
time.sleep(100000)
"#;

fn start_writer(pm2: &Pm2, name: &str, total: u32, burst: u32, pause: &str) {
    pm2.write("writer.py", WRITER, false);
    let (total, burst) = (total.to_string(), burst.to_string());
    pm2.run(&[
        "start",
        "writer.py",
        "--name",
        name,
        "--",
        &total,
        &burst,
        pause,
    ])
    .ok();
}

/// Rotated files of `<stem>.log` in `dir`, oldest first (by name, as pm2-logrotate sorts).
fn rotated(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let prefix = format!("{stem}__");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with(&prefix) && (name.ends_with(".log") || name.ends_with(".gz"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The text of a log file, gunzipped when it is a `.gz`.
fn content(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open gz"))
            .read_to_string(&mut text)
            .expect("a whole gzip file");
        text
    } else {
        read(path)
    }
}

/// The numbers of the writer's lines in `text`.
fn numbers(text: &str) -> Vec<u32> {
    text.lines()
        .map(|line| {
            line.split(' ')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not a writer line: {line:?}"))
        })
        .collect()
}

/// Every line number of the rotated files (oldest first) then the current file.
fn all_numbers(files: &[PathBuf], current: &Path) -> Vec<u32> {
    files
        .iter()
        .map(|f| content(f))
        .chain([read(current)])
        .flat_map(|text| numbers(&text))
        .collect()
}

/// `<stem>__YYYY-MM-DD_HH-mm-ss.log` (with `.gz` when compressed).
fn has_default_date(path: &Path, stem: &str) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let Some(rest) = name.strip_prefix(&format!("{stem}__")) else {
        return false;
    };
    let date = rest
        .strip_suffix(".log.gz")
        .or_else(|| rest.strip_suffix(".log"))
        .unwrap_or("");
    date.len() == 19
        && date.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == '_',
            13 | 16 => c == '-',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn a_log_past_max_size_rotates_keeps_retain_files_and_loses_no_line() {
    let pm2 = Pm2::new();
    pm2.run(&["set", "pm2-logrotate:max_size", "10K"]).ok();
    pm2.run(&["set", "pm2-logrotate:retain", "2"]).ok();
    // About 40 KB a second, without end.
    start_writer(&pm2, "writer", 100_000_000, 40, "0.1");
    let logs = pm2.home().join("logs");
    wait_until("a third rotation, pruning the first", || {
        let files = rotated(&logs, "writer-out");
        files.len() == 2 && numbers(&read(&files[0])).first() > Some(&1)
    });
    pm2.run(&["stop", "writer"]).ok();
    wait_until("at most 2 rotated files once pruning is done", || {
        rotated(&logs, "writer-out").len() <= 2
    });

    let files = rotated(&logs, "writer-out");
    for file in &files {
        assert!(has_default_date(file, "writer-out"), "{}", file.display());
        let size = std::fs::metadata(file).expect("rotated file").len();
        assert!(size >= 10 * 1024, "{} holds {size} bytes", file.display());
    }
    let seen = all_numbers(&files, &logs.join("writer-out.log"));
    let first = seen[0];
    let expected: Vec<u32> = (first..first + seen.len() as u32).collect();
    assert!(
        seen == expected,
        "lines lost, repeated or out of order across rotations"
    );
    assert!(first > 1, "the oldest rotation was pruned");
}

#[test]
fn compressed_rotations_gunzip_to_every_line_once_in_order() {
    let pm2 = Pm2::new();
    pm2.run(&["set", "pm2-logrotate:max_size", "10K"]).ok();
    pm2.run(&["set", "pm2-logrotate:compress", "true"]).ok();
    // 2,000 lines (200 KB) over about 5 seconds.
    start_writer(&pm2, "zipped", 2_000, 100, "0.25");
    let logs = pm2.home().join("logs");
    let current = logs.join("zipped-out.log");
    wait_until("every line written, and every rotation compressed", || {
        let files = rotated(&logs, "zipped-out");
        files.len() >= 2
            && files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == "gz"))
            && all_numbers(&files, &current).last() == Some(&2000)
    });
    let files = rotated(&logs, "zipped-out");
    for file in &files {
        assert!(has_default_date(file, "zipped-out"), "{}", file.display());
    }
    let seen = all_numbers(&files, &current);
    assert!(
        seen == (1..=2000).collect::<Vec<u32>>(),
        "the gzipped rotations and the current file do not hold 1..=2000 once, in order"
    );
}

#[test]
fn set_get_and_unset_print_as_pm2_and_store_pm2s_file() {
    let pm2 = Pm2::new();
    let set = pm2.run(&["set", "pm2-logrotate:max_size", "10K"]).ok();
    let lines: Vec<&str> = set.stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "[PM2] Setting changed")
        .unwrap_or_else(|| panic!("no 'Setting changed':\n{}", set.stdout));
    assert_eq!(lines[start + 1], "Module: pm2-logrotate");
    assert_eq!(lines[start + 2], "$ pm2 set pm2-logrotate:max_size 10K");
    assert_eq!(lines[start + 3], "$ pm2 set pm2-logrotate:retain 30");
    assert_eq!(lines.len(), start + 9, "{}", set.stdout);

    let get = pm2.run(&["get", "pm2-logrotate:max_size"]).ok();
    assert_eq!(
        get.stdout,
        "Value for module pm2-logrotate key max_size: 10K\n"
    );
    let get = pm2.run(&["get", "pm2-logrotate:retain"]).ok();
    assert_eq!(
        get.stdout,
        "Value for module pm2-logrotate key retain: 30\n"
    );
    let all = pm2.run(&["get"]).ok();
    assert!(all
        .stdout
        .starts_with("Module: pm2-logrotate\n$ pm2 set pm2-logrotate:max_size 10K\n"));
    assert!(all
        .stdout
        .contains("$ pm2 set pm2-logrotate:rotateInterval 0 0 * * *\n"));
    let conf = pm2.run(&["conf", "pm2-logrotate.compress", "true"]).ok();
    assert!(conf
        .stdout
        .contains("$ pm2 set pm2-logrotate:compress true\n"));
    // As PM2: `conf <key>` shows every value (as `get`), `config <key>` reads the key.
    let all = pm2.run(&["get"]).ok();
    let conf = pm2.run(&["conf", "pm2-logrotate:compress"]).ok();
    assert_eq!(conf.stdout, all.stdout);
    let config = pm2.run(&["config", "pm2-logrotate:compress"]).ok();
    assert_eq!(
        config.stdout,
        "Value for module pm2-logrotate key compress: true\n"
    );

    let file = pm2.home().join("module_conf.json");
    assert_eq!(
        read(&file),
        "{\n    \"pm2-logrotate\": {\n        \"max_size\": \"10K\",\n        \"compress\": \"true\"\n    }\n}"
    );
    pm2.run(&["unset", "pm2-logrotate:compress"]).ok();
    let value: serde_json::Value = serde_json::from_str(&read(&file)).expect("JSON");
    assert_eq!(
        value,
        serde_json::json!({"pm2-logrotate": {"max_size": "10K"}})
    );

    let unknown = pm2.run(&["get", "nokey:x"]).failed();
    assert_eq!(unknown.stderr, "[PM2][ERROR] Unknown key nokey:x\n");
}

#[test]
fn a_bad_value_is_refused_with_one_line_and_nothing_is_stored() {
    let pm2 = Pm2::new();
    pm2.run(&["set", "pm2-logrotate:max_size", "10K"]).ok();
    let file = pm2.home().join("module_conf.json");
    let before = read(&file);
    for (key, value, expected) in [
        (
            "pm2-logrotate:max_size",
            "lots",
            "must be a size above zero",
        ),
        ("pm2-logrotate:retain", "many", "must be a whole number"),
        ("pm2-logrotate:compress", "yes", "must be true or false"),
        (
            "pm2-logrotate:rotateInterval",
            "daily",
            "must be a cron expression",
        ),
        (
            "pm2-logrotate:max-size",
            "1M",
            "has no setting \"max-size\"",
        ),
    ] {
        let run = pm2.run(&["set", key, value]).failed();
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.starts_with("[PM2][ERROR] pm2-logrotate") && run.stderr.contains(expected),
            "{key} {value}: {}",
            run.stderr
        );
    }
    assert_eq!(read(&file), before, "a refused value is not stored");
}

#[test]
fn an_ecosystem_logrotate_table_overrides_the_global_settings() {
    let pm2 = Pm2::new();
    pm2.write("writer.py", WRITER, false);
    pm2.write(
        "ecosystem.toml",
        r#"
[[apps]]
name = "small"
script = "writer.py"
args = ["100000000", "20", "0.1"]

[apps.logrotate]
max_size = "2K"
retain = 1
dateFormat = "YYYYMMDD-HHmmss"

[[apps]]
name = "big"
script = "writer.py"
args = ["100000000", "20", "0.1"]
"#,
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let logs = pm2.home().join("logs");
    wait_until("small's second rotation, pruning its first", || {
        let files = rotated(&logs, "small-out");
        files.len() == 1 && numbers(&read(&files[0])).first() > Some(&1)
    });
    let files = rotated(&logs, "small-out");
    let name = files[0].file_name().unwrap_or_default().to_string_lossy();
    let date = name
        .strip_prefix("small-out__")
        .and_then(|n| n.strip_suffix(".log"))
        .unwrap_or_default();
    assert!(
        date.len() == 15 && date.as_bytes()[8] == b'-',
        "the app's dateFormat names the file: {name}"
    );
    assert!(
        rotated(&logs, "big-out").is_empty(),
        "big keeps the global 10M"
    );
}

#[test]
fn rotate_interval_rotates_every_non_empty_log_at_its_times() {
    let pm2 = Pm2::new();
    pm2.write(
        "once.sh",
        "echo 'line 000001 hello'\nexec sleep 100000\n",
        false,
    );
    pm2.run(&["start", "once.sh"]).ok();
    let logs = pm2.home().join("logs");
    wait_until("the line in the out log", || {
        read(&logs.join("once-out.log")).contains("hello")
    });
    pm2.run(&["set", "pm2-logrotate:rotateInterval", "* * * * * *"])
        .ok();
    wait_until("the out log rotated by time", || {
        !rotated(&logs, "once-out").is_empty()
    });
    let files = rotated(&logs, "once-out");
    assert_eq!(files.len(), 1, "an empty log is not rotated again");
    assert_eq!(read(&files[0]), "line 000001 hello\n");
    assert_eq!(read(&logs.join("once-out.log")), "");
    assert!(
        rotated(&logs, "once-error").is_empty(),
        "an empty log is not rotated"
    );
}

#[test]
fn the_daemons_own_log_rotates_to_pm2_date() {
    let pm2 = Pm2::new();
    pm2.run(&["set", "pm2-logrotate:max_size", "1K"]).ok();
    // Each setting change is narrated in pm2.log.
    let mut retain = 10;
    wait_until("pm2.log rotated", || {
        retain += 1;
        pm2.run(&["set", "pm2-logrotate:retain", &retain.to_string()])
            .ok();
        !rotated(pm2.home(), "pm2").is_empty()
    });
    let files = rotated(pm2.home(), "pm2");
    assert!(has_default_date(&files[0], "pm2"), "{}", files[0].display());
    assert!(content(&files[0]).contains("daemon started"));
    let current = read(&pm2.home().join("pm2.log"));
    assert!(
        !current.contains("daemon started"),
        "the current pm2.log starts fresh"
    );
}
