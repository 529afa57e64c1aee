//! Helpers for the log tests: apps that write numbered lines, and `pm2 logs` followers
//! read line by line in threads, with deadlines.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::{read, wait_until, Pm2, DEADLINE};

/// Prints a line with quotes and a non-ASCII character to stdout, one to stderr, and waits.
pub const HELLO: &str = r#"
import sys, time
sys.stdout.write('hello "out" \u2713\n')
sys.stdout.flush()
sys.stderr.write("hello err\n")
sys.stderr.flush()
time.sleep(100000)
"#;

/// Starts `name`, which writes `out <i>` / `err <i>` for i in 0..n and idles; waits until
/// both files hold every line.
pub fn start_numbered(pm2: &Pm2, name: &str, n: usize) {
    pm2.write(
        "numbered.py",
        r#"
import os, sys, time
for i in range(int(sys.argv[1])):
    os.write(1, f"out {i}\n".encode())
    os.write(2, f"err {i}\n".encode())
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "numbered.py", "--name", name, "--", &n.to_string()])
        .ok();
    for file in [format!("{name}-out.log"), format!("{name}-error.log")] {
        let path = pm2.log(&file);
        wait_until(&format!("{n} lines in {file}"), || {
            read(&path).lines().count() >= n
        });
    }
}

/// Starts `name`, which writes `tick <i>` to stdout and `tock <i>` to stderr every 50 ms.
pub fn start_ticker(pm2: &Pm2, name: &str, extra: &[&str]) {
    pm2.write(
        "ticker.py",
        r#"
import os, time
i = 0
while True:
    os.write(1, f"tick {i}\n".encode())
    os.write(2, f"tock {i}\n".encode())
    i += 1
    time.sleep(0.05)
"#,
        false,
    );
    let mut args = vec!["start", "ticker.py", "--name", name];
    args.extend_from_slice(extra);
    pm2.run(&args).ok();
}

/// Starts `name`, which writes `0`, `1`, `2`... to stdout (one write per line, every 2 ms;
/// `e<i>` to stderr every 10th) until SIGINT, then records its last number in `last`.
pub fn start_counter(pm2: &Pm2, name: &str) {
    pm2.write(
        "counter.py",
        r#"
import os, signal, time
stop = False
def on_signal(*_):
    global stop
    stop = True
signal.signal(signal.SIGINT, on_signal)
i = 0
while not stop:
    os.write(1, f"{i}\n".encode())
    if i % 10 == 0:
        os.write(2, f"e{i}\n".encode())
    i += 1
    time.sleep(0.002)
with open("last", "w") as f:
    f.write(str(i - 1))
"#,
        false,
    );
    pm2.run(&["start", "counter.py", "--name", name]).ok();
}

/// The numbers of the counter's complete lines, in file order (a malformed line fails).
pub fn numbers(path: &Path) -> Vec<u64> {
    let text = read(path);
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("{}: malformed line {l:?}", path.display()))
        })
        .collect()
}

/// After a flush: the file holds only lines written after `last_before`, from its first
/// byte, consecutive.
pub fn assert_flushed_after(path: &Path, last_before: u64) {
    let bytes = std::fs::read(path).expect("read");
    assert!(
        !bytes.contains(&0),
        "{}: NUL bytes (written at the old offset)",
        path.display()
    );
    let numbers = numbers(path);
    assert!(
        numbers[0] > last_before,
        "{}: starts with line {} though the flush came after line {last_before}",
        path.display(),
        numbers[0]
    );
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "{}: lines lost or repeated after the flush",
        path.display()
    );
}

/// The number after `prefix`, when the line is exactly `prefix<number>`.
pub fn number_after(line: &str, prefix: &str) -> Option<u64> {
    line.strip_prefix(prefix)?.parse().ok()
}

/// The count in a `<n> lines were not shown` warning.
pub fn missed_count(line: &str) -> Option<u64> {
    let before = &line[..line.find(" lines were not shown")?];
    before.rsplit(' ').next()?.parse().ok()
}

/// The text with every ASCII digit as `9`: a shape to compare dates against.
pub fn digits(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect()
}

/// A predicate true from the `n`-th line that matches `check` on.
pub fn counting(n: usize, check: impl Fn(&str) -> bool) -> impl FnMut(&str) -> bool {
    let mut count = 0;
    move |line| {
        if check(line) {
            count += 1;
        }
        count >= n
    }
}

pub fn sorted<const N: usize>(paths: [&PathBuf; N]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    paths.sort();
    paths
}

pub fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

/// The output of `pm2 logs --nostream`: the `[TAILING]` header, then per file
/// `<path> last <n> lines:`, its lines, and a blank line when it had any.
pub struct Tail {
    pub header: String,
    pub sections: Vec<(String, Vec<String>)>,
}

impl Tail {
    pub fn parse(stdout: &str) -> Tail {
        let mut lines = stdout.lines();
        let header = lines.next().unwrap_or_default().to_string();
        let mut sections: Vec<(String, Vec<String>)> = Vec::new();
        for line in lines {
            if line.contains(" last ") && line.ends_with(" lines:") {
                sections.push((line.to_string(), Vec::new()));
            } else if !line.is_empty() {
                match sections.last_mut() {
                    Some((_, body)) => body.push(line.to_string()),
                    None => panic!("a line before any file header: {line:?}\n{stdout}"),
                }
            }
        }
        Tail { header, sections }
    }

