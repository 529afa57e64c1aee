//! Paths as node's `path.resolve` makes them, without touching the file system: PM2 compares
//! and shows scripts by such paths (`pm_exec_path`, `pm2 stop ./app.js`).

use std::path::{Component, Path, PathBuf};

/// `path` without `.` and with `..` applied to the part before it.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_resolved_as_path_resolve_does() {
        assert_eq!(normalize(Path::new("/a/./b/../c.js")), Path::new("/a/c.js"));
        assert_eq!(
            normalize(Path::new("/a/sub/../echo.js")),
            Path::new("/a/echo.js")
        );
        assert_eq!(normalize(Path::new("/../x")), Path::new("/x"));
    }
}
