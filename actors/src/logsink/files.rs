//! The open files of one sink: appending, creating, truncating, rotating, and noticing
//! failures.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use pm2_protocol::{timestamp, LogRotate};

use super::rotate::{self, Rotation};
use super::{format, LogTarget, RotationPolicy, Stream};

/// Open append-mode files by path, their sizes, and the paths that currently fail.
pub struct OpenFiles {
    app: String,
    files: HashMap<PathBuf, Open>,
    failing: HashMap<PathBuf, String>,
}

struct Open {
    file: File,
    at_line_start: bool,
    size: u64,
    /// The app's `logrotate` override for this file.
    rotate: LogRotate,
    /// The date stamp of the last rotation tried: a log rotates at most once per stamp.
    tried_stamp: Option<String>,
}

/// A change in a process's log health, for `describe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// A write failed (disk full, unwritable path): the message.
    Failing(String),
    /// Writes succeed again.
    Recovered,
}

impl OpenFiles {
    /// No file open yet.
    pub fn new(app: String) -> Self {
        Self {
            app,
            files: HashMap::new(),
            failing: HashMap::new(),
        }
    }

    /// Appends `bytes` to the stream's file and to the combined file. Returns a change of
    /// health when a path starts or stops failing.
    pub fn write(&mut self, target: &LogTarget, stream: Stream, bytes: &[u8]) -> Option<Health> {
        let primary = match stream {
            Stream::Out => target.paths.out.as_deref(),
            Stream::Err => target.paths.err.as_deref(),
        };
        let mut change = None;
        for path in [primary, target.paths.combined.as_deref()]
            .into_iter()
            .flatten()
            .filter(|p| *p != Path::new("/dev/null"))
        {
            let result = self.append(path, target, stream, bytes);
            change = self.note(path, result).or(change);
        }
        change
    }

    /// Creates (or opens) every file of the target, so `tail -f` works before any output.
    pub fn open(&mut self, target: &LogTarget) -> Option<Health> {
        let paths = [&target.paths.out, &target.paths.err, &target.paths.combined];
        let mut change = None;
        for path in paths.into_iter().flatten() {
            if path != Path::new("/dev/null") {
                let result = self.ensure_open(path);
                if let Some(open) = self.files.get_mut(path.as_path()) {
                    open.set_override(&target.rotate);
                }
                change = self.note(path, result).or(change);
            }
        }
        change
    }

