//! `pm2-mcp` end to end with raw JSON-RPC on its stdio (what the SDK tests in `mcp_sdk.rs`
//! cannot see: every stdout line must be a frame), its in-process tree seen by the CLI, its
//! exit stopping the apps it hosts, `--pm2` registration, and bad settings.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use common::http::free_port;
use common::{alive, read, wait_until, Pm2, DEADLINE};
use pm2_protocol::{LogStream, RecentLog, Request, Response, Target};
use serde_json::{json, Value};

struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn start(pm2: &Pm2) -> Session {
        // Debug logging on: none of it may reach stdout.
        let mut child = Command::new(env!("CARGO_BIN_EXE_pm2-mcp"))
            .current_dir(pm2.work())
            .env("PM2_HOME", "/nonexistent-overridden")
            .env("PM2_MCP_HOME", pm2.home())
            .env("PM2_MCP_NO_DAEMON", "true")
            .env("PM2_MCP_DEBUG", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run pm2-mcp");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Session {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write to pm2-mcp");
        stdin.flush().unwrap();
    }

    /// Sends a request and returns its response (skipping notifications).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("read pm2-mcp");
            assert!(
                n > 0,
                "pm2-mcp closed its stdout while waiting for {method}"
            );
            let message: Value = serde_json::from_str(&line).expect("JSON-RPC line");
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn tool(&mut self, name: &str, arguments: Value) -> Value {
        let response = self.call("tools/call", json!({"name": name, "arguments": arguments}));
        assert!(
            response.get("error").is_none(),
            "{name} gave a protocol error: {response}"
        );
        response["result"].clone()
    }
}

