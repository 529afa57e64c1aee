//! `pm2-mcp` driven by the official MCP Python SDK (`mcp` 2.x), over stdio and over
//! streamable HTTP, in both modes (`PM2_MCP_NO_DAEMON=false`: the server talks to a daemon;
//! `true`: the process tree runs inside the server).
//!
//! Each test runs one scenario of `client.py` (beside this file) with the SDK installed in
//! `target/mcp-venv` (`.ci/run` installs it; locally: `python3 -m venv target/mcp-venv &&
//! target/mcp-venv/bin/pip install 'mcp>=2,<3'`). Without it the tests skip, except under
//! `CI` where they fail. Over stdio the SDK starts the server; over HTTP the test does, on a
//! free port. Afterwards the server is stopped, `pm2 kill` runs on the test's `PM2_HOME`, and
//! every pid the app ever had (its script appends them to `pids`) must be gone.

use crate::common;

use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::http::free_port;
use common::{alive, read, Pm2, DEADLINE};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Bound on one run of the Python client (it bounds itself at 240 s).
const CLIENT_DEADLINE: Duration = Duration::from_secs(300);

/// The venv's Python, or `None` (after a note) when it is missing outside CI.
fn venv_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mcp-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: .ci/run installs the MCP Python SDK there",
        python.display()
    );
    eprintln!(
        "skipping: no MCP Python SDK at {} (python3 -m venv target/mcp-venv && \
         target/mcp-venv/bin/pip install 'mcp>=2,<3')",
        python.display()
    );
    None
}

fn mode(no_daemon: bool) -> &'static str {
    if no_daemon {
        "true"
    } else {
        "false"
    }
}

/// Waits for a child with a deadline; kills it when the deadline passes.
fn wait_child(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let end = Instant::now() + deadline;
    loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            return Some(status);
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `pm2-mcp --transport http` on a free port of 127.0.0.1, stopped when dropped.
struct HttpServer {
    child: Child,
    url: String,
    log: PathBuf,
}

impl HttpServer {
    /// Starts the server and waits until its port accepts connections; when it exits first
    /// (the port was taken meanwhile), tries again on another port.
    fn start(pm2: &Pm2, no_daemon: bool, token: Option<&str>) -> HttpServer {
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let port = free_port();
            let log = pm2.work().join(format!("server-{attempt}.log"));
            let out = File::create(&log).expect("server log");
            let mut command = Command::new(env!("CARGO_BIN_EXE_pm2-mcp"));
            command
                .args([
                    "--transport",
                    "http",
                    "--host",
                    "127.0.0.1",
                    "--path",
                    "/mcp",
                ])
                .args(["--port", &port.to_string()])
                .current_dir(pm2.work())
                .env("PM2_HOME", pm2.home())
                .env("PM2_MCP_NO_DAEMON", mode(no_daemon))
                .env_remove("PM2_MCP_HOME")
                .env_remove("PM2_MCP_TOKEN")
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("log handle"))
                .stderr(out);
            if let Some(token) = token {
                command.env("PM2_MCP_TOKEN", token);
            }
            let mut child = command.spawn().expect("run pm2-mcp");
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + DEADLINE;
            loop {
                if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                    return HttpServer {
                        child,
                        url: format!("http://127.0.0.1:{port}/mcp"),
                        log,
                    };
                }
                if let Some(status) = child.try_wait().expect("wait for pm2-mcp") {
                    failures.push(format!("port {port}: exited {status}: {}", read(&log)));
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("pm2-mcp did not listen on {port} in time: {}", read(&log));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!(
            "pm2-mcp --transport http never served:\n{}",
            failures.join("\n")
        );
    }
}

impl Drop for HttpServer {
    /// SIGTERM (so an in-process tree can stop its apps), then SIGKILL after the deadline.
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        if wait_child(&mut self.child, DEADLINE).is_none() {
            eprintln!("pm2-mcp ignored SIGTERM and was killed");
        }
    }
}

/// One run of the Python client: did it pass, and everything it printed.
struct ClientRun {
    passed: bool,
    output: String,
}

fn run_client(
    python: &Path,
    pm2: &Pm2,
    scenario: &str,
    args: &[&str],
    no_daemon: bool,
) -> ClientRun {
    let env = [
        ("PM2_HOME", pm2.home().display().to_string()),
        ("PM2_MCP_NO_DAEMON", mode(no_daemon).to_string()),
    ];
    run_client_with(python, pm2, scenario, args, &env)
}

