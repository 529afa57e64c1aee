//! The last lines written to one log file, kept in memory so `pm2_tail_logs` rarely has to
//! read the file (`Request::RecentLogs`).
//!
//! A [`Recent`] mirrors the end of its file: it holds the bytes as written (timestamp
//! prefixes and JSON lines included), so its lines are the lines a backwards read of the
//! file would give. It is bounded twice, by [`MAX_LINES`] lines and [`MAX_BYTES`] bytes,
//! dropping the oldest lines first; each line costs one copy of its bytes and one
//! allocation of exactly its length. It is only a cache: a file it cannot answer for (lines
//! dropped, history from before the daemon started) is read from disk by the caller.

use std::collections::VecDeque;

/// Most lines kept per file.
pub const MAX_LINES: usize = 500;

/// Most bytes of line content kept per file (the unfinished line included).
pub const MAX_BYTES: usize = 256 * 1024;

/// The most recent lines of one file, oldest first.
#[derive(Debug)]
pub struct Recent {
    /// Complete lines, without their newlines.
    lines: VecDeque<Box<[u8]>>,
    /// The bytes after the file's last newline: a line still being written.
    partial: Vec<u8>,
    /// Content bytes held: the lines' and the partial line's.
    bytes: usize,
    /// Every line of the file is here: nothing was dropped since the file was empty, so
    /// fewer lines than asked is still the whole answer.
    whole: bool,
    /// The file ends inside a line whose start is not held: bytes up to the next newline
    /// are the rest of it and are skipped.
    skipping: bool,
}

impl Recent {
    /// A ring for a file that is `empty` or not, and whose last byte ends a line
    /// (`at_line_start`) or not. Nothing is allocated until a line arrives.
    pub fn new(empty: bool, at_line_start: bool) -> Recent {
        Recent {
            lines: VecDeque::new(),
            partial: Vec::new(),
            bytes: 0,
            whole: empty,
            skipping: !empty && !at_line_start,
        }
    }

