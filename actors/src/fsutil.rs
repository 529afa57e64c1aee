//! File helpers for the hot path of starting a process.

use std::io::ErrorKind;
use std::path::Path;

/// Runs `open` on `path`; only if its folder is missing, creates the folder and tries again.
/// Folders usually exist, so this saves a `mkdir -p` per file on every start.
pub fn open_creating_dirs<T>(
    path: &Path,
    open: impl Fn(&Path) -> std::io::Result<T>,
) -> std::io::Result<T> {
    match open(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            open(path)
        }
        other => other,
    }
}