/// Runs the client with these variables for the server (and no other PM2_* of ours).
fn run_client_with(
    python: &Path,
    pm2: &Pm2,
    scenario: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> ClientRun {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/mcp_sdk/client.py");
    let log = pm2.work().join(format!("client-{scenario}.log"));
    let out = File::create(&log).expect("client log");
    let mut child = Command::new(python)
        .arg(&script)
        .arg(scenario)
        .args(["--binary", env!("CARGO_BIN_EXE_pm2-mcp")])
        .arg("--work")
        .arg(pm2.work())
        .args(args)
        .current_dir(pm2.work())
        .env_remove("PM2_HOME")
        .env_remove("PM2_MCP_NO_DAEMON")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PM2_MCP_HOME")
        .env_remove("PM2_MCP_TOKEN")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log handle"))
        .stderr(out)
        .spawn()
        .expect("run the Python MCP client");
    let status = wait_child(&mut child, CLIENT_DEADLINE);
    let mut output = read(&log);
    match status {
        None => output.push_str(&format!("\n(killed after {CLIENT_DEADLINE:?})")),
        Some(status) if !status.success() => output.push_str(&format!("\n(exit: {status})")),
        Some(_) => {}
    }
    ClientRun {
        passed: status.is_some_and(|s| s.success()),
        output,
    }
}

/// Stops the server, kills the daemon, waits for every pid the app had to be gone (killing
/// survivors), then asserts the client passed and nothing survived.
fn finish(pm2: Pm2, server: Option<HttpServer>, client: ClientRun) {
    let server_log = server.as_ref().map(|s| read(&s.log)).unwrap_or_default();
    drop(server);
    let _ = pm2.run(&["kill"]);
    let pids: Vec<i32> = read(&pm2.work().join("pids"))
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    let deadline = Instant::now() + DEADLINE;
    while pids.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let survivors: Vec<i32> = pids.into_iter().filter(|&pid| alive(pid)).collect();
    for &pid in &survivors {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    if client.passed {
        println!("{}", client.output);
    }
    assert!(
        client.passed,
        "the MCP SDK client failed:\n{}\n--- server output ---\n{server_log}",
        client.output
    );
    assert!(
        survivors.is_empty(),
        "app processes {survivors:?} outlived the server and `pm2 kill`"
    );
}

/// The whole life of one app through the tools, resources and a subscription.
fn main_scenario(http: bool, no_daemon: bool) {
    let Some(python) = venv_python() else { return };
    let pm2 = Pm2::new();
    let server = http.then(|| HttpServer::start(&pm2, no_daemon, None));
    let client = match &server {
        Some(server) => run_client(
            &python,
            &pm2,
            "main",
            &["--transport", "http", "--url", &server.url],
            no_daemon,
        ),
        None => run_client(&python, &pm2, "main", &["--transport", "stdio"], no_daemon),
    };
    finish(pm2, server, client);
}

#[test]
fn sdk_over_stdio_with_the_daemon() {
    main_scenario(false, false);
}

#[test]
fn sdk_over_stdio_in_process() {
    main_scenario(false, true);
}

#[test]
fn sdk_over_http_with_the_daemon() {
    main_scenario(true, false);
}

#[test]
fn sdk_over_http_in_process() {
    main_scenario(true, true);
}

#[test]
fn http_rejects_foreign_hosts_and_other_paths() {
    let Some(python) = venv_python() else { return };
    let pm2 = Pm2::new();
    let server = HttpServer::start(&pm2, false, None);
    let args = ["--transport", "http", "--url", &server.url];
    let client = run_client(&python, &pm2, "http-guards", &args, false);
    finish(pm2, Some(server), client);
}

#[test]
fn http_bearer_token_is_required() {
    let Some(python) = venv_python() else { return };
    let pm2 = Pm2::new();
    let server = HttpServer::start(&pm2, false, Some("secret"));
    let args = [
        "--transport",
        "http",
        "--url",
        &server.url,
        "--token",
        "secret",
    ];
    let client = run_client(&python, &pm2, "http-token", &args, false);
    finish(pm2, Some(server), client);
}

#[test]
fn a_sandboxed_server_warns_and_uses_a_home_it_can_write() {
    let Some(python) = venv_python() else { return };
    let pm2 = Pm2::new();
    let (user_home, temp) = (pm2.work().join("u"), pm2.work().join("t"));
    std::fs::create_dir_all(&user_home).expect("user home");
    std::fs::create_dir_all(&temp).expect("TMPDIR");
    let env = [
        ("HOME", user_home.display().to_string()),
        ("TMPDIR", temp.display().to_string()),
        ("CLAUDE_CODE_SANDBOX", "true".to_string()),
    ];
    let client = run_client_with(&python, &pm2, "sandbox", &[], &env);
    let fallback = temp.join("pm2-mcp");
    let _ = Command::new(env!("CARGO_BIN_EXE_pm2"))
        .arg("kill")
        .env("PM2_HOME", &fallback)
        .output();
    assert!(
        !user_home.join(".pm2").exists(),
        "the sandboxed server wrote ~/.pm2"
    );
    finish(pm2, None, client);
}
