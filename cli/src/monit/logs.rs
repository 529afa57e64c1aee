//! The lines of the dashboard's log pane: the last lines of each process, as the daemon
//! pushes them over the `pm2 logs` subscription, plus what the log files held before the
//! dashboard opened (fetched once per process, when it is first selected).
//!
//! Lines are made safe for a terminal cell grid on the way in: an app's colour codes or a
//! stray carriage return must not move the cursor inside the dashboard.

use std::collections::{BTreeMap, VecDeque};

use pm2_protocol::LogStream;

/// Lines kept per process: more than a tall terminal shows, few enough for 50 apps.
pub const LINES_PER_PROCESS: usize = 200;

/// One line of output, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// stdout or stderr (drawn in red).
    pub stream: LogStream,
    /// The text, without control characters.
    pub text: String,
}

impl Entry {
    /// A line from the bytes an app wrote.
    pub fn new(stream: LogStream, bytes: &[u8]) -> Entry {
        Entry {
            stream,
            text: sanitize(bytes),
        }
    }
}

/// The last lines of every process, by `pm_id`, each bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBuffers {
    by_id: BTreeMap<u32, VecDeque<Entry>>,
    capacity: usize,
    /// Lines the daemon dropped because the dashboard fell behind.
    pub missed: u64,
}

impl Default for LogBuffers {
    fn default() -> Self {
        LogBuffers::with_capacity(LINES_PER_PROCESS)
    }
}

impl LogBuffers {
    /// Buffers keeping at most `capacity` lines per process (at least one).
    pub fn with_capacity(capacity: usize) -> LogBuffers {
        LogBuffers {
            by_id: BTreeMap::new(),
            capacity: capacity.max(1),
            missed: 0,
        }
    }

    /// Appends a line pushed by the daemon.
    pub fn push(&mut self, pm_id: u32, entry: Entry) {
        let lines = self.by_id.entry(pm_id).or_default();
        lines.push_back(entry);
        while lines.len() > self.capacity {
            lines.pop_front();
        }
    }

    /// Puts the lines the files held before the live ones. The files also hold the live
    /// lines that were written before the daemon answered: those are recognised, per
    /// stream, as the live lines that repeat the end of the file, and kept once.
    pub fn backfill(&mut self, pm_id: u32, out: Vec<Entry>, err: Vec<Entry>) {
        let live = self.by_id.remove(&pm_id).unwrap_or_default();
        let mut skip_out = overlap(&out, live.iter().filter(|e| e.stream == LogStream::Out));
        let mut skip_err = overlap(&err, live.iter().filter(|e| e.stream == LogStream::Err));
        let mut merged: VecDeque<Entry> = out.into_iter().chain(err).collect();
        for entry in live {
            let skip = match entry.stream {
                LogStream::Out => &mut skip_out,
                LogStream::Err => &mut skip_err,
            };
            if *skip > 0 {
                *skip -= 1;
            } else {
                merged.push_back(entry);
            }
        }
        while merged.len() > self.capacity {
            merged.pop_front();
        }
        self.by_id.insert(pm_id, merged);
    }

    /// The lines of one process, oldest first.
    pub fn lines(&self, pm_id: u32) -> &VecDeque<Entry> {
        static NONE: VecDeque<Entry> = VecDeque::new();
        self.by_id.get(&pm_id).unwrap_or(&NONE)
    }

    /// Forgets the processes not in `ids` (deleted ones).
    pub fn retain(&mut self, ids: impl Fn(u32) -> bool) {
        self.by_id.retain(|id, _| ids(*id));
    }
}

/// How many of the first `live` lines repeat the last lines of `past`.
fn overlap<'a>(past: &[Entry], live: impl Iterator<Item = &'a Entry>) -> usize {
    let live: Vec<&Entry> = live.collect();
    let longest = past.len().min(live.len());
    (1..=longest)
        .rev()
        .find(|&k| {
            past[past.len() - k..]
                .iter()
                .zip(&live[..k])
                .all(|(a, b)| a == *b)
        })
        .unwrap_or(0)
}

