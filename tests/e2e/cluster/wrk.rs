//! Reload under the load tools users use: wrk (keep-alive, 2 threads, 50 connections)
//! straight at the cluster's port, and through nginx proxying with keep-alive upstream
//! connections, each while `pm2 reload` runs twice. Not one request may fail. Needs `wrk`
//! and `nginx` on PATH (`.ci/run` installs them; without them the test skips, except under
//! `CI` where it fails).

use std::path::Path;
use std::process::{Command, Stdio};

use super::common::http::free_port;
use super::common::{wait_until, Pm2};
use super::support::{online_processes, pids, start_pid_server};

/// True when `program` runs (`-v` answers).
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn tools_or_skip() -> bool {
    if installed("wrk") && installed("nginx") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "wrk and nginx are required under CI (.ci/run installs them)"
    );
    eprintln!("skipped: wrk or nginx not installed");
    false
}

/// nginx in the foreground of its own folder, proxying `listen` to `upstream` with
/// keep-alive connections to the app; stopped (by pid) on drop.
struct Nginx {
    child: std::process::Child,
}

impl Nginx {
    fn start(dir: &Path, listen: u16, upstream: u16) -> Nginx {
        let d = dir.display();
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             upstream app {{ server 127.0.0.1:{upstream}; keepalive 32; }}\n  \
             server {{\n    listen 127.0.0.1:{listen};\n    location / {{\n      \
             proxy_pass http://app;\n      proxy_http_version 1.1;\n      \
             proxy_set_header Connection \"\";\n    }}\n  }}\n}}\n"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).expect("write nginx.conf");
        use std::os::unix::process::CommandExt;
        // Its own process group: the master and its workers are stopped together.
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&path)
            .arg("-p")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start nginx");
        wait_until("nginx to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", listen)).is_ok()
        });
        Nginx { child }
    }
}

impl Drop for Nginx {
    /// SIGTERM to the group (nginx's fast shutdown), then SIGKILL to whatever is left.
    fn drop(&mut self) {
        use nix::sys::signal::{killpg, Signal};
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        let _ = self.child.wait();
        let _ = killpg(group, Signal::SIGKILL);
    }
}

/// What wrk reported.
#[derive(Debug)]
struct WrkReport {
    requests: u64,
    /// Socket errors (connect, read, write, timeout) and non-2xx/3xx responses.
    failures: Vec<String>,
    text: String,
}

fn parse_wrk(text: &str) -> WrkReport {
    let requests = text
        .lines()
        .find_map(|line| line.split(" requests in ").next()?.trim().parse().ok())
        .unwrap_or(0);
    let failures = text
        .lines()
        .filter(|line| line.contains("Socket errors") || line.contains("Non-2xx"))
        .map(|line| line.trim().to_string())
        .collect();
    WrkReport {
        requests,
        failures,
        text: text.to_string(),
    }
}

/// Runs wrk at `port` for 6 s while the app `web` is reloaded twice.
fn wrk_through_two_reloads(pm2: &Pm2, port: u16) -> WrkReport {
    let url = format!("http://127.0.0.1:{port}/");
    let wrk = Command::new("wrk")
        .args(["-t2", "-c50", "-d6s", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wrk");
    let mut current = pids(&online_processes(pm2, "web", 2));
    for round in 1..=2 {
        let old = current;
        pm2.run(&["reload", "web"]).ok();
        current = pids(&online_processes(pm2, "web", 2));
        assert!(current.is_disjoint(&old), "round {round}: both replaced");
    }
    let output = wrk.wait_with_output().expect("wrk ends");
    parse_wrk(&String::from_utf8_lossy(&output.stdout))
}

#[test]
fn reload_under_wrk_directly_and_through_nginx_fails_no_request() {
    if !tools_or_skip() {
        return;
    }
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");
    online_processes(&pm2, "web", 2);

    let direct = wrk_through_two_reloads(&pm2, port);
    assert!(direct.requests > 1000, "{}", direct.text);
    assert!(
        direct.failures.is_empty(),
        "straight at the port: {}",
        direct.text
    );

    let front = free_port();
    let _nginx = Nginx::start(pm2.work(), front, port);
    let proxied = wrk_through_two_reloads(&pm2, front);
    assert!(proxied.requests > 1000, "{}", proxied.text);
    assert!(
        proxied.failures.is_empty(),
        "through nginx: {}",
        proxied.text
    );
}

/// deploy/examples/graceful_server.py, the Python example of what a zero-downtime reload
/// asks of a server in any language.
const GRACEFUL_PY: &str = include_str!("../../../deploy/examples/graceful_server.py");

#[test]
fn the_python_example_reloads_under_wrk_without_a_failure() {
    if !tools_or_skip() {
        return;
    }
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("graceful_server.py", GRACEFUL_PY, false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"web\"\nscript = \"graceful_server.py\"\n\
             exec_mode = \"cluster\"\ninstances = 2\nport = {port}\nwait_ready = true\n"
        ),
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    online_processes(&pm2, "web", 2);
    let report = wrk_through_two_reloads(&pm2, port);
    assert!(report.requests > 100, "{}", report.text);
    assert!(report.failures.is_empty(), "{}", report.text);
}

#[test]
fn wrk_reports_are_read_as_written() {
    let clean = "Running 6s test @ http://127.0.0.1:1/\n  582103 requests in 8.01s, 72.16MB read\n";
    let report = parse_wrk(clean);
    assert_eq!(report.requests, 582103);
    assert!(report.failures.is_empty());
    let failing = format!("{clean}  Socket errors: connect 0, read 144, write 0, timeout 0\n");
    assert_eq!(parse_wrk(&failing).failures.len(), 1);
}
