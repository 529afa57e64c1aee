//! `pm2 start`: scripts of every kind, its flags, fork instances, starting twice, and the
//! one-line errors a user gets for bad input.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::http::free_port;
use common::{alive, canonical, cmdline, pid_of, read, wait_until, Pm2, Run};
use serde_json::Value;

/// Keeps a node app alive.
const KEEP_ALIVE: &str = "setInterval(() => {}, 1000);\n";

/// PM2's words when a running script is started again without `-f`.
const ALREADY_LAUNCHED: &str = "Script already launched, add -f option to force re-execution";

// ---------------------------------------------------------------------------------------
// Kinds of scripts
// ---------------------------------------------------------------------------------------

#[test]
fn a_node_script_runs_with_node_and_logs_its_output() {
    let pm2 = Pm2::new();
    pm2.write("app.js", &node_app("console.log('node app up');"), false);
    let run = pm2.run(&["start", "app.js"]).ok();
    assert!(run.stdout.contains("Starting"), "{}", run.stdout);
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "app");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "node");
    assert!(pid_of(&p) > 0);
    wait_log(&pm2.log("app-out.log"), "node app up");
}

#[test]
fn a_python_script_runs_with_python3_unbuffered() {
    let pm2 = Pm2::new();
    // Without PYTHONUNBUFFERED the line would sit in python's pipe buffer while it sleeps.
    pm2.write(
        "worker.py",
        "import time\nprint('python worker up')\ntime.sleep(1000)\n",
        false,
    );
    pm2.run(&["start", "worker.py"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "worker");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "python3");
    wait_log(&pm2.log("worker-out.log"), "python worker up");
}

#[test]
fn a_shell_script_runs_with_bash() {
    let pm2 = Pm2::new();
    pm2.write(
        "server.sh",
        "echo \"bash server up: ${BASH_VERSION:+yes}\"\nsleep 1000\n",
        false,
    );
    pm2.run(&["start", "server.sh"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "server");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "bash");
    wait_log(&pm2.log("server-out.log"), "bash server up: yes");
}

#[test]
fn an_executable_with_a_shebang_is_executed_directly() {
    let pm2 = Pm2::new();
    pm2.write(
        "a.out",
        "#!/bin/sh\necho 'shebang app up'\nexec sleep 1000\n",
        true,
    );
    pm2.run(&["start", "./a.out"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "none");
    let name = p["name"].as_str().expect("name").to_string();
    wait_log(&pm2.log(&format!("{name}-out.log")), "shebang app up");
}

#[test]
fn a_binary_on_path_gets_the_arguments_after_double_dash() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--", "100"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "sleep");
    let argv = cmdline(pid_of(&p));
    assert_eq!(
        argv.last().map(String::as_str),
        Some("100"),
        "argv: {argv:?}"
    );
    assert!(argv[0].ends_with("sleep"), "argv: {argv:?}");
}

