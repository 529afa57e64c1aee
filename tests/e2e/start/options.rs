//! App options given as flags: name, namespace, cwd, environment, arguments, interpreter
//! and its arguments, `--execute`.

use super::common::{canonical, Pm2};
use super::support::*;

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

/// PM2's `-x` only means fork mode: a node script with instances is not clustered, and
/// its interpreter still comes from the extension.
#[test]
fn execute_flag_means_fork_mode_and_keeps_the_interpreter() {
    let pm2 = Pm2::new();
    pm2.write(
        "app.js",
        "console.log('instance', process.env.NODE_APP_INSTANCE);\nsetInterval(() => {}, 1000);\n",
        false,
    );
    pm2.run(&["start", "app.js", "-x", "-i", "2"]).ok();
    for id in 0..2 {
        let p = pm2.wait_status(id, "online");
        assert_eq!(p["pm2_env"]["exec_interpreter"], "node");
        assert_eq!(p["pm2_env"]["exec_mode"], "fork_mode");
    }
    wait_log(&pm2.log("app-out-1.log"), "instance 1");
}