    /// Takes bytes just appended to the file.
    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.skipping {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.skipping = false;
                    bytes = &bytes[end + 1..];
                }
                None => return,
            }
        }
        // Only the last piece can lack its newline.
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            match piece.strip_suffix(b"\n") {
                Some(line) if self.partial.is_empty() => self.keep(Box::from(line)),
                Some(rest) => {
                    let mut line = std::mem::take(&mut self.partial);
                    self.bytes -= line.len();
                    line.extend_from_slice(rest);
                    self.keep(line.into_boxed_slice());
                }
                None => self.extend_partial(piece),
            }
        }
    }

    /// The last `n` lines of the file, oldest first (a partial last line counts, as in the
    /// file), or `None` when the ring holds fewer and the file may have more.
    pub fn last(&self, n: usize) -> Option<Vec<Vec<u8>>> {
        let partial = usize::from(!self.partial.is_empty());
        let held = self.lines.len() + partial;
        if held < n && !self.whole {
            return None;
        }
        let from_lines = n.min(held) - partial.min(n);
        let mut out: Vec<Vec<u8>> = self
            .lines
            .range(self.lines.len() - from_lines..)
            .map(|line| line.to_vec())
            .collect();
        if partial == 1 && n > 0 {
            out.push(self.partial.clone());
        }
        Some(out)
    }

    /// Content bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Lines held, the partial one included.
    pub fn len(&self) -> usize {
        self.lines.len() + usize::from(!self.partial.is_empty())
    }

    /// Whether no line is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn keep(&mut self, line: Box<[u8]>) {
        if line.len() > MAX_BYTES {
            // The lines before it no longer lead to the end of the file: drop them too.
            self.forget();
            return;
        }
        self.make_room(line.len(), MAX_LINES - 1);
        self.bytes += line.len();
        self.lines.push_back(line);
    }

    fn extend_partial(&mut self, piece: &[u8]) {
        if self.partial.len() + piece.len() > MAX_BYTES {
            // A line too long to keep: start again after its end.
            self.forget();
            self.skipping = true;
            return;
        }
        self.make_room(piece.len(), MAX_LINES);
        self.bytes += piece.len();
        self.partial.extend_from_slice(piece);
    }

    /// Drops the oldest lines until `incoming` more bytes fit and at most `lines` remain.
    fn make_room(&mut self, incoming: usize, lines: usize) {
        while self.bytes + incoming > MAX_BYTES || self.lines.len() > lines {
            let Some(oldest) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= oldest.len();
            self.whole = false;
        }
    }

    /// Drops everything held; the file has lines the ring no longer knows.
    fn forget(&mut self) {
        self.lines = VecDeque::new();
        self.partial = Vec::new();
        self.bytes = 0;
        self.whole = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(of: &[&str]) -> Vec<Vec<u8>> {
        of.iter().map(|l| l.as_bytes().to_vec()).collect()
    }

    fn numbered(recent: &mut Recent, range: std::ops::Range<usize>) {
        for i in range {
            recent.push(format!("line {i}\n").as_bytes());
        }
    }

    #[test]
    fn a_new_ring_allocates_nothing() {
        let recent = Recent::new(true, true);
        assert_eq!(recent.lines.capacity(), 0);
        assert_eq!(recent.partial.capacity(), 0);
        assert_eq!(recent.bytes(), 0);
        assert_eq!(
            recent.last(10),
            Some(Vec::new()),
            "an empty file has no lines"
        );
    }

    #[test]
    fn lines_come_back_in_order_with_the_partial_one_last() {
        let mut recent = Recent::new(true, true);
        recent.push(b"a\n\nb\npar");
        assert_eq!(recent.last(2), Some(lines(&["b", "par"])));
        recent.push(b"tial\nc\n");
        assert_eq!(
            recent.last(10),
            Some(lines(&["a", "", "b", "partial", "c"]))
        );
        assert_eq!(recent.last(0), Some(Vec::new()));
    }

    #[test]
    fn at_most_max_lines_are_kept_oldest_dropped_first() {
        let mut recent = Recent::new(true, true);
        numbered(&mut recent, 0..MAX_LINES + 20);
        assert_eq!(recent.len(), MAX_LINES);
        let last = recent.last(MAX_LINES).unwrap();
        assert_eq!(last[0], b"line 20");
        assert_eq!(
            last[MAX_LINES - 1],
            format!("line {}", MAX_LINES + 19).as_bytes()
        );
        assert_eq!(
            recent.last(MAX_LINES + 1),
            None,
            "the file has more than the ring"
        );
    }

    #[test]
    fn at_most_max_bytes_are_kept() {
        let mut recent = Recent::new(true, true);
        let line = vec![b'x'; 1000];
        for _ in 0..300 {
            recent.push(&line);
            recent.push(b"\n");
        }
        assert!(recent.bytes() <= MAX_BYTES, "{}", recent.bytes());
        assert_eq!(recent.len(), MAX_BYTES / 1000);
        assert_eq!(
            recent.last(MAX_BYTES / 1000).unwrap().len(),
            MAX_BYTES / 1000
        );
        assert_eq!(recent.last(300), None);
    }

    #[test]
    fn a_line_longer_than_the_byte_cap_empties_the_ring_until_it_ends() {
        let mut recent = Recent::new(true, true);
        recent.push(b"before\n");
        let huge = vec![b'y'; MAX_BYTES / 2 + 1];
        recent.push(&huge);
        recent.push(&huge);
        assert!(recent.is_empty());
        assert_eq!(recent.bytes(), 0);
        recent.push(b"still the huge line\nafter\n");
        assert_eq!(recent.last(1), Some(lines(&["after"])));
        assert_eq!(
            recent.last(2),
            None,
            "the huge line is in the file, not here"
        );

        let mut complete = Recent::new(true, true);
        complete.push(b"before\n");
        let mut one_write = vec![b'z'; MAX_BYTES + 1];
        one_write.extend_from_slice(b"\nafter\n");
        complete.push(&one_write);
        assert_eq!(complete.last(1), Some(lines(&["after"])));
        assert_eq!(complete.last(2), None);
    }

    #[test]
    fn a_file_with_history_is_not_whole_and_its_unfinished_line_is_skipped() {
        let mut recent = Recent::new(false, false);
        recent.push(b"end of an old line\nnew\n");
        assert_eq!(recent.last(1), Some(lines(&["new"])));
        assert_eq!(recent.last(2), None, "older lines are only in the file");
        let mut at_start = Recent::new(false, true);
        at_start.push(b"first\n");
        assert_eq!(at_start.last(1), Some(lines(&["first"])));
    }
}
