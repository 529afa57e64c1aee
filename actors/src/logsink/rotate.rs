//! Rotation on disk, as pm2-logrotate does it: the rotated file's name, pruning old ones,
//! and gzip.
//!
//! A log `<dir>/api-out.log` rotated at `2026-03-07_09-05-02` becomes
//! `<dir>/api-out__2026-03-07_09-05-02.log` (`.log.gz` when compressed). The writer renames
//! its own file and opens a fresh one, so no line is copied or lost; what comes after
//! (compressing, pruning) is slow disk work done by [`finish`] away from the writer.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flate2::write::GzEncoder;
use flate2::Compression;

/// One rotation, to be finished in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The log that was rotated (now a fresh file).
    pub log: PathBuf,
    /// Where its content went.
    pub rotated: PathBuf,
    /// Rotated files of this log to keep.
    pub retain: u32,
    /// Gzip the rotated file.
    pub compress: bool,
}

/// `<file without .log>__<stamp>.log`, pm2-logrotate's name for a rotated log.
pub fn rotated_path(log: &Path, stamp: &str) -> PathBuf {
    log.with_file_name(format!("{}{stamp}.log", prefix(log)))
}

/// True when a rotated file of this name exists, compressed or not: a log rotates once per
/// date stamp, so an earlier rotation is never overwritten.
pub fn taken(rotated: &Path) -> bool {
    rotated.exists() || gz_path(rotated).exists()
}

/// `<name>.gz`.
pub fn gz_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    PathBuf::from(name)
}

/// What every rotated file of `log` starts with: `api-out__` for `api-out.log`.
fn prefix(log: &Path) -> String {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".log").unwrap_or(&name);
    format!("{stem}__")
}

/// Deletes the oldest rotated files of `log` (by name, as pm2-logrotate sorts them) so that
/// at most `retain` remain; a file and its `.gz` count once. Returns what was deleted.
pub fn prune(log: &Path, retain: u32) -> io::Result<Vec<PathBuf>> {
    let dir = log.parent().unwrap_or(Path::new("."));
    let prefix = prefix(log);
    let mut rotated: Vec<String> = fs::read_dir(dir)?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let base = name.strip_suffix(".gz").unwrap_or(&name);
            (base.starts_with(&prefix) && base.ends_with(".log")).then(|| base.to_string())
        })
        .collect();
    rotated.sort();
    rotated.dedup();
    let excess = rotated.len().saturating_sub(retain as usize);
    let mut deleted = Vec::new();
    for base in &rotated[..excess] {
        let plain = dir.join(base);
        for path in [gz_path(&plain), plain] {
            match fs::remove_file(&path) {
                Ok(()) => deleted.push(path),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(deleted)
}

/// Gzips `path` into `<path>.gz` (written aside, then renamed into place, so a `.gz` is
/// always whole), then deletes `path`. Returns the `.gz` path.
pub fn compress(path: &Path) -> io::Result<PathBuf> {
    let target = gz_path(path);
    let partial = path.with_file_name(format!(
        ".{}.partial",
        target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let result = (|| {
        let mut source = BufReader::new(File::open(path)?);
        let mut encoder =
            GzEncoder::new(BufWriter::new(File::create(&partial)?), Compression::best());
        io::copy(&mut source, &mut encoder)?;
        let mut out = encoder.finish()?;
        out.flush()?;
        out.get_ref().sync_all()?;
        fs::rename(&partial, &target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    fs::remove_file(path)?;
    Ok(target)
}

/// Compresses (when asked) and prunes after a rotation. Jobs of one log holder run one at a
/// time under `lock`, so a prune never deletes a file while it is being compressed.
pub fn finish(rotation: &Rotation, lock: &Mutex<()>) {
    let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if rotation.compress {
        match compress(&rotation.rotated) {
            Ok(gz) => tracing::debug!(file = %gz.display(), "rotated log compressed"),
            // Already pruned by a later rotation: nothing to do.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(
                "cannot compress {}: {e}; it stays uncompressed",
                rotation.rotated.display()
            ),
        }
    }
    match prune(&rotation.log, rotation.retain) {
        Ok(deleted) => {
            for path in deleted {
                tracing::debug!(file = %path.display(), "old rotated log deleted");
            }
        }
        Err(e) => tracing::warn!(
            "cannot prune rotated logs of {}: {e}",
            rotation.log.display()
        ),
    }
}

/// Runs [`finish`] on tokio's blocking pool (or a thread outside a runtime), so the writer
/// never waits for gzip or a directory scan.
pub fn finish_in_background(rotation: Rotation, lock: Arc<Mutex<()>>) {
    let job = move || finish(&rotation, &lock);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            // Compressing a rotated file is blocking work that must not hold the sink's writes.
            runtime.spawn_blocking(job);
        }
        Err(_) => {
            let _ = std::thread::Builder::new()
                .name("log-rotation".into())
                .spawn(job);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn rotated_names_are_pm2_logrotates() {
        assert_eq!(
            rotated_path(Path::new("/h/logs/api-out.log"), "2026-03-07_09-05-02"),
            PathBuf::from("/h/logs/api-out__2026-03-07_09-05-02.log")
        );
        assert_eq!(
            rotated_path(Path::new("/h/pm2.log"), "x"),
            PathBuf::from("/h/pm2__x.log")
        );
        assert_eq!(
            rotated_path(Path::new("/var/app.txt"), "x"),
            PathBuf::from("/var/app.txt__x.log")
        );
    }

    #[test]
    fn prune_keeps_the_newest_by_name_and_only_this_logs_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a-out.log");
        for name in [
            "a-out.log",
            "a-out__2026-01-01_00-00-01.log",
            "a-out__2026-01-01_00-00-03.log.gz",
            "a-out__2026-01-01_00-00-02.log",
            "a-out__2026-01-01_00-00-04.log",
            "xa-out__2026-01-01_00-00-00.log",
            "a-error__2026-01-01_00-00-00.log",
        ] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        let deleted = prune(&log, 2).unwrap();
        assert_eq!(deleted.len(), 2, "{deleted:?}");
        assert_eq!(
            names(dir.path()),
            vec![
                "a-error__2026-01-01_00-00-00.log",
                "a-out.log",
                "a-out__2026-01-01_00-00-03.log.gz",
                "a-out__2026-01-01_00-00-04.log",
                "xa-out__2026-01-01_00-00-00.log",
            ]
        );
        prune(&log, 0).unwrap();
        assert!(!names(dir.path()).iter().any(|n| n.starts_with("a-out__")));
    }

    #[test]
    fn compress_writes_a_gzip_of_the_content_and_removes_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-out__x.log");
        let text = "line 1\nline 2\n".repeat(1000);
        fs::write(&path, &text).unwrap();
        let gz = compress(&path).unwrap();
        assert_eq!(gz, dir.path().join("a-out__x.log.gz"));
        assert!(!path.exists());
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(File::open(&gz).unwrap())
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, text);
        assert_eq!(
            names(dir.path()),
            vec!["a-out__x.log.gz"],
            "no partial left"
        );
        assert!(taken(&path), "the compressed name counts as taken");
    }

    #[test]
    fn finish_compresses_then_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        fs::write(dir.path().join("a__1.log.gz"), "old").unwrap();
        fs::write(dir.path().join("a__2.log"), "new").unwrap();
        let rotation = Rotation {
            log,
            rotated: dir.path().join("a__2.log"),
            retain: 1,
            compress: true,
        };
        finish(&rotation, &Mutex::new(()));
        assert_eq!(names(dir.path()), vec!["a__2.log.gz"]);
    }
}
