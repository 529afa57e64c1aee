//! What the cluster tests share: servers that answer with their pid, the online instances
//! of an app, and a reload under load.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use super::common::http::{answering_pids, free_port, Load};
use super::common::{alive, pid_of, wait_until, Pm2};

/// Starts `name` (-i 2), loads it with 2 clients, reloads it twice, and checks that no
/// request failed and both instances were replaced each time.
pub fn reload_twice_under_load(keep_alive: bool) {
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
pub fn start_proxied(pm2: &Pm2, name: &str, script: &str, code: &str, port: u16) {
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
pub fn dropped_without_answer(port: u16) -> Result<(), String> {
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
/// `launching` until then, with `pm2 start` still waiting for it (as PM2's); returns that
/// command, which ends once the app is ready.
pub fn start_launching_until_go(
    pm2: &Pm2,
    name: &str,
    file: &str,
    source: &str,
) -> std::process::Child {
    pm2.write(file, source, false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"{name}\"\nscript = \"{file}\"\nwait_ready = true\n\
             listen_timeout = 10000\n"
        ),
        false,
    );
    let mut start = pm2
        .command(&["start", "ecosystem.toml"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run pm2 start");
    wait_until("the app to start", || !started_pids(pm2).is_empty());
    assert_eq!(status_of(pm2, 0), "launching");
    assert!(
        start.try_wait().expect("pm2 start").is_none(),
        "pm2 start returned before the app was ready"
    );
    start
}

/// Waits for the `pm2 start` of [`start_launching_until_go`] to end, successfully.
pub fn start_returns(mut start: std::process::Child) {
    wait_until("pm2 start to return", || {
        start.try_wait().expect("pm2 start").is_some()
    });
    assert!(start.wait().expect("pm2 start").success());
}

/// Writes `<name>.js` (a Node server with `port` written in the code) and starts it with
/// `-i instances` and `PORT` in the caller's environment; returns the script's path.
pub fn start_pid_server(pm2: &Pm2, name: &str, port: u16, instances: &str) -> std::path::PathBuf {
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
pub fn pid_server_js(port: u16) -> String {
    format!("require('http').createServer((q, s) => s.end(String(process.pid))).listen({port});\n")
}

/// A Node server that says `ready` once the file `go` exists in its cwd, and records that
/// it started in `started-<pid>`.
pub fn ready_server_js(port: u16) -> String {
    format!(
        "require('http').createServer((q, s) => s.end(String(process.pid))).listen({port});\n{READY_WHEN_GO_JS}"
    )
}

/// Says `ready` (IPC) once the file `go` exists; `started-<pid>` marks that it runs.
pub const READY_WHEN_GO_JS: &str = r#"
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
pub const NOTIFY_WHEN_GO_PY: &str = r#"
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
pub const SHARED_SOCKET_PY: &str = concat!(
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
pub const OWN_PORT_PY: &str = concat!(
    "\nimport http.server, os\n",
    pid_handler_py!(),
    r#"
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Pid).serve_forever()
"#
);

/// Exits on the `shutdown` message; says so if it gets SIGINT instead (and stays).
pub const POLITE_JS: &str = r#"
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
pub fn online_processes(pm2: &Pm2, name: &str, count: usize) -> Vec<Value> {
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

pub fn pids(procs: &[Value]) -> BTreeSet<i32> {
    procs.iter().map(pid_of).collect()
}

pub fn ids(procs: &[Value]) -> Vec<u64> {
    procs.iter().filter_map(|p| p["pm_id"].as_u64()).collect()
}

pub fn status_of(pm2: &Pm2, pm_id: u64) -> String {
    pm2.process(pm_id).expect("process")["pm2_env"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A variable of the process's environment as jlist shows it (`pm2_env.X` or
/// `pm2_env.env.X`).
pub fn env_value(p: &Value, key: &str) -> Option<String> {
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
pub fn started_pids(pm2: &Pm2) -> Vec<i32> {
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

pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
