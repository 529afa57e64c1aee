//! Cluster mode: instances sharing one port (the inherited socket for Node through the
//! preload and for any program through `LISTEN_FDS`, or the proxy), `-i max`/`-i -1`,
//! `pm2 scale`, reloads that lose no request (and keep the old processes when the new code
//! crashes), `wait_ready` (IPC `ready`, sd_notify `READY=1`, `listen_timeout`),
//! `shutdown_with_message`, and reload in fork mode.
//!
//! Every request goes to 127.0.0.1, in bounded numbers; every wait has a deadline.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::http::{answering_pids, free_port, free_ports, Load};
use common::{alive, pid_of, read, wait_until, Pm2, DEADLINE};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// One port, several instances
// ---------------------------------------------------------------------------------------

#[test]
fn an_unmodified_node_server_is_served_by_every_instance() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");

    let procs = online_processes(&pm2, "web", 2);
    assert_eq!(answering_pids(port, 2), pids(&procs));
    for p in &procs {
        assert_eq!(p["pm2_env"]["exec_mode"], "cluster_mode", "{p:#}");
    }
    let instances: Vec<u64> = procs
        .iter()
        .filter_map(|p| p["pm2_env"]["NODE_APP_INSTANCE"].as_u64())
        .collect();
    assert_eq!(instances, [0, 1]);
}

/// `pm2 start server.js -i 3` with the port only in the code, nothing in the environment:
/// the first instance binds it, the daemon takes the socket over, the others share it.
#[test]
fn a_port_known_only_to_the_code_is_shared_by_every_instance() {
    let pm2 = Pm2::new();
    let port = free_port();
    let script = pm2.write("lit.js", &pid_server_js(port), false);
    pm2.command(&["start", script.to_str().expect("utf-8 path"), "-i", "3"])
        .env_remove("PORT")
        .output()
        .expect("run pm2");
    let procs = online_processes(&pm2, "lit", 3);
    assert_eq!(answering_pids(port, 3), pids(&procs));
    for i in 0..3 {
        let errors = read(&pm2.log(&format!("lit-error-{i}.log")));
        assert!(!errors.contains("EADDRINUSE"), "instance {i}: {errors}");
    }
    // A reload keeps serving from the shared socket.
    pm2.run(&["reload", "lit"]).ok();
    let reloaded = online_processes(&pm2, "lit", 3);
    assert!(pids(&reloaded).is_disjoint(&pids(&procs)));
    assert_eq!(answering_pids(port, 3), pids(&reloaded));
}

#[test]
fn instances_max_starts_one_process_per_cpu() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "max");
    let procs = online_processes(&pm2, "web", cpus());
    assert!(procs
        .iter()
        .all(|p| p["pm2_env"]["exec_mode"] == "cluster_mode"));
    assert_eq!(answering_pids(port, cpus()), pids(&procs));
}

#[test]
fn instances_minus_one_leaves_one_cpu_free() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "-1");
    let want = cpus().saturating_sub(1).max(1);
    let procs = online_processes(&pm2, "web", want);
    assert_eq!(answering_pids(port, want), pids(&procs));
}

#[test]
fn a_python_server_in_an_ecosystem_serves_the_inherited_socket() {
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("shared.py", SHARED_SOCKET_PY, false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"py\"\nscript = \"shared.py\"\nexec_mode = \"cluster\"\n\
             instances = 2\nport = {port}\n"
        ),
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();

    let procs = online_processes(&pm2, "py", 2);
    assert_eq!(
        answering_pids(port, 2),
        pids(&procs),
        "error log: {}",
        read(&pm2.log("py-error-0.log"))
    );
    assert!(procs
        .iter()
        .all(|p| p["pm2_env"]["exec_mode"] == "cluster_mode"));
}

