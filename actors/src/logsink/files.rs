//! The open files of one sink: appending, creating, truncating, rotating, noticing
//! failures, and the recent lines of each out/err file ([`Recent`]).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use pm2_protocol::{timestamp, LogRotate};

use super::recent::Recent;
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
    /// The last lines of this file, once a process's out or err output was written to it
    /// (boxed: a file nobody writes costs one pointer). It lives and dies with this handle,
    /// so a rotated or reopened file starts a new one.
    recent: Option<Box<Recent>>,
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
        for (path, primary) in [(primary, true), (target.paths.combined.as_deref(), false)]
            .into_iter()
            .filter_map(|(path, primary)| Some((path?, primary)))
            .filter(|(p, _)| *p != Path::new("/dev/null"))
        {
            let result = self.append(path, target, stream, bytes, primary);
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
                        open.recent = None;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => errors.push(format!("cannot flush {}: {e}", path.display())),
            }
        }
        errors
    }

    /// The last `n` lines of a file this sink writes, or `None` when only the file can tell:
    /// not open here, lines dropped or never seen (written before the daemon started), or
    /// changed behind the sink's back (truncated or moved by an external logrotate, written
    /// by another app).
    pub fn recent(&mut self, path: &Path, n: usize) -> Option<Vec<Vec<u8>>> {
        let open = self.files.get_mut(path)?;
        if !open.unchanged(path) {
            open.recent = None;
            return None;
        }
        match &open.recent {
            Some(recent) => recent.last(n),
            None if open.size == 0 => Some(Vec::new()),
            None => None,
        }
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
                    recent: None,
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
        primary: bool,
    ) -> std::io::Result<()> {
        self.ensure_open(path)?;
        let Some(open) = self.files.get_mut(path) else {
            return Ok(());
        };
        open.set_override(&target.rotate);
        let (empty, at_line_start) = (open.size == 0, open.at_line_start);
        let rendered = format::render(target, stream, bytes, &mut open.at_line_start);
        open.file.write_all(&rendered)?;
        open.size += rendered.len() as u64;
        // Out and err files keep their recent lines; the combined file only when it is
        // also one of those (the same path), so the ring sees every byte of its file.
        if primary || open.recent.is_some() {
            open.recent
                .get_or_insert_with(|| Box::new(Recent::new(empty, at_line_start)))
                .push(&rendered);
        }
        Ok(())
    }
}

impl Open {
    fn set_override(&mut self, rotate: &LogRotate) {
        if self.rotate != *rotate {
            self.rotate = rotate.clone();
        }
    }

    /// Whether the file at `path` is still this handle's and holds exactly what was written
    /// through it: two `stat`s, no read.
    fn unchanged(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let (Ok(handle), Ok(named)) = (self.file.metadata(), std::fs::metadata(path)) else {
            return false;
        };
        handle.len() == self.size && handle.dev() == named.dev() && handle.ino() == named.ino()
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
#[path = "files_tests.rs"]
mod tests;
