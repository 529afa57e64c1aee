//! Scripts of every kind: node, python, bash, shebang executables, binaries on PATH and
//! command lines.

use super::common::http::free_port;
use super::common::{cmdline, pid_of, wait_until, Pm2};
use super::support::*;

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