#[test]
fn a_proxied_app_gets_a_port_per_instance_behind_the_apps_port() {
    let pm2 = Pm2::new();
    let base = free_ports(3);
    start_proxied(&pm2, "px", "backend.py", OWN_PORT_PY, base);

    let procs = online_processes(&pm2, "px", 2);
    let backend_ports: Vec<String> = procs
        .iter()
        .map(|p| env_value(p, "PORT").unwrap_or_default())
        .collect();
    assert_eq!(
        backend_ports,
        [(base + 1).to_string(), (base + 2).to_string()]
    );
    assert_eq!(answering_pids(base, 2), pids(&procs));
}

/// Each instance binds its own `PORT` (base + 1 + instance): the new process of a reload
/// needs that port while the old one still holds it, yet the reload must replace both.
#[test]
fn reload_of_a_proxied_app_replaces_its_processes_without_failing_requests() {
    let pm2 = Pm2::new();
    let base = free_ports(3);
    start_proxied(&pm2, "px", "backend.py", OWN_PORT_PY, base);
    let old = pids(&online_processes(&pm2, "px", 2));
    assert_eq!(answering_pids(base, 2), old);

    let load = Load::start(&pm2, base, false, 2);
    load.wait_served(20);
    let run = pm2.run(&["reload", "px"]);
    let procs = online_processes(&pm2, "px", 2);
    let report = load.finish();
    assert_eq!(run.code, 0, "reload failed: {}", run.stderr);
    assert!(pids(&procs).is_disjoint(&old), "{old:?} -> {procs:#?}");
    assert_eq!(answering_pids(base, 2), pids(&procs));
    assert_eq!(report.failed, 0, "failed requests: {report:#?}");
}

/// With no instance listening (yet), the proxy must drop each connection. Connecting to a
/// free port of the ephemeral range can pick that same port as the source (a TCP
/// self-connect); forwarded there, the client talks to itself: its request comes back as
/// the answer, and the instance's port stays taken. Bounded: at most 40000 local
/// connections within 20 s (the kernel tries every even source port for one destination
/// within about 14000 connections).
#[test]
fn the_proxy_never_forwards_a_connection_to_itself() {
    let pm2 = Pm2::new();
    let base = (0..50)
        .map(|_| free_ports(3))
        .find(|base| (base + 1) % 2 == 0)
        .expect("a base port whose first backend port is even");
    start_proxied(
        &pm2,
        "deaf",
        "deaf.py",
        "import time\ntime.sleep(1000)\n",
        base,
    );
    online_processes(&pm2, "deaf", 2);

    let deadline = Instant::now() + DEADLINE;
    let mut connections = 0;
    while connections < 40_000 && Instant::now() < deadline {
        connections += 1;
        if let Err(what) = dropped_without_answer(base) {
            panic!(
                "connection {connections} to the proxy (backends {} and {}): {what}",
                base + 1,
                base + 2
            );
        }
    }
}

#[test]
fn a_port_already_taken_is_refused_at_start() {
    let pm2 = Pm2::new();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("address").port();
    let server = pm2.write("web.js", &pid_server_js(port), false);
    let port_text = port.to_string();
    let run = pm2
        .run_env(
            &["start", server.to_str().unwrap(), "-i", "2"],
            &[("PORT", &port_text)],
        )
        .failed();
    assert!(
        run.stderr
            .contains(&format!("cannot listen on port {port}")),
        "stderr: {}",
        run.stderr
    );
    assert!(pm2.jlist().is_empty());
    drop(holder);
}

// ---------------------------------------------------------------------------------------
// pm2 scale
// ---------------------------------------------------------------------------------------

