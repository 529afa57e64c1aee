//! The daemon's own log, `pm2.log`: the writer `tracing` prints to, rotated by the same
//! pm2-logrotate policy as the apps' logs (to `pm2__<date>.log`) unless `rotateModule` is
//! false.
//!
//! The size is checked at the end of each event, so an event is never split across files.
//! Nothing here may emit a tracing event while holding the lock (it would wait on itself):
//! compressing and pruning run on another thread, which logs as any other.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use pm2_actors::logsink::rotate::{self, Rotation};
use pm2_actors::logsink::RotationPolicy;
use pm2_protocol::timestamp;
use tracing_subscriber::fmt::MakeWriter;

/// A handle on `pm2.log`; clones share the file.
#[derive(Clone)]
pub struct DaemonLog {
    inner: Arc<Mutex<Inner>>,
    finishing: Arc<Mutex<()>>,
}

struct Inner {
    path: PathBuf,
    file: File,
    size: u64,
    policy: Arc<RotationPolicy>,
    tried_stamp: Option<String>,
    /// A rotation waiting to be finished once the lock is released.
    rotated: Option<Rotation>,
}

impl DaemonLog {
    /// Opens (or creates) the log for appending.
    pub fn open(path: &Path, policy: Arc<RotationPolicy>) -> io::Result<DaemonLog> {
        let file = append(path)?;
        let size = file.metadata()?.len();
        Ok(DaemonLog {
            inner: Arc::new(Mutex::new(Inner {
                path: path.to_path_buf(),
                file,
                size,
                policy,
                tried_stamp: None,
                rotated: None,
            })),
            finishing: Arc::default(),
        })
    }

    /// New rotation settings, used from the next event on.
    pub fn set_policy(&self, policy: Arc<RotationPolicy>) {
        self.lock().policy = policy;
    }

    /// Empties the log (`pm2 flush`); writing goes on at its start.
    pub fn truncate(&self) -> io::Result<()> {
        let mut inner = self.lock();
        inner.file.set_len(0)?;
        inner.size = 0;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One event's writer: holds the file until the event is written, then rotates if due.
pub struct EventWriter<'a> {
    log: &'a DaemonLog,
    inner: Option<MutexGuard<'a, Inner>>,
}

impl<'a> MakeWriter<'a> for DaemonLog {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            log: self,
            inner: Some(self.lock()),
        }
    }
}

impl Write for EventWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(buf.len());
        };
        let written = inner.file.write(buf)?;
        inner.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.inner.as_mut() {
            Some(inner) => inner.file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for EventWriter<'_> {
    fn drop(&mut self) {
        let rotated = self.inner.take().and_then(|mut inner| {
            inner.rotate_if_due();
            inner.rotated.take()
        });
        if let Some(rotation) = rotated {
            rotate::finish_in_background(rotation, self.log.finishing.clone());
        }
    }
}

impl Inner {
    /// Renames the log to its rotated name and opens a fresh one, once per date stamp.
    fn rotate_if_due(&mut self) {
        if !self.policy.rotate_module || self.size < self.policy.max_size {
            return;
        }
        // `pm2 flush` or someone else may have emptied it: believe the file.
        self.size = self.file.metadata().map(|m| m.len()).unwrap_or(self.size);
        if self.size < self.policy.max_size {
            return;
        }
        let stamp = timestamp::format_now(&self.policy.date_format);
        if self.tried_stamp.as_deref() == Some(stamp.as_str()) {
            return;
        }
        self.tried_stamp = Some(stamp.clone());
        let rotated = rotate::rotated_path(&self.path, &stamp);
        if rotate::taken(&rotated) || std::fs::rename(&self.path, &rotated).is_err() {
            return;
        }
        match append(&self.path) {
            Ok(file) => {
                self.file = file;
                self.size = 0;
            }
            // Keep writing to the renamed file rather than lose events.
            Err(_) => return,
        }
        self.rotated = Some(Rotation {
            log: self.path.clone(),
            rotated,
            retain: self.policy.retain,
            compress: self.policy.compress,
        });
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(pairs: &[(&str, &str)]) -> Arc<RotationPolicy> {
        let mut policy = RotationPolicy::default();
        for (key, value) in pairs {
            policy.apply(key, value).unwrap();
        }
        Arc::new(policy)
    }

    fn event(log: &DaemonLog, text: &str) {
        log.make_writer().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn the_log_rotates_to_pm2_date_when_it_reaches_max_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pm2.log");
        let log = DaemonLog::open(
            &path,
            policy(&[("max_size", "20"), ("dateFormat", "[stamp]")]),
        )
        .unwrap();
        event(&log, "first event\n");
        assert!(!dir.path().join("pm2__stamp.log").exists());
        event(&log, "second event, whole\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pm2__stamp.log")).unwrap(),
            "first event\nsecond event, whole\n"
        );
        event(&log, "third\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "third\n");
    }

    #[test]
    fn rotate_module_false_leaves_it_alone_and_flush_resets_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pm2.log");
        let log = DaemonLog::open(
            &path,
            policy(&[("max_size", "10"), ("rotateModule", "false")]),
        )
        .unwrap();
        event(&log, "a long first event\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        log.truncate().unwrap();
        log.set_policy(policy(&[("max_size", "10"), ("dateFormat", "[x]")]));
        event(&log, "short\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "short\n");
    }
}
