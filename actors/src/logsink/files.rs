//! The open files of one sink and how bytes are appended to them.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{timestamp, LogTarget, Stream};

/// Open append-mode files by path, and whether each is at the start of a line.
pub struct OpenFiles {
    app: String,
    files: HashMap<PathBuf, Open>,
}

struct Open {
    file: File,
    at_line_start: bool,
}

impl OpenFiles {
    /// No file open yet.
    pub fn new(app: String) -> Self {
        Self {
            app,
            files: HashMap::new(),
        }
    }

    /// Appends `bytes` to the stream's file and to the combined file.
    pub fn write(&mut self, target: &LogTarget, stream: Stream, bytes: &[u8]) {
        let primary = match stream {
            Stream::Out => target.paths.out.as_deref(),
            Stream::Err => target.paths.err.as_deref(),
        };
        for path in [primary, target.paths.combined.as_deref()]
            .into_iter()
            .flatten()
        {
            if path == Path::new("/dev/null") {
                continue;
            }
            if let Err(e) = self.append(path, target.date_format.as_deref(), bytes) {
                tracing::error!(app = %self.app, path = %path.display(), "cannot write log: {e}");
                self.files.remove(path);
            }
        }
    }

    /// Creates (or opens) every file of the target.
    pub fn open(&mut self, target: &LogTarget) {
        let paths = [&target.paths.out, &target.paths.err, &target.paths.combined];
        for path in paths.into_iter().flatten() {
            if path == Path::new("/dev/null") {
                continue;
            }
            if let Err(e) = self.ensure_open(path) {
                tracing::error!(app = %self.app, path = %path.display(), "cannot open log: {e}");
            }
        }
    }

    fn ensure_open(&mut self, path: &Path) -> std::io::Result<()> {
        if !self.files.contains_key(path) {
            let file = crate::fsutil::open_creating_dirs(path, |p| {
                OpenOptions::new().create(true).append(true).open(p)
            })?;
            let at_line_start =
                file.metadata().map(|m| m.len() == 0).unwrap_or(true) || last_byte_is_newline(path);
            self.files.insert(
                path.to_path_buf(),
                Open {
                    file,
                    at_line_start,
                },
            );
        }
        Ok(())
    }

    fn append(&mut self, path: &Path, format: Option<&str>, bytes: &[u8]) -> std::io::Result<()> {
        self.ensure_open(path)?;
        let Some(open) = self.files.get_mut(path) else {
            return Ok(());
        };
        match format {
            None => open.file.write_all(bytes)?,
            Some(format) => {
                let prefix = timestamp::format_now(format);
                let mut buffer = Vec::with_capacity(bytes.len() + 64);
                for piece in bytes.split_inclusive(|&b| b == b'\n') {
                    if open.at_line_start {
                        buffer.extend_from_slice(prefix.as_bytes());
                        buffer.extend_from_slice(b": ");
                    }
                    buffer.extend_from_slice(piece);
                    open.at_line_start = piece.ends_with(b"\n");
                }
                open.file.write_all(&buffer)?;
                return Ok(());
            }
        }
        open.at_line_start = bytes.ends_with(b"\n");
        Ok(())
    }

    /// Closes every file; the next write reopens (after a rotation or a flush).
    pub fn close_all(&mut self) {
        self.files.clear();
    }
}

fn last_byte_is_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return true;
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] == b'\n'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::LogPaths;

    fn target(dir: &Path, format: Option<&str>) -> LogTarget {
        LogTarget {
            pm_id: 0,
            paths: LogPaths {
                out: Some(dir.join("a-out.log")),
                err: Some(dir.join("a-error.log")),
                combined: Some(dir.join("a.log")),
            },
            date_format: format.map(str::to_string),
        }
    }

    #[test]
    fn streams_go_to_their_files_and_the_combined_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let t = target(dir.path(), None);
        files.write(&t, Stream::Out, b"one\n");
        files.write(&t, Stream::Err, b"oops\n");
        files.write(&t, Stream::Out, b"two\n");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("a-out.log"), "one\ntwo\n");
        assert_eq!(read("a-error.log"), "oops\n");
        assert_eq!(read("a.log"), "one\noops\ntwo\n");
    }

    #[test]
    fn a_partial_line_gets_one_prefix_when_completed() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let t = target(dir.path(), Some("YYYY"));
        files.write(&t, Stream::Out, b"par");
        files.write(&t, Stream::Out, b"tial\nnext\n");
        let text = std::fs::read_to_string(dir.path().join("a-out.log")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with(": partial"), "{text}");
        assert!(lines[1].ends_with(": next"), "{text}");
        assert_eq!(lines[0].len(), "2026: partial".len());
    }

    #[test]
    fn an_unwritable_path_does_not_stop_the_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let mut t = target(dir.path(), None);
        std::fs::write(dir.path().join("blocker"), "").unwrap();
        t.paths.out = Some(dir.path().join("blocker/sub/a-out.log"));
        files.write(&t, Stream::Out, b"x\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.log")).unwrap(),
            "x\n"
        );
    }
}
