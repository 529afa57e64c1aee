//! Shared helpers for end-to-end tests: a private `PM2_HOME`, the real `pm2` binary, and
//! waiting for conditions with a deadline (never a bare sleep).
//!
//! Every [`Pm2`] kills its daemon and every process it started when dropped, so a failing
//! test leaves nothing behind.

#![allow(dead_code)]

pub mod logs;
pub mod socket;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Default deadline for conditions in tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A private `PM2_HOME` and a scratch directory for apps, with the `pm2` binary.
pub struct Pm2 {
    /// Holds `PM2_HOME`.
    pub home: tempfile::TempDir,
    /// Scratch space for scripts.
    pub work: tempfile::TempDir,
}

/// The output of one command, decoded.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the command succeeded.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the command failed; returns it for checking the message.
    pub fn failed(self) -> Run {
        assert_ne!(
            self.code, 0,
            "command should have failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The `pm2` binary under test.
pub fn pm2_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pm2"))
}

impl Pm2 {
    /// A fresh home (mode 0700 is the daemon's job) and work directory.
    pub fn new() -> Pm2 {
        Pm2 {
            home: tempfile::Builder::new()
                .prefix("pm2-home-")
                .tempdir()
                .expect("temp home"),
            work: tempfile::Builder::new()
                .prefix("pm2-work-")
                .tempdir()
                .expect("temp work"),
        }
    }

    /// `PM2_HOME`.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The scratch directory.
    pub fn work(&self) -> &Path {
        self.work.path()
    }

    /// A `pm2` command in the work directory with this home.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(pm2_bin());
        command
            .args(args)
            .current_dir(self.work())
            .env("PM2_HOME", self.home())
            .env_remove("NO_COLOR");
        command
    }

    /// Runs `pm2 args...` and returns its output.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run pm2"))
    }

    /// Runs `pm2 args...` with extra environment variables (they reach started apps).
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        Run::from(
            self.command(args)
                .envs(vars.iter().copied())
                .output()
                .expect("run pm2"),
        )
    }

    /// Writes a file in the work directory (and makes it executable when asked).
    pub fn write(&self, name: &str, text: &str, executable: bool) -> PathBuf {
        let path = self.work().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write file");
        if executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }

    /// `pm2 jlist`, parsed.
    pub fn jlist(&self) -> Vec<Value> {
        let run = self.run(&["jlist"]).ok();
        match serde_json::from_str::<Value>(run.stdout.trim()) {
            Ok(Value::Array(list)) => list,
            other => panic!("jlist is not a JSON array: {other:?}\n{}", run.stdout),
        }
    }

    /// The jlist entry of one process id.
    pub fn process(&self, pm_id: u64) -> Option<Value> {
        self.jlist()
            .into_iter()
            .find(|p| p["pm_id"].as_u64() == Some(pm_id))
    }

    /// Waits until `check` holds for the jlist, or panics naming `what`.
    pub fn wait_for(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let list = self.jlist();
            if check(&list) {
                return list;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; jlist: {list:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until process `pm_id` has `status`.
    pub fn wait_status(&self, pm_id: u64, status: &str) -> Value {
        let list = self.wait_for(&format!("process {pm_id} to be {status}"), |list| {
            list.iter()
                .any(|p| p["pm_id"].as_u64() == Some(pm_id) && p["pm2_env"]["status"] == status)
        });
        list.into_iter()
            .find(|p| p["pm_id"].as_u64() == Some(pm_id))
            .expect("process present")
    }

    /// A log file under `PM2_HOME/logs`.
    pub fn log(&self, name: &str) -> PathBuf {
        self.home().join("logs").join(name)
    }

    /// The daemon's pid, if it is running.
    pub fn daemon_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.home().join("pm2.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

impl Drop for Pm2 {
    fn drop(&mut self) {
        let pids: Vec<i32> = if self.home().join("rpc.sock").exists() {
            self.jlist_quiet()
        } else {
            Vec::new()
        };
        let daemon = self.daemon_pid();
        let _ = self.command(&["kill"]).output();
        // Backstop: nothing the test started may survive it.
        for pid in pids {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        if let Some(pid) = daemon {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Pm2 {
    fn jlist_quiet(&self) -> Vec<i32> {
        let Ok(output) = self.command(&["jlist"]).output() else {
            return Vec::new();
        };
        let Ok(Value::Array(list)) = serde_json::from_slice::<Value>(&output.stdout) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|p| p["pid"].as_i64())
            .filter(|&pid| pid > 0)
            .map(|pid| pid as i32)
            .collect()
    }
}

/// Waits until `check` is true, or panics naming `what`.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True while a pid exists (and is not a zombie we could reap).
pub fn alive(pid: i32) -> bool {
    if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
        return false;
    }
    // A zombie still answers kill(0); read its state.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.split(") ").nth(1).unwrap_or("").starts_with('Z'))
        .unwrap_or(false)
}

/// Reads a file, empty when missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A log file and the pieces rotated out of it (pm2-logrotate names them
/// `<stem>__<date>.log`), oldest first, the live file last: together they hold every line.
pub fn log_pieces(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().expect("a directory");
    let stem = path.file_stem().expect("a name").to_string_lossy();
    let prefix = format!("{stem}__");
    let mut rotated: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    rotated.sort();
    rotated
        .into_iter()
        .map(|(_, p)| p)
        .chain(std::iter::once(path.to_path_buf()))
        .collect()
}

/// The bytes of a log with its rotated pieces ([`log_pieces`]).
pub fn log_size(path: &Path) -> u64 {
    log_pieces(path)
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}

// ---------------------------------------------------------------------------------------
// Ports and HTTP on 127.0.0.1 (cluster tests)
// ---------------------------------------------------------------------------------------

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

/// Panics, naming `what`, unless `check` holds for the whole `window`: for what must *not*
/// happen (no restart after an ignored write), which only an observation window can show.
pub fn stays(what: &str, window: Duration, mut check: impl FnMut() -> bool) {
    let end = Instant::now() + window;
    while Instant::now() < end {
        assert!(check(), "{what} did not hold for {window:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Resident memory of a process (`VmRSS`), in bytes.
pub fn rss_bytes(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time a process has used, user and system, in clock ticks (`USER_HZ`: 100 a second).
pub fn cpu_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(") ")?.1.split_whitespace();
    // After the command: state is field 3, utime 14 and stime 15 (1-based).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}
