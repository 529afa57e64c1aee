//! Apps' output in `PM2_HOME/logs`: every byte, in order, whole lines, across restarts.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{log_pieces, log_size, wait_until, Pm2};

#[test]
fn a_fast_writer_loses_no_line_and_cuts_none() {
    // 200,000 lines of 100 bytes on stdout (20 MB) and one in five on stderr, as fast as
    // Python writes them.
    let pm2 = Pm2::new();
    pm2.write(
        "fast.py",
        r#"
import sys, time
pad = "x" * 88
for i in range(200000):
    sys.stdout.write(f"out {i:06d} {pad}\n")
    if i % 5 == 0:
        sys.stderr.write(f"err {i // 5:06d} {pad}\n")
sys.stdout.flush()
sys.stderr.flush()
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "fast.py", "--name", "fast"]).ok();
    let out = pm2.log("fast-out.log");
    let err = pm2.log("fast-error.log");
    let pad = "x".repeat(88);
    let expected = |stream: &str, n: usize| -> Vec<String> {
        (0..n).map(|i| format!("{stream} {i:06} {pad}")).collect()
    };
    let (out_lines, err_lines) = (expected("out", 200_000), expected("err", 40_000));
    assert_eq!(out_lines[0].len() + 1, 100, "100-byte lines");
    // Wait on the size (reading 20 MB every few milliseconds would slow the writer down).
    // Past pm2-logrotate's max_size the log is rotated: its pieces together hold every line.
    wait_until("200,000 lines in the out log", || {
        log_size(&out) >= 200_000 * 100
    });
    wait_until("40,000 lines in the error log", || {
        log_size(&err) >= 40_000 * 100
    });

    assert_lines(&out, &out_lines);
    assert_lines(&err, &err_lines);
}

#[test]
fn a_line_written_in_two_parts_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write(
        "partial.py",
        r#"
import sys, time
sys.stdout.write("partial")
sys.stdout.flush()
time.sleep(1)
sys.stdout.write(" rest\n")
sys.stdout.flush()
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "partial.py", "--name", "partial"]).ok();
    let out = pm2.log("partial-out.log");
    wait_until("the completed line in the log", || {
        read_bytes(&out).ends_with(b"\n")
    });
    assert_eq!(String::from_utf8_lossy(&read_bytes(&out)), "partial rest\n");
}

#[test]
fn a_trailing_line_without_newline_is_flushed() {
    let pm2 = Pm2::new();
    pm2.write(
        "tail.py",
        r#"
import sys, time
sys.stdout.write("tail-without-newline")
sys.stdout.flush()
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "tail.py", "--name", "tail"]).ok();
    let out = pm2.log("tail-out.log");
    wait_until("the partial line in the log", || {
        read_bytes(&out) == b"tail-without-newline"
    });
}

#[test]
fn a_one_mebibyte_line_arrives_whole() {
    let pm2 = Pm2::new();
    pm2.write(
        "big.py",
        r#"
import sys, time
line = bytes(48 + (i * 7) % 75 for i in range(1024 * 1024))
sys.stdout.buffer.write(line + b"\n")
sys.stdout.flush()
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "big.py", "--name", "big"]).ok();
    let out = pm2.log("big-out.log");
    let mut expected: Vec<u8> = (0..1024 * 1024).map(|i| 48 + (i * 7 % 75) as u8).collect();
    expected.push(b'\n');
    wait_until("1 MiB in the log", || {
        read_bytes(&out).len() >= expected.len()
    });
    let got = read_bytes(&out);
    assert_eq!(got.len(), expected.len(), "log size");
    assert!(
        got == expected,
        "the 1 MiB line differs from what was written"
    );
}

#[test]
fn non_utf8_bytes_pass_through_unchanged() {
    let pm2 = Pm2::new();
    pm2.write(
        "bytes.py",
        r#"
import sys, time
sys.stdout.buffer.write(b"caf\xe9 \xff\xfe\x00 \xc3\x28 \xe2\x82\n")
sys.stdout.buffer.write(b"half a char \xe2\x82")
sys.stdout.flush()
time.sleep(0.5)
sys.stdout.buffer.write(b"\xac done\n")
sys.stdout.flush()
sys.stderr.buffer.write(b"err \x80\x81\n")
sys.stderr.flush()
time.sleep(100000)
"#,
        false,
    );
    pm2.run(&["start", "bytes.py", "--name", "bytes"]).ok();
    let out = pm2.log("bytes-out.log");
    let err = pm2.log("bytes-error.log");
    let expected_out: &[u8] =
        b"caf\xe9 \xff\xfe\x00 \xc3\x28 \xe2\x82\nhalf a char \xe2\x82\xac done\n";
    wait_until("both lines in the out log", || {
        read_bytes(&out).len() >= expected_out.len()
    });
    wait_until("the error line", || !read_bytes(&err).is_empty());
    assert_eq!(read_bytes(&out), expected_out);
    assert_eq!(read_bytes(&err), b"err \x80\x81\n");
}

