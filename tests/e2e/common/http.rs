//! Apps that serve HTTP, seen from outside: free ports, single requests, which pids answer,
//! and a bounded load (for reload and cluster tests).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{read, wait_until, Pm2, DEADLINE};

/// A TCP port that was free a moment ago: bound on 127.0.0.1 with port 0, then released.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind port 0")
        .port()
}

/// The first of `count` consecutive ports that were all free a moment ago (for apps that
/// serve `port`, `port + 1`, ...).
pub fn free_ports(count: u16) -> u16 {
    for _ in 0..100 {
        let base = free_port();
        let Some(last) = base.checked_add(count - 1) else {
            continue;
        };
        if (base..=last).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
    panic!("no {count} consecutive free ports found");
}

/// One `GET /` to `127.0.0.1:port` with `Connection: close`; the body of a 200 answer.
pub fn http_get(port: u16) -> Result<String, String> {
    let (status, head, body) = http_request(port, "/", &[])?;
    if status != 200 {
        let line = head.lines().next().unwrap_or_default();
        return Err(format!("status line {line:?}"));
    }
    Ok(body)
}

/// One request to `127.0.0.1:port` for `path`, with extra header lines (`Authorization:
/// ...`) and `Connection: close`: the status code, the head and the body.
pub fn http_request(
    port: u16,
    path: &str,
    headers: &[&str],
) -> Result<(u16, String, String), String> {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2))
        .map_err(|e| format!("connect: {e}"))?;
    let timeout = Some(Duration::from_secs(5));
    let _ = stream.set_read_timeout(timeout);
    let _ = stream.set_write_timeout(timeout);
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("receive: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {answer:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok((status, head.to_string(), body.to_string()))
}

/// Asks `127.0.0.1:port` concurrently (rounds of 8 requests, pausing 50 ms after a round
/// without any answer, within [`DEADLINE`]) until at least `want` different pids have
/// answered (the apps answer with their pid); returns every pid seen.
pub fn answering_pids(port: u16, want: usize) -> std::collections::BTreeSet<i32> {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = std::collections::BTreeSet::new();
    let mut last_error = None;
    while seen.len() < want && Instant::now() < deadline {
        let answers: Vec<Result<String, String>> = std::thread::scope(|scope| {
            let requests: Vec<_> = (0..8).map(|_| scope.spawn(|| http_get(port))).collect();
            requests
                .into_iter()
                .map(|r| r.join().expect("request thread"))
                .collect()
        });
        let mut answered = false;
        for answer in answers {
            match answer.map(|body| body.trim().parse::<i32>()) {
                Ok(Ok(pid)) => {
                    answered = true;
                    seen.insert(pid);
                }
                Ok(Err(e)) => last_error = Some(format!("body is not a pid: {e}")),
                Err(e) => last_error = Some(e),
            }
        }
        if !answered {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(
        seen.len() >= want,
        "port {port}: wanted {want} pids answering, saw {seen:?}; last error: {last_error:?}"
    );
    seen
}

/// A bounded HTTP load on `127.0.0.1:port`: a Node client (`http.Agent`, one socket per
/// client) requesting `GET /` in a loop until [`Load::finish`] (or 60 s at most), counting
/// answers by pid and failures by cause.
pub struct Load {
    child: Option<std::process::Child>,
    stop_file: PathBuf,
    progress_file: PathBuf,
}

/// What a [`Load`] saw.
#[derive(Debug)]
pub struct LoadReport {
    /// Requests answered 200 with a pid.
    pub ok: u64,
    /// Requests that failed (error, timeout, other status).
    pub failed: u64,
    /// Failures by cause.
    pub errors: Value,
    /// Answers by pid.
    pub pids: std::collections::BTreeMap<i32, u64>,
}

const LOAD_JS: &str = r#"'use strict';
// usage: node load.js PORT KEEPALIVE(1|0) CLIENTS STOP_FILE PROGRESS_FILE MAX_MS
const http = require('http');
const fs = require('fs');
const [port, keepAlive, clients, stopFile, progressFile, maxMs] = process.argv.slice(2);
const deadline = Date.now() + Number(maxMs);
const stats = { ok: 0, failed: 0, errors: {}, pids: {} };
const done = () => Date.now() > deadline || fs.existsSync(stopFile);
function fail(what) {
  stats.failed++;
  stats.errors[what] = (stats.errors[what] || 0) + 1;
}
function once(agent) {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port: Number(port), path: '/', agent, timeout: 5000 };
    const req = http.get(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 200 && /^\d+$/.test(body)) {
          stats.ok++;
          stats.pids[body] = (stats.pids[body] || 0) + 1;
        } else {
          fail('status ' + res.statusCode + ' ' + JSON.stringify(body.slice(0, 40)));
        }
        resolve();
      });
      res.on('error', (e) => { fail(e.code || e.message); resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      fail((e.code || e.message) + (req.reusedSocket ? ' (reused socket)' : ''));
      resolve();
    });
  });
}
async function client() {
  const agent = new http.Agent({ keepAlive: keepAlive === '1', maxSockets: 1 });
  while (!done()) await once(agent);
  agent.destroy();
}
const progress = setInterval(() => fs.writeFileSync(progressFile, String(stats.ok)), 50);
Promise.all(Array.from({ length: Number(clients) }, client)).then(() => {
  clearInterval(progress);
  process.stdout.write(JSON.stringify(stats) + '\n');
});
"#;

impl Load {
    /// Starts `clients` concurrent clients against `port`, keeping connections alive or
    /// sending `Connection: close` on each request.
    pub fn start(pm2: &Pm2, port: u16, keep_alive: bool, clients: u32) -> Load {
        let script = pm2.write("load-client.js", LOAD_JS, false);
        let stop_file = pm2.work().join("load.stop");
        let progress_file = pm2.work().join("load.progress");
        let _ = std::fs::remove_file(&stop_file);
        let _ = std::fs::remove_file(&progress_file);
        let child = Command::new("node")
            .arg(&script)
            .arg(port.to_string())
            .arg(if keep_alive { "1" } else { "0" })
            .arg(clients.to_string())
            .arg(&stop_file)
            .arg(&progress_file)
            .arg("60000")
            .env_remove("NODE_OPTIONS")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run node load client");
        Load {
            child: Some(child),
            stop_file,
            progress_file,
        }
    }

    /// Requests answered so far (updated every 50 ms).
    pub fn served(&self) -> u64 {
        read(&self.progress_file).trim().parse().unwrap_or(0)
    }

    /// Waits until at least `count` requests have been answered.
    pub fn wait_served(&self, count: u64) {
        wait_until(&format!("the load to have {count} answers"), || {
            self.served() >= count
        });
    }

    /// Stops the clients and returns what they saw.
    pub fn finish(mut self) -> LoadReport {
        use std::io::Read;
        std::fs::write(&self.stop_file, "").expect("write stop file");
        let mut child = self.child.take().expect("load running");
        let deadline = Instant::now() + DEADLINE;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for load") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the load client did not stop");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        if let Some(mut out) = child.stdout.take() {
            let _ = out.read_to_string(&mut stdout);
        }
        assert!(status.success(), "load client failed: {status}, {stdout}");
        let stats: Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("load report {stdout:?}: {e}"));
        let pids = stats["pids"]
            .as_object()
            .map(|pids| {
                pids.iter()
                    .filter_map(|(pid, n)| Some((pid.parse().ok()?, n.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        LoadReport {
            ok: stats["ok"].as_u64().unwrap_or(0),
            failed: stats["failed"].as_u64().unwrap_or(0),
            errors: stats["errors"].clone(),
            pids,
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