#[test]
fn a_command_line_runs_through_bash_and_serves_its_port() {
    let pm2 = Pm2::new();
    let port = free_port();
    let command = format!("python3 -m http.server {port} --bind 127.0.0.1");
    pm2.run(&["start", &command, "--name", "web"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "web");
    let exec = p["pm2_env"]["pm_exec_path"].as_str().unwrap_or_default();
    assert!(exec.ends_with("bash"), "runs via bash -c, exec path {exec}");
    wait_until(&format!("port {port} to answer"), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

// ---------------------------------------------------------------------------------------
// Log files
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// App options given as flags
// ---------------------------------------------------------------------------------------

#[test]
fn name_and_namespace_flags_show_in_jlist() {
    let pm2 = Pm2::new();
    pm2.write("app.js", &node_app("console.log('named app up');"), false);
    pm2.run(&["start", "app.js", "--name", "api", "--namespace", "shop"])
        .ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "api");
    assert_eq!(p["pm2_env"]["namespace"], "shop");
    wait_log(&pm2.log("api-out.log"), "named app up");
}

#[test]
fn cwd_flag_sets_the_working_directory() {
    let pm2 = Pm2::new();
    // As in PM2, the script is found relative to --cwd.
    pm2.write(
        "sub/app.js",
        &node_app("console.log('cwd=' + process.cwd());"),
        false,
    );
    pm2.run(&["start", "app.js", "--cwd", "sub"]).ok();
    let p = pm2.wait_status(0, "online");
    let sub = canonical(&canonical(pm2.work()).join("sub"));
    assert_eq!(p["pm2_env"]["pm_cwd"], sub.display().to_string());
    wait_log(&pm2.log("app-out.log"), &format!("cwd={}\n", sub.display()));
}

#[test]
fn the_callers_environment_reaches_the_app() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('greeting=' + process.env.PM2_TEST_GREETING);"),
        false,
    );
    let mut command = pm2.command(&["start", "app.js"]);
    command.env("PM2_TEST_GREETING", "hello from the caller");
    run_command(command).ok();
    pm2.wait_status(0, "online");
    wait_log(&pm2.log("app-out.log"), "greeting=hello from the caller");
}

#[test]
fn arguments_after_double_dash_reach_the_script() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('argv=' + JSON.stringify(process.argv.slice(2)));"),
        false,
    );
    pm2.run(&["start", "app.js", "--", "--port", "8080", "hello world"])
        .ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(
        p["pm2_env"]["args"],
        serde_json::json!(["--port", "8080", "hello world"])
    );
    wait_log(
        &pm2.log("app-out.log"),
        r#"argv=["--port","8080","hello world"]"#,
    );
}

#[test]
fn interpreter_flag_runs_a_file_of_any_extension() {
    let pm2 = Pm2::new();
    pm2.write(
        "job.txt",
        "echo \"txt ran by bash: ${BASH_VERSION:+yes}\"\nsleep 1000\n",
        false,
    );
    pm2.run(&["start", "job.txt", "--interpreter", "bash"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "job");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "bash");
    wait_log(&pm2.log("job-out.log"), "txt ran by bash: yes");
}

#[test]
fn interpreter_args_reach_the_interpreter() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('execArgv=' + JSON.stringify(process.execArgv));"),
        false,
    );
    pm2.run(&[
        "start",
        "app.js",
        "--interpreter-args",
        "--max-old-space-size=64",
    ])
    .ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(
        p["pm2_env"]["node_args"],
        serde_json::json!(["--max-old-space-size=64"])
    );
    wait_log(
        &pm2.log("app-out.log"),
        r#"execArgv=["--max-old-space-size=64"]"#,
    );
}