    /// Rotates every file that reached its `max_size`; returns the rotations to finish
    /// (compress, prune) away from the writer.
    pub fn rotate_oversized(&mut self, policy: &RotationPolicy) -> Vec<Rotation> {
        let due: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(_, open)| open.size >= open.rotate.max_size.unwrap_or(policy.max_size))
            .map(|(path, _)| path.clone())
            .collect();
        due.iter()
            .filter_map(|path| self.rotate(path, policy))
            .collect()
    }

    /// Rotates every non-empty file whatever its size (`rotateInterval`).
    pub fn rotate_all(&mut self, policy: &RotationPolicy) -> Vec<Rotation> {
        let due: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(_, open)| open.size > 0)
            .map(|(path, _)| path.clone())
            .collect();
        due.iter()
            .filter_map(|path| self.rotate(path, policy))
            .collect()
    }

    /// Renames the file to its rotated name and opens a fresh one in its place. Every byte
    /// was written through this handle, so nothing is lost or copied.
    fn rotate(&mut self, path: &Path, policy: &RotationPolicy) -> Option<Rotation> {
        let open = self.files.get_mut(path)?;
        let file = policy.for_file(&open.rotate);
        let stamp = timestamp::format_now(&file.date_format);
        if open.tried_stamp.as_deref() == Some(stamp.as_str()) {
            return None;
        }
        open.tried_stamp = Some(stamp.clone());
        let rotated = rotate::rotated_path(path, &stamp);
        if rotate::taken(&rotated) {
            return None;
        }
        if let Err(e) = std::fs::rename(path, &rotated) {
            tracing::warn!(app = %self.app, "cannot rotate {}: {e}", path.display());
            return None;
        }
        let (at_line_start, app_override) = (open.at_line_start, open.rotate.clone());
        self.files.remove(path);
        tracing::info!(app = %self.app, file = %rotated.display(), "log rotated");
        // A failure to reopen is noticed and reported by the next write.
        if self.ensure_open(path).is_ok() {
            if let Some(fresh) = self.files.get_mut(path) {
                fresh.at_line_start = at_line_start;
                fresh.rotate = app_override;
                fresh.tried_stamp = Some(stamp);
            }
        }
        Some(Rotation {
            log: path.to_path_buf(),
            rotated,
            retain: file.retain,
            compress: file.compress,
        })
    }

    /// Empties files (`pm2 flush`); writers keep appending to the emptied files.
    pub fn truncate(&mut self, paths: &[PathBuf]) -> Vec<String> {
        let mut errors = Vec::new();
        for path in paths
            .iter()
            .filter(|p| p.as_path() != Path::new("/dev/null"))
        {
            match OpenOptions::new().write(true).truncate(true).open(path) {
                Ok(_) => {
                    if let Some(open) = self.files.get_mut(path) {
                        open.size = 0;
                        open.at_line_start = true;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => errors.push(format!("cannot flush {}: {e}", path.display())),
            }
        }
        errors
    }

    /// Closes every file; the next write reopens (after a rotation or `pm2 reloadLogs`).
    pub fn close_all(&mut self) {
        self.files.clear();
    }

    fn note(&mut self, path: &Path, result: std::io::Result<()>) -> Option<Health> {
        match result {
            Ok(()) => self.failing.remove(path).map(|_| {
                tracing::info!(app = %self.app, path = %path.display(), "log writes work again");
                Health::Recovered
            }),
            Err(e) => {
                self.files.remove(path);
                let message = format!("cannot write {}: {e}", path.display());
                if self
                    .failing
                    .insert(path.to_path_buf(), message.clone())
                    .is_none()
                {
                    tracing::error!(app = %self.app, "{message}; the app keeps running");
                    return Some(Health::Failing(message));
                }
                None
            }
        }
    }

    fn ensure_open(&mut self, path: &Path) -> std::io::Result<()> {
        if !self.files.contains_key(path) {
            let file = crate::fsutil::open_creating_dirs(path, |p| {
                OpenOptions::new().create(true).append(true).open(p)
            })?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let at_line_start = size == 0 || last_byte_is_newline(path);
            self.files.insert(
                path.to_path_buf(),
                Open {
                    file,
                    at_line_start,
                    size,
                    rotate: LogRotate::default(),
                    tried_stamp: None,
                },
            );
        }
        Ok(())
    }

    fn append(
        &mut self,
        path: &Path,
        target: &LogTarget,
        stream: Stream,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        self.ensure_open(path)?;
        let Some(open) = self.files.get_mut(path) else {
            return Ok(());
        };
        open.set_override(&target.rotate);
        let rendered = format::render(target, stream, bytes, &mut open.at_line_start);
        open.file.write_all(&rendered)?;
        open.size += rendered.len() as u64;
        Ok(())
    }
}

impl Open {
    fn set_override(&mut self, rotate: &LogRotate) {
        if self.rotate != *rotate {
            self.rotate = rotate.clone();
        }
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

    fn target(dir: &Path) -> LogTarget {
        LogTarget {
            pm_id: 0,
            name: "a".into(),
            namespace: "default".into(),
            paths: LogPaths {
                out: Some(dir.join("a-out.log")),
                err: Some(dir.join("a-error.log")),
                combined: Some(dir.join("a.log")),
            },
            date_format: None,
            json: false,
            rotate: LogRotate::default(),
        }
    }

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap()
    }

    #[test]
    fn streams_go_to_their_files_and_the_combined_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let t = target(dir.path());
        files.write(&t, Stream::Out, b"one\n");
        files.write(&t, Stream::Err, b"oops\n");
        files.write(&t, Stream::Out, b"two\n");
        assert_eq!(read(dir.path(), "a-out.log"), "one\ntwo\n");
        assert_eq!(read(dir.path(), "a-error.log"), "oops\n");
        assert_eq!(read(dir.path(), "a.log"), "one\noops\ntwo\n");
    }

    #[test]
    fn an_unwritable_path_is_reported_once_and_does_not_stop_the_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let mut t = target(dir.path());
        std::fs::write(dir.path().join("blocker"), "").unwrap();
        t.paths.out = Some(dir.path().join("blocker/sub/a-out.log"));
        let first = files.write(&t, Stream::Out, b"x\n");
        assert!(
            matches!(first, Some(Health::Failing(ref m)) if m.contains("blocker/sub")),
            "{first:?}"
        );
        assert_eq!(files.write(&t, Stream::Out, b"y\n"), None, "said once");
        assert_eq!(read(dir.path(), "a.log"), "x\ny\n");
    }

    #[test]
    fn truncate_empties_and_writing_goes_on_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let t = target(dir.path());
        files.write(&t, Stream::Out, b"old line\n");
        assert!(files.truncate(&[dir.path().join("a-out.log")]).is_empty());
        files.write(&t, Stream::Out, b"new\n");
        assert_eq!(read(dir.path(), "a-out.log"), "new\n");
    }

    #[test]
    fn open_creates_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        assert_eq!(files.open(&target(dir.path())), None);
        assert_eq!(read(dir.path(), "a-out.log"), "");
        assert_eq!(read(dir.path(), "a-error.log"), "");
    }

    fn small_policy() -> RotationPolicy {
        let mut policy = RotationPolicy::default();
        policy.apply("max_size", "10").unwrap();
        policy
    }

    #[test]
    fn a_file_past_max_size_is_renamed_and_writing_goes_on_in_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let mut t = target(dir.path());
        t.paths.combined = None;
        t.rotate.date_format = Some("[one]".into());
        files.write(&t, Stream::Out, b"line 1 is long\n");
        files.write(&t, Stream::Err, b"e\n");
        let rotations = files.rotate_oversized(&small_policy());
        assert_eq!(rotations.len(), 1, "only the out file is past 10 bytes");
        assert_eq!(rotations[0].rotated, dir.path().join("a-out__one.log"));
        assert_eq!(rotations[0].retain, 30);
        files.write(&t, Stream::Out, b"line 2\n");
        assert_eq!(read(dir.path(), "a-out__one.log"), "line 1 is long\n");
        assert_eq!(read(dir.path(), "a-out.log"), "line 2\n");
    }

    #[test]
    fn a_log_rotates_once_per_date_stamp_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let mut t = target(dir.path());
        t.rotate.date_format = Some("[same]".into());
        files.write(&t, Stream::Out, b"first rotation\n");
        assert_eq!(files.rotate_oversized(&small_policy()).len(), 2);
        files.write(&t, Stream::Out, b"second batch of bytes\n");
        assert!(files.rotate_oversized(&small_policy()).is_empty());
        assert_eq!(read(dir.path(), "a-out__same.log"), "first rotation\n");
        assert_eq!(read(dir.path(), "a-out.log"), "second batch of bytes\n");
        t.rotate.date_format = Some("[next]".into());
        files.write(&t, Stream::Out, b"x\n");
        assert_eq!(files.rotate_oversized(&small_policy()).len(), 2);
        assert_eq!(
            read(dir.path(), "a-out__next.log"),
            "second batch of bytes\nx\n"
        );
    }

    #[test]
    fn rotate_all_takes_every_non_empty_file_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new("a".into());
        let mut t = target(dir.path());
        t.rotate.date_format = Some("[cron]".into());
        files.open(&t);
        files.write(&t, Stream::Out, b"x\n");
        let rotated: Vec<PathBuf> = files
            .rotate_all(&RotationPolicy::default())
            .into_iter()
            .map(|r| r.rotated)
            .collect();
        assert_eq!(
            rotated.len(),
            2,
            "out and combined, not the empty error file"
        );
        assert!(rotated.contains(&dir.path().join("a-out__cron.log")));
        assert!(rotated.contains(&dir.path().join("a__cron.log")));
        assert_eq!(read(dir.path(), "a-error.log"), "");
    }
}