    /// The files tailed, sorted.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .sections
            .iter()
            .map(|(h, _)| PathBuf::from(h.split_once(" last ").expect("header").0))
            .collect();
        paths.sort();
        paths
    }

    /// The lines under `<path> last <n> lines:`; panics when that header is missing.
    pub fn section(&self, path: &Path, n: usize) -> Vec<String> {
        let header = format!("{} last {n} lines:", path.display());
        self.sections
            .iter()
            .find(|(h, _)| *h == header)
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| {
                panic!(
                    "no `{header}` in the output; headers: {:?}",
                    self.sections.iter().map(|(h, _)| h).collect::<Vec<_>>()
                )
            })
    }
}

/// What a follower printed, line by line.
#[derive(Debug, Default)]
pub struct Seen {
    pub out: Vec<String>,
    pub err: Vec<String>,
}

/// A running `pm2 logs` with its stdout and stderr read line by line in threads.
pub struct Follower {
    pub child: Child,
    pub out: Receiver<String>,
    pub err: Receiver<String>,
    pub seen: Seen,
}

impl Follower {
    /// Spawns `pm2 args...`; its output is read as fast as it comes.
    pub fn start(pm2: &Pm2, args: &[&str]) -> Follower {
        Follower::spawn(pm2, args, None)
    }

    /// Spawns `pm2 args...`; at most `room` stdout lines are read ahead of the test, so
    /// the follower blocks on a full pipe while the test does not read.
    pub fn start_bounded(pm2: &Pm2, args: &[&str], room: usize) -> Follower {
        Follower::spawn(pm2, args, Some(room))
    }

    pub fn spawn(pm2: &Pm2, args: &[&str], room: Option<usize>) -> Follower {
        let mut child = pm2
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pm2 logs");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let out = match room {
            None => {
                let (tx, rx) = mpsc::channel();
                pump(stdout, move |line| tx.send(line).is_ok());
                rx
            }
            Some(room) => {
                let (tx, rx) = mpsc::sync_channel(room);
                pump(stdout, move |line| tx.send(line).is_ok());
                rx
            }
        };
        let (tx, err) = mpsc::channel();
        pump(stderr, move |line| tx.send(line).is_ok());
        Follower {
            child,
            out,
            err,
            seen: Seen::default(),
        }
    }

    /// The next stdout line for which `check` holds; every line read is kept in `seen`.
    pub fn out_line(&mut self, what: &str, check: impl FnMut(&str) -> bool) -> String {
        self.next_line(what, false, check)
    }

    /// The next stderr line for which `check` holds.
    pub fn err_line(&mut self, what: &str, check: impl FnMut(&str) -> bool) -> String {
        self.next_line(what, true, check)
    }

    pub fn next_line(
        &mut self,
        what: &str,
        stderr: bool,
        mut check: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (rx, seen) = if stderr {
                (&self.err, &mut self.seen.err)
            } else {
                (&self.out, &mut self.seen.out)
            };
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if check(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out waiting for {what}; last lines: {:?}",
                    self.last_seen()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "`pm2 logs` closed its output before {what} ({:?}); last lines: {:?}",
                    self.child.try_wait(),
                    self.last_seen()
                ),
            }
        }
    }

    /// Reads both outputs until `done` holds for what was seen.
    pub fn drain_until(&mut self, what: &str, done: impl Fn(&Follower) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; {} out lines, stderr {:?}",
                self.seen.out.len(),
                self.seen.err
            );
            self.seen.err.extend(self.err.try_iter());
            match self.out.recv_timeout(Duration::from_millis(20)) {
                Ok(line) => self.seen.out.push(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("`pm2 logs` closed its output before {what}")
                }
            }
        }
    }

    /// The last lines read from each output, for messages.
    pub fn last_seen(&self) -> (&[String], &[String]) {
        let out = &self.seen.out;
        let err = &self.seen.err;
        (
            &out[out.len().saturating_sub(10)..],
            &err[err.len().saturating_sub(10)..],
        )
    }

    /// Waits for the follower to exit by itself.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "`pm2 logs` still running; last lines: {:?}",
                self.last_seen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills and reaps the follower; returns everything it printed that was read, plus
    /// whatever else was already in its pipes.
    pub fn stop(mut self) -> Seen {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes close with the child: the readers finish what was written.
        let deadline = Instant::now() + DEADLINE;
        while let Ok(line) = self
            .out
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.out.push(line);
        }
        while let Ok(line) = self.err.recv_timeout(Duration::from_millis(200)) {
            self.seen.err.push(line);
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `stream` line by line (bytes decoded lossily, newline removed) in a thread and
/// hands each to `send`, until the stream ends or `send` says stop.
pub fn pump(stream: impl Read + Send + 'static, send: impl Fn(String) -> bool + Send + 'static) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if buffer.last() == Some(&b'\n') {
                        buffer.pop();
                    }
                    if !send(String::from_utf8_lossy(&buffer).into_owned()) {
                        return;
                    }
                }
            }
        }
    });
}
