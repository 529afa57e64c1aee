//! Where output goes: the out and error logs, `--time`, `-o`/`-e`, `--log`.

use super::common::{canonical, wait_until, Pm2};
use super::support::*;

#[test]
fn stdout_and_stderr_go_to_the_out_and_error_logs() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('to stdout'); console.error('to stderr');"),
        false,
    );
    pm2.run(&["start", "app.js", "--name", "logger"]).ok();
    let p = pm2.wait_status(0, "online");
    let out = pm2.log("logger-out.log");
    let err = pm2.log("logger-error.log");
    assert_eq!(p["pm2_env"]["pm_out_log_path"], out.display().to_string());
    assert_eq!(p["pm2_env"]["pm_err_log_path"], err.display().to_string());
    let out_text = wait_log(&out, "to stdout");
    let err_text = wait_log(&err, "to stderr");
    assert!(!out_text.contains("to stderr"), "out log: {out_text}");
    assert!(!err_text.contains("to stdout"), "error log: {err_text}");
}

#[test]
fn log_files_exist_as_soon_as_the_app_starts() {
    // PM2 opens both files at start: `tail -f` works before the app prints anything.
    let pm2 = Pm2::new();
    pm2.write("silent.js", KEEP_ALIVE, false);
    pm2.run(&["start", "silent.js"]).ok();
    pm2.wait_status(0, "online");
    let out = pm2.log("silent-out.log");
    let err = pm2.log("silent-error.log");
    wait_until("the out and error logs to exist", || {
        out.exists() && err.exists()
    });
}

#[test]
fn time_flag_prefixes_log_lines_with_a_timestamp() {
    let pm2 = Pm2::new();
    pm2.write("app.js", &node_app("console.log('stamped line');"), false);
    pm2.run(&["start", "app.js", "--time"]).ok();
    pm2.wait_status(0, "online");
    let text = wait_log(&pm2.log("app-out.log"), "stamped line");
    let line = text
        .lines()
        .find(|l| l.ends_with("stamped line"))
        .expect("the line");
    let stamp = line
        .strip_suffix(": stamped line")
        .unwrap_or_else(|| panic!("no `<timestamp>: ` prefix in {line:?}"));
    assert!(
        is_iso_timestamp(stamp),
        "YYYY-MM-DDTHH:mm:ss expected, got {stamp:?}"
    );
}

#[test]
fn output_and_error_flags_choose_the_log_paths() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('custom out'); console.error('custom err');"),
        false,
    );
    pm2.run(&[
        "start",
        "app.js",
        "-o",
        "my-out.log",
        "--error",
        "my-err.log",
    ])
    .ok();
    let p = pm2.wait_status(0, "online");
    let out = canonical(pm2.work()).join("my-out.log");
    let err = canonical(pm2.work()).join("my-err.log");
    assert_eq!(p["pm2_env"]["pm_out_log_path"], out.display().to_string());
    assert_eq!(p["pm2_env"]["pm_err_log_path"], err.display().to_string());
    wait_log(&out, "custom out");
    wait_log(&err, "custom err");
    assert!(
        !pm2.log("app-out.log").exists(),
        "the default out log is not used"
    );
    assert!(
        !pm2.log("app-error.log").exists(),
        "the default error log is not used"
    );
}

#[test]
fn log_flag_with_a_path_writes_both_streams_to_one_file() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('combined out'); console.error('combined err');"),
        false,
    );
    pm2.run(&["start", "app.js", "--log", "combined.log"]).ok();
    pm2.wait_status(0, "online");
    let combined = canonical(pm2.work()).join("combined.log");
    wait_log(&combined, "combined out");
    wait_log(&combined, "combined err");
}

#[test]
fn log_flag_without_a_path_writes_name_log_in_the_logs_folder() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('default combined out'); console.error('default combined err');"),
        false,
    );
    pm2.run(&["start", "app.js", "--name", "both", "--log"])
        .ok();
    let p = pm2.wait_status(0, "online");
    let combined = pm2.log("both.log");
    assert_eq!(p["pm2_env"]["pm_log_path"], combined.display().to_string());
    wait_log(&combined, "default combined out");
    wait_log(&combined, "default combined err");
}
