//! The Monitor end to end: `max_memory_restart` restarts an app that grows past its limit
//! (once, through the path of `pm2 restart`, said in `pm2.log`), `pm2 set pm2:sysmonit`
//! adds the host line to `pm2 ls`, `pm2 set pm2:prometheus_port` serves `/metrics` that
//! Prometheus' own parser reads, and bad values are refused with one line naming them.
//!
//! The parser is `prometheus_client` from PyPI in `target/mcp-venv` (`.ci/run` installs
//! it; locally: `target/mcp-venv/bin/pip install prometheus_client`). Without it that test
//! skips, except under `CI` where it fails.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::http::free_port;
use common::{read, wait_until, Pm2};
use serde_json::Value;

/// 100 MiB, the limit the growing app crosses.
const LIMIT: u64 = 100 * 1024 * 1024;

/// Grows by 10 MiB every 100 ms to 160 MiB on its first run (the marker file tells runs
/// apart), from a random moment so the crossing falls anywhere in the Monitor's second,
/// printing when its resident size crosses the limit and when it gets SIGINT,
/// which it ignores so the stop lasts the whole kill_timeout. Later runs stay small.
const GROWER: &str = r#"
import os, random, signal, sys, time
now = lambda: time.time_ns() // 1_000_000
marker = sys.argv[1]
if os.path.exists(marker):
    print("second run", flush=True)
    while True:
        time.sleep(1)
open(marker, "w").close()
time.sleep(random.random())  # cross at any point of the Monitor's second
signal.signal(signal.SIGINT, lambda *_: print(f"signalled {now()}", flush=True))
page = os.sysconf("SC_PAGE_SIZE")
hog, crossed = [], False
while True:
    if len(hog) < 16:
        hog.append(b"x" * (10 * 1024 * 1024))
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * page
    if rss > 100 * 1024 * 1024 and not crossed:
        crossed = True
        print(f"crossed {now()}", flush=True)
    time.sleep(0.1)
"#;

/// The first number after `word ` in the app's output.
fn stamp(out: &str, word: &str) -> Option<i64> {
    out.lines()
        .find_map(|l| l.strip_prefix(word)?.trim().parse().ok())
}

fn restarts(p: &Value) -> u64 {
    p["pm2_env"]["restart_time"].as_u64().unwrap_or(0)
}