#[test]
fn a_continuous_writer_loses_no_line_across_a_restart() {
    let pm2 = Pm2::new();
    // One write per line (atomic), numbered from 0 per process; on SIGINT/SIGTERM it stops
    // after a whole line and records the last number it wrote.
    pm2.write(
        "counter.py",
        r#"
import os, signal, time
stop = False
def on_signal(*_):
    global stop
    stop = True
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
pid = os.getpid()
i = 0
while not stop:
    os.write(1, f"{pid} {i}\n".encode())
    i += 1
    time.sleep(0.002)
with open(f"last-{pid}", "w") as f:
    f.write(str(i - 1))
"#,
        false,
    );
    pm2.run(&["start", "counter.py", "--name", "counter"]).ok();
    let first = pm2.wait_status(0, "online")["pid"].as_u64().expect("pid") as u32;
    let out = pm2.log("counter-out.log");
    wait_until("the first run to write 200 lines", || {
        runs(&out).get(&first).is_some_and(|n| n.len() >= 200)
    });

    pm2.run(&["restart", "counter"]).ok();
    let list = pm2.wait_for("the restarted process online", |list| {
        list.first().is_some_and(|p| {
            p["pm2_env"]["status"] == "online"
                && p["pid"].as_u64().is_some_and(|pid| pid != first as u64)
        })
    });
    let second = list[0]["pid"].as_u64().expect("pid") as u32;
    assert_eq!(list[0]["pm2_env"]["restart_time"].as_u64(), Some(1));

    // The first run recorded its last line; all of them must be in the log.
    let last_file = pm2.work().join(format!("last-{first}"));
    wait_until("the first run to record its last line", || {
        !common::read(&last_file).is_empty()
    });
    let last: u64 = common::read(&last_file).trim().parse().expect("a number");

    // The second run keeps writing.
    wait_until("the second run to write 200 lines", || {
        runs(&out).get(&second).is_some_and(|n| n.len() >= 200)
    });
    let before = runs(&out)[&second].len();
    wait_until("the log to keep growing", || {
        runs(&out)[&second].len() > before
    });

    let text = common::read(&out);
    let runs = runs(&out);
    assert_eq!(
        runs.keys().copied().collect::<Vec<_>>(),
        {
            let mut pids = vec![first, second];
            pids.sort();
            pids
        },
        "lines from exactly the two runs"
    );
    assert_numbered(&runs[&first], Some(last), "the first run", &text);
    assert_numbered(&runs[&second], None, "the second run", &text);
    // The runs do not interleave: every line of the first comes before the second's.
    let first_pos = text.rfind(&format!("{first} {last}\n")).expect("last line");
    let second_pos = text.find(&format!("{second} 0\n")).expect("first line");
    assert!(first_pos < second_pos, "the runs interleave");
}

// ---- helpers ----

fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// The file (with its rotated pieces before it, if any) holds exactly `expected`, one per
/// line, in order; no line is cut, not even where a piece ends.
fn assert_lines(path: &Path, expected: &[String]) {
    let pieces = log_pieces(path);
    let mut text = String::new();
    for piece in &pieces {
        let part = common::read(piece);
        assert!(
            part.is_empty() || part.ends_with('\n'),
            "{}: ends inside a line (of {} pieces)",
            piece.display(),
            pieces.len()
        );
        text.push_str(&part);
    }
    let lines: Vec<&str> = text.lines().collect();
    if let Some(at) = lines
        .iter()
        .zip(expected)
        .position(|(got, want)| got != want)
    {
        panic!(
            "{} ({} pieces): line {} is {:?}, expected {:?}",
            path.display(),
            pieces.len(),
            at + 1,
            lines[at],
            expected[at]
        );
    }
    assert_eq!(
        lines.len(),
        expected.len(),
        "{}: number of lines",
        path.display()
    );
    assert!(text.ends_with('\n'), "{}: last line cut", path.display());
}

/// Lines `<pid> <n>` of the counter app, grouped by pid, numbers in log order. A line that
/// does not parse is a cut or merged line: that fails at once.
fn runs(path: &Path) -> BTreeMap<u32, Vec<u64>> {
    let text = common::read(path);
    let mut runs: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    // The last line may still be arriving.
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    for line in complete.lines() {
        let parsed = line
            .split_once(' ')
            .and_then(|(pid, n)| Some((pid.parse().ok()?, n.parse().ok()?)));
        let Some((pid, n)) = parsed else {
            panic!("{}: malformed line {line:?}", path.display());
        };
        runs.entry(pid).or_default().push(n);
    }
    runs
}

/// `numbers` are 0, 1, 2, ... (up to `last` when given): no line lost or repeated.
fn assert_numbered(numbers: &[u64], last: Option<u64>, what: &str, log: &str) {
    if let Some(at) = numbers.iter().enumerate().position(|(i, &n)| n != i as u64) {
        panic!(
            "{what}: line number {at} is {} (lost or repeated lines); end of the log:\n{}",
            numbers[at],
            tail(log)
        );
    }
    if let Some(last) = last {
        assert_eq!(
            numbers.len() as u64,
            last + 1,
            "{what} wrote lines 0..={last}; the log has {}; end of the log:\n{}",
            numbers.len(),
            tail(log)
        );
    }
}

/// The end of a log, for messages.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