#[test]
fn execute_flag_ignores_the_extension_and_runs_the_file_itself() {
    let pm2 = Pm2::new();
    // Python would reject this file; -x runs it through its shebang.
    pm2.write(
        "odd.py",
        "#!/bin/bash\necho \"direct run: ${BASH_VERSION:+bash}\"\nsleep 1000\n",
        true,
    );
    pm2.run(&["start", "odd.py", "-x"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "none");
    wait_log(&pm2.log("odd-out.log"), "direct run: bash");
}

// ---------------------------------------------------------------------------------------
// Exits and restarts
// ---------------------------------------------------------------------------------------

#[test]
fn no_autorestart_leaves_a_crashed_app_stopped() {
    let pm2 = Pm2::new();
    pm2.write(
        "crash.js",
        "console.log('crashing once'); process.exit(1);\n",
        false,
    );
    pm2.run(&["start", "crash.js", "--no-autorestart"]).ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pm2_env"]["restart_time"], 0, "{p:#}");
    assert_eq!(p["pm2_env"]["autorestart"], false);
    let text = wait_log(&pm2.log("crash-out.log"), "crashing once");
    assert_eq!(text.matches("crashing once").count(), 1, "{text}");
}

#[test]
fn max_restarts_and_min_uptime_make_a_crashing_app_errored() {
    let pm2 = Pm2::new();
    pm2.write("crash.js", "console.log('run'); process.exit(1);\n", false);
    pm2.run(&[
        "start",
        "crash.js",
        "--max-restarts",
        "3",
        "--min-uptime",
        "5s",
    ])
    .ok();
    let p = pm2.wait_status(0, "errored");
    // PM2: the third unstable exit reaches max_restarts = 3, after 2 restarts.
    assert_eq!(p["pm2_env"]["restart_time"], 2, "{p:#}");
    assert_eq!(p["pm2_env"]["min_uptime"], 5000);
    assert_eq!(p["pm2_env"]["max_restarts"], 3);
    let runs = read(&pm2.log("crash-out.log")).matches("run\n").count();
    assert_eq!(runs, 3, "the app ran once and was restarted twice");
}

#[test]
fn restart_delay_waits_between_restarts() {
    let pm2 = Pm2::new();
    pm2.write(
        "crash.js",
        "console.log('started at ' + Date.now()); process.exit(1);\n",
        false,
    );
    pm2.run(&["start", "crash.js", "--restart-delay", "3000"])
        .ok();
    let p = pm2.wait_status(0, "waiting restart");
    assert_eq!(p["pm2_env"]["restart_delay"], 3000);
    pm2.wait_for("the first restart", |list| {
        list.iter()
            .any(|p| p["pm2_env"]["restart_time"].as_u64() >= Some(1))
    });
    let text = wait_until_count(&pm2.log("crash-out.log"), "started at ", 2);
    let starts: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("started at "))
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    let gap = starts[1] - starts[0];
    assert!(gap >= 2900, "restarted after {gap} ms, expected about 3000");
}

#[test]
fn kill_timeout_sigkills_an_app_that_ignores_sigint() {
    let pm2 = Pm2::new();
    pm2.write(
        "stubborn.js",
        &node_app(
            "process.on('SIGINT', () => console.log('got SIGINT, ignoring'));\n\
             console.log('ready');",
        ),
        false,
    );
    pm2.run(&["start", "stubborn.js", "--kill-timeout", "1000"])
        .ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["pm2_env"]["kill_timeout"], 1000);
    let old = pid_of(&p);
    wait_log(&pm2.log("stubborn-out.log"), "ready");
    let began = Instant::now();
    pm2.run(&["stop", "stubborn"]).ok();
    let took = began.elapsed();
    pm2.wait_status(0, "stopped");
    wait_until("the stubborn app to be killed", || !alive(old));
    assert!(
        took.as_millis() >= 900,
        "stop returned after {took:?}, before the 1000 ms kill timeout"
    );
    wait_log(&pm2.log("stubborn-out.log"), "got SIGINT, ignoring");
}

#[test]
fn stop_exit_codes_leave_the_app_stopped() {
    let pm2 = Pm2::new();
    pm2.write(
        "done.js",
        "console.log('exiting with 3'); process.exit(3);\n",
        false,
    );
    pm2.run(&["start", "done.js", "--stop-exit-codes", "3"])
        .ok();
    let p = pm2.wait_status(0, "stopped");
    assert_eq!(p["pm2_env"]["restart_time"], 0, "{p:#}");
    assert_eq!(p["pm2_env"]["stop_exit_codes"], serde_json::json!([3]));
    assert_eq!(p["pm2_env"]["exit_code"], 3);
}

// ---------------------------------------------------------------------------------------
// Instances
// ---------------------------------------------------------------------------------------