/// The `[PM2][WORKER]` lines of `pm2.log`.
fn worker_lines(pm2: &Pm2) -> Vec<String> {
    read(&pm2.home().join("pm2.log"))
        .lines()
        .filter(|l| l.contains("[PM2][WORKER]"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_app_over_its_memory_limit_is_restarted_once_within_two_seconds() {
    let pm2 = Pm2::new();
    let script = pm2.write("grow.py", GROWER, false);
    let marker = pm2.work().join("grown");
    pm2.run(&[
        "start",
        script.to_str().unwrap(),
        "--name",
        "grow",
        "--max-memory-restart",
        "100M",
        "--kill-timeout",
        "3000",
        "--",
        marker.to_str().unwrap(),
    ])
    .ok();
    let out = pm2.log("grow-out.log");
    wait_until("the app to be restarted and run again", || {
        read(&out).contains("second run")
    });
    let text = read(&out);
    let crossed = stamp(&text, "crossed ").expect("the app crossed the limit");
    let signalled = stamp(&text, "signalled ").expect("the app was asked to stop");
    let delay = signalled - crossed;
    eprintln!("crossing the limit -> kill signal: {delay} ms");
    assert!(
        (0..2000).contains(&delay),
        "the restart began {delay} ms after the crossing"
    );
    let list = pm2.wait_for("the restart to be counted", |list| {
        list.first().is_some_and(|p| restarts(p) == 1)
    });
    assert_eq!(list[0]["pm2_env"]["status"], "online");
    // Over the limit for the whole 3 s stop, yet restarted once: one line, one count.
    let lines = worker_lines(&pm2);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = &lines[0];
    let wording = "[PM2][WORKER] Process 0 (grow) restarted because it exceeds \
                   --max-memory-restart value (current_memory=";
    assert!(line.contains(wording), "{line}");
    let current: u64 = line
        .split("current_memory=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a figure");
    assert!(current > LIMIT, "{line}");
    assert!(
        line.contains(&format!("max_memory_limit={LIMIT} [octets])")),
        "{line}"
    );
    assert_eq!(restarts(&pm2.process(0).expect("still listed")), 1);
}

/// `pm2 ls` output lines that are the host line.
fn host_lines(pm2: &Pm2) -> Vec<String> {
    pm2.run(&["ls"])
        .ok()
        .stdout
        .lines()
        .filter(|l| l.contains("host metrics"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn sysmonit_adds_the_host_line_to_ls_and_leaves_jlist_alone() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "nap", "--", "1000"])
        .ok();
    let before = pm2.jlist();
    assert!(host_lines(&pm2).is_empty(), "off by default");
    pm2.run(&["set", "pm2:sysmonit", "true"]).ok();
    let mut line = String::new();
    wait_until("the host line", || {
        line = host_lines(&pm2).pop().unwrap_or_default();
        !line.is_empty()
    });
    for part in ["cpu: ", "mem: ", "load: ", "disk: ⇓ ", "net: ⇓ ", "b/s"] {
        assert!(line.contains(part), "{part:?} missing from {line:?}");
    }
    let after = pm2.jlist();
    let keys = |p: &Value| -> Vec<String> {
        p.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(after.len(), before.len());
    assert_eq!(after[0]["name"], "nap");
    assert_eq!(
        keys(&after[0]),
        keys(&before[0]),
        "the same fields as before"
    );
    assert_eq!(keys(&after[0]["pm2_env"]), keys(&before[0]["pm2_env"]));
    // Stored as PM2 stores it, and `pm2 get` shows it.
    let conf: Value =
        serde_json::from_str(&read(&pm2.home().join("module_conf.json"))).expect("json");
    assert_eq!(conf["pm2"]["sysmonit"], "true");
    pm2.run(&["set", "pm2:sysmonit", "false"]).ok();
    assert!(host_lines(&pm2).is_empty(), "off at once");
    pm2.run(&["set", "pm2:sysmonit", "true"]).ok();
    wait_until("the host line again", || !host_lines(&pm2).is_empty());
    pm2.run(&["unset", "pm2:sysmonit"]).ok();
    assert!(host_lines(&pm2).is_empty(), "unset is off");
}

/// One HTTP/1.1 request; the status code and body.
fn http(port: u16, request: &str) -> Result<(u16, String), String> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("receive: {e}"))?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not HTTP: {answer:?}"))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok((code, body.to_owned()))
}

fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    http(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

/// The venv's Python with `prometheus_client`, or `None` (after a note) outside CI.
fn parser_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mcp-venv/bin/python");
    let usable = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if usable {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "prometheus_client is missing from {}: .ci/run installs it",
        python.display()
    );
    eprintln!(
        "skipping: no prometheus_client in {} (target/mcp-venv/bin/pip install \
         prometheus_client)",
        python.display()
    );
    None
}

/// Parses an exposition with `prometheus_client`; one JSON object per sample.
fn parse_with_prometheus_client(python: &Path, text: &str) -> Vec<Value> {
    const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        print(json.dumps({"family": family.name, "type": family.type,
                          "name": s.name, "labels": s.labels, "value": s.value}))
"#;
    let mut child = Command::new(python)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write exposition");
    let output = child.wait_with_output().expect("parser output");
    assert!(
        output.status.success(),
        "prometheus_client refused the page: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json sample"))
        .collect()
}

fn sample<'a>(samples: &'a [Value], name: &str, app: &str) -> Option<&'a Value> {
    samples
        .iter()
        .find(|s| s["name"] == name && s["labels"]["name"] == app)
}