#[test]
fn scale_to_a_count_down_by_and_up_by() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    pm2.run(&["scale", "web", "4"]).ok();
    let four = online_processes(&pm2, "web", 4);
    assert_eq!(answering_pids(port, 4), pids(&four));

    pm2.run(&["scale", "web", "-2"]).ok();
    let two = online_processes(&pm2, "web", 2);
    assert_eq!(ids(&two), [0, 1], "the newest are removed");
    assert!(pids(&two).is_subset(&pids(&four)));
    assert_eq!(answering_pids(port, 2), pids(&two));

    pm2.run(&["scale", "web", "1"]).ok();
    let one = online_processes(&pm2, "web", 1);
    assert_eq!(ids(&one), [0]);
    assert_eq!(answering_pids(port, 1), pids(&one));

    pm2.run(&["scale", "web", "+1"]).ok();
    let again = online_processes(&pm2, "web", 2);
    let instances: Vec<u64> = again
        .iter()
        .filter_map(|p| p["pm2_env"]["NODE_APP_INSTANCE"].as_u64())
        .collect();
    assert_eq!(instances, [0, 1]);
    assert_eq!(answering_pids(port, 2), pids(&again));
}

/// `pm2 scale web 1` from 2 removes a process: the message must not say the opposite.
#[test]
fn scale_down_to_a_count_is_not_reported_as_scaling_up() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    let run = pm2.run(&["scale", "web", "1"]).ok();
    online_processes(&pm2, "web", 1);
    assert!(
        !run.stdout.contains("Scaling up"),
        "2 -> 1 is scaling down:\n{}",
        run.stdout
    );
}

#[test]
fn scale_of_an_unknown_app_is_a_one_line_error() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    let run = pm2.run(&["scale", "nope", "3"]).failed();
    let message = run.stderr.trim();
    assert_eq!(message.lines().count(), 1, "stderr: {message:?}");
    assert!(
        message.contains("nope") && message.contains("not found"),
        "stderr: {message:?}"
    );
    assert_eq!(online_processes(&pm2, "web", 2).len(), 2);
}

// ---------------------------------------------------------------------------------------
// Reload
// ---------------------------------------------------------------------------------------

#[test]
fn reload_under_keep_alive_load_loses_no_request() {
    reload_twice_under_load(true);
}

#[test]
fn reload_under_connection_close_load_loses_no_request() {
    reload_twice_under_load(false);
}

#[test]
fn a_reload_whose_new_code_crashes_leaves_the_old_processes_serving() {
    let pm2 = Pm2::new();
    let port = free_port();
    let server = start_pid_server(&pm2, "web", port, "2");
    let old = pids(&online_processes(&pm2, "web", 2));
    assert_eq!(answering_pids(port, 2), old);

    std::fs::write(&server, "throw new Error('boom at start-up');\n").expect("rewrite");
    let run = pm2.run(&["reload", "web"]).failed();
    assert!(
        run.stderr.contains("failed") && run.stderr.contains("the old process keeps serving"),
        "stderr: {}",
        run.stderr
    );

    let after = online_processes(&pm2, "web", 2);
    assert_eq!(pids(&after), old, "the old processes are kept");
    assert!(old.iter().all(|&pid| alive(pid)));
    assert_eq!(answering_pids(port, 2), old);
}

#[test]
fn reload_waits_for_the_new_process_to_say_ready() {
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("ready-server.js", &ready_server_js(port), false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"web\"\nscript = \"ready-server.js\"\nexec_mode = \"cluster\"\n\
             instances = 1\nport = {port}\nwait_ready = true\nlisten_timeout = 30000\n"
        ),
        false,
    );
    let go = pm2.write("go", "", false);
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let old = pid_of(&online_processes(&pm2, "web", 1)[0]);

    std::fs::remove_file(&go).expect("remove go");
    let mut reload = pm2
        .command(&["reload", "web"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run pm2 reload");
    let mut new = 0;
    wait_until("the new process to start", || {
        new = started_pids(&pm2)
            .into_iter()
            .find(|&pid| pid != old)
            .unwrap_or(0);
        new != 0
    });
    assert!(
        alive(old),
        "the old process serves until the new one is ready"
    );
    assert!(
        reload.try_wait().expect("poll reload").is_none(),
        "reload returned before the new process was ready"
    );
    assert!(answering_pids(port, 1).is_subset(&BTreeSet::from([old, new])));

    std::fs::write(&go, "").expect("write go");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = reload.try_wait().expect("poll reload") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = reload.kill();
            panic!("reload did not finish once the new process was ready");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "reload: {status}");
    wait_until("the old process to stop", || !alive(old));
    let procs = online_processes(&pm2, "web", 1);
    assert_eq!(pid_of(&procs[0]), new);
    assert_eq!(answering_pids(port, 1), BTreeSet::from([new]));
}