/// Asks the tree behind `PM2_HOME/rpc.sock` for the recent out lines of an app, as
/// `pm2_tail_logs` does.
fn recent_out_logs(pm2: &Pm2, app: &str, lines: u32) -> Vec<RecentLog> {
    let request = Request::RecentLogs {
        targets: vec![Target::Name(app.into())],
        stream: Some(LogStream::Out),
        lines,
    };
    match common::socket::ask(pm2, request) {
        Response::RecentLogs(logs) => logs,
        other => panic!("expected recent logs, got {other:?}"),
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tools_over_stdio_drive_a_tree_hosted_in_the_server() {
    let pm2 = Pm2::new();
    let mut mcp = Session::start(&pm2);

    let init = mcp.call(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}
        }),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "pm2-mcp", "{init}");
    assert!(
        init["result"]["capabilities"]["tools"].is_object(),
        "{init}"
    );
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let tools = mcp.call("tools/list", json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for expected in [
        "pm2_list_processes",
        "pm2_describe_process",
        "pm2_start_process",
        "pm2_restart_process",
        "pm2_reload_process",
        "pm2_stop_process",
        "pm2_delete_process",
        "pm2_flush_logs",
        "pm2_reload_logs",
        "pm2_dump",
        "pm2_tail_logs",
        "pm2_kill_daemon",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let start_tool = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "pm2_start_process")
        .unwrap();
    assert!(
        start_tool["inputSchema"]["properties"]["script"].is_object(),
        "{start_tool}"
    );

    let script = pm2.write(
        "sleeper.sh",
        "#!/bin/sh\necho hello from mcp\nexec sleep 60\n",
        true,
    );
    let started = mcp.tool(
        "pm2_start_process",
        json!({"script": script.to_str().unwrap(), "name": "sleeper"}),
    );
    assert_ne!(started["isError"], json!(true), "{started}");
    assert_eq!(
        started["structuredContent"]["processes"][0]["name"], "sleeper",
        "{started}"
    );
    pm2.wait_status(0, "online");

    let listed = mcp.tool("pm2_list_processes", json!({}));
    assert_ne!(listed["isError"], json!(true), "{listed}");
    let processes = listed["structuredContent"]["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 1, "{listed}");
    assert_eq!(processes[0]["status"], "online", "{listed}");
    assert!(processes[0]["pid"].as_u64().is_some(), "{listed}");
    assert!(listed["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("sleeper"));

    let unknown = mcp.tool("pm2_describe_process", json!({"process": "nope"}));
    assert_eq!(unknown["isError"], json!(true), "{unknown}");
    assert!(
        unknown["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{unknown}"
    );

    let bad = mcp.tool("pm2_tail_logs", json!({"process": "sleeper", "lines": 0}));
    assert_eq!(bad["isError"], json!(true), "{bad}");

    let described = mcp.tool("pm2_describe_process", json!({"process": "sleeper"}));
    assert_eq!(
        described["structuredContent"]["processes"][0]["pm_id"], 0,
        "{described}"
    );

    let dumped = mcp.tool("pm2_dump", json!({}));
    assert_ne!(dumped["isError"], json!(true), "{dumped}");
    assert!(pm2.home().join("dump.pm2").exists());

    let stopped = mcp.tool("pm2_stop_process", json!({"process": "sleeper"}));
    assert_ne!(stopped["isError"], json!(true), "{stopped}");
    pm2.wait_status(0, "stopped");

    let tail = mcp.tool("pm2_tail_logs", json!({"process": "0"}));
    assert_ne!(tail["isError"], json!(true), "{tail}");
    assert!(
        tail["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("hello from mcp"),
        "{tail}"
    );

    // The CLI sees the in-process tree through the socket the server serves.
    let restarted = mcp.tool("pm2_restart_process", json!({"process": "sleeper"}));
    assert_ne!(restarted["isError"], json!(true), "{restarted}");
    let pid = pm2.wait_status(0, "online")["pid"].as_i64().expect("pid") as i32;
    assert!(
        !pm2.home().join("pm2.pid").exists(),
        "a daemon was started in in-process mode"
    );

    // The client goes away: the server stops the apps it hosts and exits cleanly.
    drop(mcp.stdin.take());
    let deadline = std::time::Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = mcp.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pm2-mcp did not exit after its stdin closed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(!alive(pid), "the hosted app {pid} outlived the server");
    assert!(!pm2.home().join("rpc.sock").exists(), "socket left behind");
}

#[test]
fn pm2_flag_registers_the_server_with_the_daemon() {
    let pm2 = Pm2::new();
    let port = free_port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_pm2-mcp"))
        .args(["--pm2", "--pm2-name", "agent-api", "--port", &port])
        .env("PM2_HOME", pm2.home())
        .output()
        .expect("run pm2-mcp --pm2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("registered as app agent-api"), "{stdout}");
    let app = pm2.wait_status(0, "online");
    assert_eq!(app["name"], "agent-api", "{app}");
    // The daemon keeps an HTTP server (a daemon's app has no stdin client).
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port.parse::<u16>().unwrap()));
    wait_until("the registered server to listen", || {
        std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(200))
            .is_ok()
    });
    let pid = app["pid"].as_i64().unwrap() as i32;
    pm2.run(&["kill"]);
    wait_until("the registered server to stop", || !alive(pid));
}

#[test]
fn bad_settings_are_one_line_and_exit_1() {
    for (vars, flags, named) in [
        (
            vec![("PM2_MCP_TRANSPORT", "pigeon")],
            vec![],
            "PM2_MCP_TRANSPORT",
        ),
        (vec![("PM2_MCP_PORT", "eighty")], vec![], "PM2_MCP_PORT"),
        (
            vec![("PM2_MCP_NO_DAEMON", "perhaps")],
            vec![],
            "PM2_MCP_NO_DAEMON",
        ),
        (vec![], vec!["--transport", "smoke"], "--transport"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_pm2-mcp"))
            .args(&flags)
            .envs(vars.iter().copied())
            .env("PM2_HOME", "/nonexistent")
            .stdin(Stdio::null())
            .output()
            .expect("run pm2-mcp");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{named}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
        assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);
    }
}

#[test]
fn tail_logs_gives_the_last_lines_from_memory_and_the_file_for_older_ones() {
    let pm2 = Pm2::new();
    let out_log = pm2.log("counter-out.log");
    // History from before this tree started: only the file has it.
    std::fs::create_dir_all(out_log.parent().unwrap()).unwrap();
    let history: String = (1..=50).map(|i| format!("old {i}\n")).collect();
    std::fs::write(&out_log, history).unwrap();
    let script = pm2.write(
        "counter.sh",
        "#!/bin/sh\n\
         runs=\"$(dirname \"$0\")/runs\"\n\
         n=$(( $(cat \"$runs\" 2>/dev/null || echo 0) + 1 ))\n\
         echo $n > \"$runs\"\n\
         i=1; while [ $i -le 100 ]; do echo \"run $n line $i\"; i=$((i + 1)); done\n\
         exec sleep 60\n",
        true,
    );
    let mut mcp = Session::start(&pm2);
    mcp.call(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}
        }),
    );
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let started = mcp.tool(
        "pm2_start_process",
        json!({"script": script.to_str().unwrap(), "name": "counter"}),
    );
    assert_ne!(started["isError"], json!(true), "{started}");
    wait_until("the first run's lines", || {
        read(&out_log).contains("run 1 line 100\n")
    });
    let tail = |mcp: &mut Session, lines: u32| -> Vec<String> {
        let tail = mcp.tool(
            "pm2_tail_logs",
            json!({"process": "counter", "lines": lines}),
        );
        assert_ne!(tail["isError"], json!(true), "{tail}");
        let logs = tail["structuredContent"]["logs"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(logs.len(), 1, "{tail}");
        assert_eq!(logs[0]["pm_id"], 0, "{tail}");
        assert_eq!(logs[0]["name"], "counter", "{tail}");
        assert_eq!(logs[0]["type"], "out", "{tail}");
        assert_eq!(logs[0]["file"], out_log.to_str().unwrap(), "{tail}");
        serde_json::from_value(logs[0]["lines"].clone()).unwrap()
    };
    let run_lines = |run: u32, from: u32| -> Vec<String> {
        (from..=100)
            .map(|i| format!("run {run} line {i}"))
            .collect()
    };

    // The last 30 lines, in order, from the sink's memory.
    assert_eq!(tail(&mut mcp, 30), run_lines(1, 71));
    let recent = recent_out_logs(&pm2, "counter", 30);
    assert!(recent[0].complete, "{recent:?}");
    // More than the sink saw: the file has the older lines.
    let mut expected: Vec<String> = (31..=50).map(|i| format!("old {i}")).collect();
    expected.extend(run_lines(1, 1));
    assert_eq!(tail(&mut mcp, 120), expected);
    assert!(!recent_out_logs(&pm2, "counter", 120)[0].complete);

    // Flushed: nothing, then only what comes after.
    let flushed = mcp.tool("pm2_flush_logs", json!({"process": "counter"}));
    assert_ne!(flushed["isError"], json!(true), "{flushed}");
    assert_eq!(tail(&mut mcp, 30), Vec::<String>::new());
    let restarted = mcp.tool("pm2_restart_process", json!({"process": "counter"}));
    assert_ne!(restarted["isError"], json!(true), "{restarted}");
    wait_until("the second run's lines", || {
        read(&out_log).contains("run 2 line 100\n")
    });
    assert_eq!(tail(&mut mcp, 30), run_lines(2, 71));
    assert_eq!(
        tail(&mut mcp, 500),
        run_lines(2, 1),
        "the whole file, from memory"
    );
    let recent = recent_out_logs(&pm2, "counter", 500);
    assert!(
        recent[0].complete && recent[0].lines.len() == 100,
        "{recent:?}"
    );

    // The client goes away: the server stops the app it hosts and exits.
    drop(mcp.stdin.take());
    wait_until("pm2-mcp to exit", || {
        mcp.child.try_wait().expect("wait").is_some()
    });
}