#[test]
fn metrics_are_served_on_loopback_and_read_by_prometheus_client() {
    let Some(python) = parser_python() else {
        return;
    };
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "api", "--", "1000"])
        .ok();
    pm2.run(&[
        "start",
        "sleep",
        "--name",
        "say \"hi\"",
        "--namespace",
        "jobs",
        "--",
        "1000",
    ])
    .ok();
    pm2.run(&["stop", "1"]).ok();
    let port = free_port();
    pm2.run(&["set", "pm2:prometheus_port", &port.to_string()])
        .ok();
    let (code, page) = get(port, "/metrics").expect("served at once");
    assert_eq!(code, 200);
    let samples = parse_with_prometheus_client(&python, &page);
    let memory = sample(&samples, "pm2_process_memory_bytes", "api").expect("api memory");
    assert_eq!(memory["labels"]["id"], "0");
    assert_eq!(memory["labels"]["namespace"], "default");
    assert_eq!(memory["type"], "gauge");
    let restarts = sample(&samples, "pm2_process_restarts_total", "api").expect("counter");
    assert_eq!(restarts["type"], "counter");
    assert_eq!(restarts["value"].as_f64(), Some(0.0));
    for name in ["pm2_process_cpu_percent", "pm2_process_uptime_seconds"] {
        assert!(sample(&samples, name, "api").is_some(), "{name}");
    }
    let status = |app: &str, status: &str| {
        samples
            .iter()
            .find(|s| {
                s["name"] == "pm2_process_status"
                    && s["labels"]["name"] == app
                    && s["labels"]["status"] == status
            })
            .and_then(|s| s["value"].as_f64())
    };
    assert_eq!(status("api", "online"), Some(1.0));
    assert_eq!(status("api", "stopped"), Some(0.0));
    // The quoted name comes back whole through the escaping.
    assert_eq!(status("say \"hi\"", "stopped"), Some(1.0));
    let quoted = sample(&samples, "pm2_process_memory_bytes", "say \"hi\"").expect("quoted");
    assert_eq!(quoted["labels"]["namespace"], "jobs");
    assert_eq!(quoted["labels"]["id"], "1");

    assert_eq!(get(port, "/").expect("answered").0, 404);
    assert_eq!(get(port, "/metricsx").expect("answered").0, 404);
    let post = "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(http(port, post).expect("answered").0, 405);

    // Another port: served there, and the old one is closed.
    let moved = free_port();
    pm2.run(&["set", "pm2:prometheus_port", &moved.to_string()])
        .ok();
    assert_eq!(get(moved, "/metrics").expect("new port").0, 200);
    assert!(get(port, "/metrics").is_err(), "old port closed");
    pm2.run(&["unset", "pm2:prometheus_port"]).ok();
    assert!(get(moved, "/metrics").is_err(), "unset stops serving");
    pm2.run(&["set", "pm2:prometheus_port", &port.to_string()])
        .ok();
    assert_eq!(get(port, "/metrics").expect("again").0, 200);
    pm2.run(&["set", "pm2:prometheus_port", "0"]).ok();
    assert!(get(port, "/metrics").is_err(), "0 stops serving");
}

#[test]
fn bad_values_are_refused_with_one_line_naming_them() {
    let pm2 = Pm2::new();
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"api\"\nscript = \"sleep\"\nargs = [\"100\"]\n\
         max_memory_restart = \"lots\"\n",
        false,
    );
    let one_line = |run: common::Run, names: &[&str]| {
        let message = run.stderr.trim().to_owned();
        assert_eq!(message.lines().count(), 1, "{message}");
        for name in names {
            assert!(message.contains(name), "{name:?} not in {message:?}");
        }
    };
    one_line(
        pm2.run(&["start", "ecosystem.toml"]).failed(),
        &["ecosystem.toml:5", "max_memory_restart", "\"lots\""],
    );
    one_line(
        pm2.run(&["start", "sleep", "--max-memory-restart", "lots", "--", "9"])
            .failed(),
        &["--max-memory-restart", "\"lots\""],
    );
    one_line(
        pm2.run(&["set", "pm2:prometheus_port", "abc"]).failed(),
        &["pm2:prometheus_port", "\"abc\""],
    );
    one_line(
        pm2.run(&["set", "pm2:sysmonit", "maybe"]).failed(),
        &["pm2:sysmonit", "\"maybe\""],
    );
    // A port someone else holds is refused, and nothing is stored.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    one_line(
        pm2.run(&["set", "pm2:prometheus_port", &port]).failed(),
        &[&format!("127.0.0.1:{port}")],
    );
    let conf = read(&pm2.home().join("module_conf.json"));
    assert!(!conf.contains("prometheus_port"), "{conf}");
    assert!(!conf.contains("maybe"), "{conf}");
    assert!(pm2.jlist().is_empty());
}