#[test]
fn fork_mode_reload_is_a_restart() {
    let pm2 = Pm2::new();
    pm2.write("idle.js", "setInterval(() => {}, 1000);\n", false);
    pm2.run(&["start", "idle.js"]).ok();
    let before = online_processes(&pm2, "idle", 1).remove(0);
    assert_eq!(before["pm2_env"]["exec_mode"], "fork_mode");

    pm2.run(&["reload", "idle"]).ok();
    let after = pm2.wait_for("a new process", |list| {
        list.iter().any(|p| {
            p["pm2_env"]["status"] == "online" && p["pid"] != before["pid"] && p["pid"] != 0
        })
    });
    let after = &after[0];
    assert_eq!(after["pm2_env"]["restart_time"], 1);
    assert_eq!(after["pm2_env"]["exec_mode"], "fork_mode");
    assert!(!alive(pid_of(&before)));
}

// ---------------------------------------------------------------------------------------
// Readiness and graceful shutdown
// ---------------------------------------------------------------------------------------

#[test]
fn wait_ready_node_app_is_launching_until_it_sends_ready() {
    let pm2 = Pm2::new();
    start_launching_until_go(&pm2, "ready", "ready.js", READY_WHEN_GO_JS);
    pm2.write("go", "", false);
    pm2.wait_status(0, "online");
}

#[test]
fn wait_ready_python_app_is_online_when_it_notifies_ready() {
    let pm2 = Pm2::new();
    start_launching_until_go(&pm2, "notify", "notify.py", NOTIFY_WHEN_GO_PY);
    pm2.write("go", "", false);
    pm2.wait_status(0, "online");
    assert!(
        read(&pm2.log("notify-error.log")).is_empty(),
        "{}",
        read(&pm2.log("notify-error.log"))
    );
}

#[test]
fn wait_ready_without_a_signal_is_online_after_listen_timeout() {
    let pm2 = Pm2::new();
    pm2.write("silent.js", "setInterval(() => {}, 1000);\n", false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"silent\"\nscript = \"silent.js\"\nwait_ready = true\n\
         listen_timeout = 2000\n",
        false,
    );
    let started = Instant::now();
    pm2.run(&["start", "ecosystem.toml"]).ok();
    pm2.wait_status(0, "online");
    assert!(
        started.elapsed() >= Duration::from_millis(2000),
        "online after {:?}, before listen_timeout",
        started.elapsed()
    );
}