#[test]
fn two_instances_share_a_name_and_have_their_own_logs() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('instance ' + process.env.NODE_APP_INSTANCE);"),
        false,
    );
    let run = pm2
        .run(&["start", "app.js", "-i", "2", "--name", "duo"])
        .ok();
    // As PM2 (determineExecMode): instances of a node app run in cluster mode.
    assert!(run.stdout.contains("cluster_mode"), "{}", run.stdout);
    let list = pm2.wait_for("two online instances", |list| {
        list.len() == 2 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    let mut ids: Vec<u64> = list.iter().filter_map(|p| p["pm_id"].as_u64()).collect();
    ids.sort();
    assert_eq!(ids, [0, 1]);
    for p in &list {
        assert_eq!(p["name"], "duo");
        assert_eq!(p["pm2_env"]["exec_mode"], "cluster_mode");
    }
    let zero = wait_log(&pm2.log("duo-out-0.log"), "instance 0");
    let one = wait_log(&pm2.log("duo-out-1.log"), "instance 1");
    assert!(!zero.contains("instance 1"), "{zero}");
    assert!(!one.contains("instance 0"), "{one}");
    assert!(
        !pm2.log("duo-out.log").exists(),
        "no unsuffixed log without --merge-logs"
    );
}

#[test]
fn merge_logs_gives_two_instances_one_set_of_files() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        &node_app("console.log('merged instance ' + process.env.NODE_APP_INSTANCE);"),
        false,
    );
    pm2.run(&["start", "app.js", "-i", "2", "--name", "m", "--merge-logs"])
        .ok();
    pm2.wait_for("two online instances", |list| {
        list.len() == 2 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    let out = pm2.log("m-out.log");
    wait_log(&out, "merged instance 0");
    wait_log(&out, "merged instance 1");
    assert!(!pm2.log("m-out-0.log").exists());
    assert!(!pm2.log("m-out-1.log").exists());
}

// ---------------------------------------------------------------------------------------
// Starting what is already there
// ---------------------------------------------------------------------------------------

#[test]
fn starting_a_running_script_again_needs_force() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["start", "app.js"]).ok();
    pm2.wait_status(0, "online");

    let again = pm2.run(&["start", "app.js"]).failed();
    assert_one_line_error(&again, &[ALREADY_LAUNCHED]);
    assert_eq!(pm2.jlist().len(), 1, "nothing new was started");

    pm2.run(&["start", "app.js", "-f"]).ok();
    let list = pm2.wait_for("a second online copy", |list| {
        list.len() == 2 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    assert!(list.iter().all(|p| p["name"] == "app"), "{list:#?}");
}

#[test]
fn starting_a_stopped_apps_script_restarts_it() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["start", "app.js"]).ok();
    let before = pid_of(&pm2.wait_status(0, "online"));
    pm2.run(&["stop", "app"]).ok();
    pm2.wait_status(0, "stopped");

    pm2.run(&["start", "app.js"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_ne!(pid_of(&p), before, "a new process runs");
    assert_eq!(pm2.jlist().len(), 1, "the same app, not a new one");
}

#[test]
fn start_by_name_or_id_restarts_the_app() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["start", "app.js", "--name", "api"]).ok();
    let first = pm2.wait_status(0, "online");
    assert_eq!(first["pm2_env"]["restart_time"], 0);

    pm2.run(&["start", "api"]).ok();
    let second = wait_restarted(&pm2, 1);
    assert_ne!(pid_of(&second), pid_of(&first));

    pm2.run(&["start", "0"]).ok();
    let third = wait_restarted(&pm2, 2);
    assert_ne!(pid_of(&third), pid_of(&second));
    assert_eq!(pm2.jlist().len(), 1);
}

#[test]
fn start_or_restart_is_a_command_and_starts_a_script() {
    let pm2 = Pm2::new();
    let help = pm2.run(&["startOrRestart", "--help"]).ok();
    assert!(help.stdout.contains("startOrRestart"), "{}", help.stdout);

    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["startOrRestart", "app.js"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "app");
}

// ---------------------------------------------------------------------------------------
// Bad input: one line on stderr, a non-zero exit, nothing started
// ---------------------------------------------------------------------------------------

#[test]
fn a_missing_script_is_one_line_naming_the_path() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["start", "nope.js"]).failed();
    let path = canonical(pm2.work()).join("nope.js");
    assert_one_line_error(&run, &["Script not found", &path.display().to_string()]);
    assert_nothing_started(&pm2);
}