/// Text that draws as it reads: invalid UTF-8 replaced, ANSI escape sequences removed,
/// tabs expanded, what a carriage return overwrote dropped, other control characters removed.
pub fn sanitize(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    // A terminal shows what follows the last carriage return over what preceded it.
    let text = match text.rsplit_once('\r') {
        Some((before, "")) => before.rsplit('\r').next().unwrap_or(before),
        Some((_, after)) => after,
        None => &text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => skip_escape(&mut chars),
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of an escape sequence: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL` or
/// `ESC \`), or a two-character one.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            while let Some(c) = chars.next() {
                if c == '\x07' {
                    break;
                }
                if c == '\x1b' {
                    chars.next_if_eq(&'\\');
                    break;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(text: &str) -> Entry {
        Entry::new(LogStream::Out, text.as_bytes())
    }

    fn err(text: &str) -> Entry {
        Entry::new(LogStream::Err, text.as_bytes())
    }

    fn texts(buffers: &LogBuffers, pm_id: u32) -> Vec<String> {
        buffers
            .lines(pm_id)
            .iter()
            .map(|e| e.text.clone())
            .collect()
    }

    #[test]
    fn keeps_the_last_lines_of_each_process() {
        let mut buffers = LogBuffers::with_capacity(2);
        for text in ["a", "b", "c"] {
            buffers.push(0, out(text));
        }
        buffers.push(1, out("other"));
        assert_eq!(texts(&buffers, 0), ["b", "c"]);
        assert_eq!(texts(&buffers, 1), ["other"]);
        assert_eq!(buffers.lines(7).len(), 0);
    }

    #[test]
    fn backfill_puts_the_files_first_and_keeps_lines_in_both_once() {
        let mut buffers = LogBuffers::default();
        // Live lines: "2" and "e1" were already in the files when the daemon answered.
        buffers.push(0, out("2"));
        buffers.push(0, err("e1"));
        buffers.push(0, out("3"));
        buffers.backfill(0, vec![out("1"), out("2")], vec![err("e0"), err("e1")]);
        assert_eq!(texts(&buffers, 0), ["1", "2", "e0", "e1", "3"]);
    }

    #[test]
    fn backfill_without_live_lines_or_without_files() {
        let mut buffers = LogBuffers::default();
        buffers.backfill(0, vec![out("1")], Vec::new());
        assert_eq!(texts(&buffers, 0), ["1"]);
        buffers.push(1, out("live"));
        buffers.backfill(1, Vec::new(), Vec::new());
        assert_eq!(texts(&buffers, 1), ["live"]);
    }

    #[test]
    fn backfill_stays_within_capacity() {
        let mut buffers = LogBuffers::with_capacity(3);
        buffers.push(0, out("live"));
        let past = (0..10).map(|i| out(&i.to_string())).collect();
        buffers.backfill(0, past, Vec::new());
        assert_eq!(texts(&buffers, 0), ["8", "9", "live"]);
    }

    #[test]
    fn retain_forgets_deleted_processes() {
        let mut buffers = LogBuffers::default();
        buffers.push(0, out("a"));
        buffers.push(1, out("b"));
        buffers.retain(|id| id == 1);
        assert_eq!(buffers.lines(0).len(), 0);
        assert_eq!(texts(&buffers, 1), ["b"]);
    }

    #[test]
    fn sanitize_removes_what_would_move_the_cursor() {
        assert_eq!(sanitize(b"\x1b[31mred\x1b[0m plain"), "red plain");
        assert_eq!(sanitize(b"\x1b]0;title\x07text"), "text");
        assert_eq!(sanitize(b"\x1b]8;;http://x\x1b\\link"), "link");
        assert_eq!(sanitize(b"a\tb"), "a    b");
        assert_eq!(sanitize(b"10%\r50%\rdone"), "done");
        assert_eq!(sanitize(b"line\r"), "line");
        assert_eq!(sanitize(b"bell\x07 nul\x00"), "bell nul");
        assert_eq!(sanitize(b"caf\xc3\xa9 \xff"), "caf\u{e9} \u{fffd}");
    }
}