#[test]
fn shutdown_with_message_stops_a_node_app_with_the_message() {
    let pm2 = Pm2::new();
    pm2.write("polite.js", POLITE_JS, false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"polite\"\nscript = \"polite.js\"\nshutdown_with_message = true\n\
         kill_timeout = 8000\n",
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let before = pm2.wait_status(0, "online");
    let log = pm2.log("polite-out.log");
    wait_until("the app to listen for messages", || {
        read(&log).contains("started")
    });

    let asked = Instant::now();
    pm2.run(&["stop", "polite"]).ok();
    pm2.wait_status(0, "stopped");
    wait_until("'got shutdown' in the log", || {
        read(&log).contains("got shutdown")
    });
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "it took {:?}: killed at kill_timeout rather than by the message?",
        asked.elapsed()
    );
    assert!(!read(&log).contains("got SIGINT"), "log: {}", read(&log));
    assert!(!alive(pid_of(&before)));
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Starts `name` (-i 2), loads it with 2 clients, reloads it twice, and checks that no
/// request failed and both instances were replaced each time.
fn reload_twice_under_load(keep_alive: bool) {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    let mut current = pids(&online_processes(&pm2, "web", 2));
    assert_eq!(answering_pids(port, 2), current);

    let load = Load::start(&pm2, port, keep_alive, 2);
    load.wait_served(50);
    let mut replaced = Vec::new();
    for round in 1..=2u64 {
        let old = current;
        pm2.run(&["reload", "web"]).ok();
        let procs = online_processes(&pm2, "web", 2);
        current = pids(&procs);
        assert!(
            current.is_disjoint(&old),
            "round {round}: both instances replaced, {old:?} -> {current:?}"
        );
        for p in &procs {
            assert_eq!(p["pm2_env"]["restart_time"], round, "{p:#}");
        }
        replaced.extend(old);
    }
    wait_until("the replaced processes to exit", || {
        replaced.iter().all(|&pid| !alive(pid))
    });
    let served = load.served();
    load.wait_served(served + 50);
    let report = load.finish();

    assert_eq!(report.failed, 0, "failed requests: {report:#?}");
    assert!(report.ok >= 100, "{report:#?}");
    assert!(
        current.iter().any(|pid| report.pids.contains_key(pid)),
        "the new processes answered: {report:#?}"
    );
}

/// Starts `name` running the Python `code` with 2 instances behind the proxy on `port`.
fn start_proxied(pm2: &Pm2, name: &str, script: &str, code: &str, port: u16) {
    pm2.write(script, code, false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"{name}\"\nscript = \"{script}\"\nexec_mode = \"cluster\"\n\
             instances = 2\nport = {port}\nlisten = \"proxy\"\n"
        ),
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
}

/// Sends one request to `port` and expects the connection to be closed (or reset) with no
/// answer.
fn dropped_without_answer(port: u16) -> Result<(), String> {
    use std::io::{ErrorKind, Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2))
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).is_err() {
        return Ok(()); // already dropped
    }
    let mut answer = [0u8; 256];
    match stream.read(&mut answer) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!(
            "answered {:?}",
            String::from_utf8_lossy(&answer[..n])
        )),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Err("neither answered nor closed within 2 s".into())
        }
        Err(_) => Ok(()), // reset
    }
}

/// Starts a `wait_ready` app that says ready once a file `go` appears, and checks it is
/// `launching` until then.
fn start_launching_until_go(pm2: &Pm2, name: &str, file: &str, source: &str) {
    pm2.write(file, source, false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"{name}\"\nscript = \"{file}\"\nwait_ready = true\n\
             listen_timeout = 10000\n"
        ),
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    wait_until("the app to start", || !started_pids(pm2).is_empty());
    assert_eq!(status_of(pm2, 0), "launching");
}

/// Writes `<name>.js` (a Node server with `port` written in the code) and starts it with
/// `-i instances` and `PORT` in the caller's environment; returns the script's path.
fn start_pid_server(pm2: &Pm2, name: &str, port: u16, instances: &str) -> std::path::PathBuf {
    let script = pm2.write(&format!("{name}.js"), &pid_server_js(port), false);
    let port = port.to_string();
    pm2.run_env(
        &[
            "start",
            script.to_str().expect("utf-8 path"),
            "-i",
            instances,
            "--name",
            name,
        ],
        &[("PORT", &port)],
    )
    .ok();
    script
}

/// An unmodified Node server listening on a literal port, answering with its pid.
fn pid_server_js(port: u16) -> String {
    format!("require('http').createServer((q, s) => s.end(String(process.pid))).listen({port});\n")
}

/// A Node server that says `ready` once the file `go` exists in its cwd, and records that
/// it started in `started-<pid>`.
fn ready_server_js(port: u16) -> String {
    format!(
        "require('http').createServer((q, s) => s.end(String(process.pid))).listen({port});\n{READY_WHEN_GO_JS}"
    )
}