#[test]
fn a_plain_file_without_a_known_extension_is_refused() {
    let pm2 = Pm2::new();
    pm2.write("data", "just some text\n", false);
    let run = pm2.run(&["start", "data"]).failed();
    let path = canonical(pm2.work()).join("data");
    assert_one_line_error(&run, &["not executable", &path.display().to_string()]);
    assert_nothing_started(&pm2);
}

#[test]
fn a_missing_interpreter_is_named() {
    if find_on_path("ruby").is_some() {
        eprintln!("skipped: ruby is installed");
        return;
    }
    let pm2 = Pm2::new();
    pm2.write("x.rb", "puts 'hi'\n", false);
    let run = pm2.run(&["start", "x.rb"]).failed();
    assert_one_line_error(&run, &["ruby"]);
    assert_nothing_started(&pm2);
}

#[test]
fn an_unknown_flag_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    let run = pm2.run(&["start", "app.js", "--bogus"]).failed();
    assert_one_line_error(&run, &["--bogus"]);
    assert_nothing_started(&pm2);
}

#[test]
fn an_invalid_min_uptime_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    let run = pm2
        .run(&["start", "app.js", "--min-uptime", "soon"])
        .failed();
    assert_one_line_error(&run, &["--min-uptime", "soon"]);
    assert_nothing_started(&pm2);
}

#[test]
fn an_invalid_instance_count_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    let run = pm2.run(&["start", "app.js", "-i", "lots"]).failed();
    assert_one_line_error(&run, &["lots"]);
    assert_nothing_started(&pm2);
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A node app that runs `body` once and stays alive.
fn node_app(body: &str) -> String {
    format!("{body}\n{KEEP_ALIVE}")
}

/// Waits until the file at `path` contains `needle`; returns its text.
fn wait_log(path: &Path, needle: &str) -> String {
    let mut text = String::new();
    wait_until(&format!("{needle:?} in {}", path.display()), || {
        text = read(path);
        text.contains(needle)
    });
    text
}

/// Waits until `needle` occurs `count` times in the file at `path`; returns its text.
fn wait_until_count(path: &Path, needle: &str, count: usize) -> String {
    let mut text = String::new();
    wait_until(
        &format!("{count} x {needle:?} in {}", path.display()),
        || {
            text = read(path);
            text.matches(needle).count() >= count
        },
    );
    text
}

/// Waits until process 0 is online with `restart_time` at least `count`.
fn wait_restarted(pm2: &Pm2, count: u64) -> Value {
    let list = pm2.wait_for(&format!("restart_time {count} and online"), |list| {
        list.iter().any(|p| {
            p["pm_id"] == 0
                && p["pm2_env"]["status"] == "online"
                && p["pm2_env"]["restart_time"].as_u64() >= Some(count)
        })
    });
    list.into_iter()
        .find(|p| p["pm_id"] == 0)
        .expect("process 0")
}

/// The error must be a single line on stderr containing every needle.
fn assert_one_line_error(run: &Run, needles: &[&str]) {
    let stderr = run.stderr.trim();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr expected:\n{stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{needle:?} missing from {stderr:?}"
        );
    }
}

/// No process is managed (a daemon that never started manages none).
fn assert_nothing_started(pm2: &Pm2) {
    if pm2.home().join("rpc.sock").exists() {
        let list = pm2.jlist();
        assert!(list.is_empty(), "nothing should have started: {list:#?}");
    }
}

/// Runs a prepared `pm2` command (with extra environment, say).
fn run_command(mut command: std::process::Command) -> Run {
    let output = command.output().expect("run pm2");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `YYYY-MM-DDTHH:mm:ss`.
fn is_iso_timestamp(text: &str) -> bool {
    text.len() == 19
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
}

/// Where `program` is on PATH, if anywhere.
fn find_on_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}