/// Says `ready` (IPC) once the file `go` exists; `started-<pid>` marks that it runs.
const READY_WHEN_GO_JS: &str = r#"
const fs = require('fs');
fs.writeFileSync('started-' + process.pid, '');
const poll = setInterval(() => {
  if (fs.existsSync('go')) {
    clearInterval(poll);
    process.send('ready');
  }
}, 20);
setInterval(() => {}, 1000);
"#;

/// Sends sd_notify `READY=1` once the file `go` exists; `started-<pid>` marks that it runs.
const NOTIFY_WHEN_GO_PY: &str = r#"
import os, socket, time
open("started-%d" % os.getpid(), "w").close()
while not os.path.exists("go"):
    time.sleep(0.02)
address = os.environ["NOTIFY_SOCKET"]
if address.startswith("@"):
    address = "\0" + address[1:]
with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
    notify.sendto(b"READY=1", address)
while True:
    time.sleep(60)
"#;

/// The Python handler both test servers use: answers every GET with its own pid.
macro_rules! pid_handler_py {
    () => {
        r#"
class Pid(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
"#
    };
}

/// A Python server on the socket the daemon passes as fd 3 (systemd's convention).
const SHARED_SOCKET_PY: &str = concat!(
    r#"
import http.server, os, socket, sys
if os.environ.get("LISTEN_FDS") != "1" or os.environ.get("LISTEN_PID") != str(os.getpid()):
    sys.exit("no socket for me: LISTEN_FDS=%r LISTEN_PID=%r pid=%d"
             % (os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_PID"), os.getpid()))
"#,
    pid_handler_py!(),
    r#"
server = http.server.HTTPServer(("127.0.0.1", 0), Pid, bind_and_activate=False)
server.socket = socket.socket(fileno=3)
server.serve_forever()
"#
);

/// A Python server binding 127.0.0.1:$PORT itself (behind the proxy).
const OWN_PORT_PY: &str = concat!(
    "\nimport http.server, os\n",
    pid_handler_py!(),
    r#"
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Pid).serve_forever()
"#
);

/// Exits on the `shutdown` message; says so if it gets SIGINT instead (and stays).
const POLITE_JS: &str = r#"
process.on('SIGINT', () => console.log('got SIGINT'));
process.on('message', (m) => {
  if (m === 'shutdown') {
    console.log('got shutdown');
    process.exit(0);
  }
});
console.log('started');
setInterval(() => {}, 1000);
"#;

/// Waits until app `name` has exactly `count` processes, all online with a pid; returns
/// them by id.
fn online_processes(pm2: &Pm2, name: &str, count: usize) -> Vec<Value> {
    let list = pm2.wait_for(&format!("{count} online processes of {name}"), |list| {
        let procs: Vec<&Value> = list.iter().filter(|p| p["name"] == name).collect();
        procs.len() == count
            && procs
                .iter()
                .all(|p| p["pm2_env"]["status"] == "online" && p["pid"].as_i64() > Some(0))
    });
    let mut procs: Vec<Value> = list.into_iter().filter(|p| p["name"] == name).collect();
    procs.sort_by_key(|p| p["pm_id"].as_u64());
    procs
}

fn pids(procs: &[Value]) -> BTreeSet<i32> {
    procs.iter().map(pid_of).collect()
}

fn ids(procs: &[Value]) -> Vec<u64> {
    procs.iter().filter_map(|p| p["pm_id"].as_u64()).collect()
}

fn status_of(pm2: &Pm2, pm_id: u64) -> String {
    pm2.process(pm_id).expect("process")["pm2_env"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A variable of the process's environment as jlist shows it (`pm2_env.X` or
/// `pm2_env.env.X`).
fn env_value(p: &Value, key: &str) -> Option<String> {
    let env = &p["pm2_env"];
    [&env[key], &env["env"][key]]
        .into_iter()
        .find_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// Pids that wrote `started-<pid>` in the work directory.
fn started_pids(pm2: &Pm2) -> Vec<i32> {
    std::fs::read_dir(pm2.work())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("started-")?
                .parse()
                .ok()
        })
        .collect()
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
