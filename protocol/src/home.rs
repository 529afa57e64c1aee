//! `PM2_HOME`: where the daemon keeps its socket, pid file, logs and pid files.
//!
//! Both sides need it: the daemon lives there, and the CLI finds the socket there and
//! prepares the directory before spawning a daemon (so an unwritable home is one clear error).

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Paths inside one `PM2_HOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// The directory itself.
    pub root: PathBuf,
}

/// Why `PM2_HOME` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// No `PM2_HOME` and no `HOME` to default from.
    #[error("cannot locate PM2_HOME: neither PM2_HOME nor HOME is set")]
    Unset,
    /// The directory cannot be created or written.
    #[error("PM2_HOME {path} is not writable: {source}")]
    NotWritable {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Home {
    /// `$PM2_HOME`, else `~/.pm2`.
    pub fn from_env() -> Result<Home, HomeError> {
        if let Some(home) = std::env::var_os("PM2_HOME").filter(|h| !h.is_empty()) {
            return Ok(Home::at(PathBuf::from(home)));
        }
        let user_home = std::env::var_os("HOME").ok_or(HomeError::Unset)?;
        Ok(Home::at(Path::new(&user_home).join(".pm2")))
    }

    /// A home at `root`.
    pub fn at(root: PathBuf) -> Home {
        let root = if root.is_absolute() {
            root
        } else {
            std::env::current_dir()
                .map(|d| d.join(&root))
                .unwrap_or(root)
        };
        Home { root }
    }

    /// Creates the directory tree, private to its owner (0700), and checks it is writable.
    pub fn prepare(&self) -> Result<(), HomeError> {
        let not_writable = |source| HomeError::NotWritable {
            path: self.root.clone(),
            source,
        };
        for dir in [self.root.clone(), self.logs_dir(), self.pids_dir()] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(not_writable)?;
        }
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700)).map_err(not_writable)?;
        let probe = self.root.join(".write-probe");
        fs::write(&probe, b"").map_err(not_writable)?;
        let _ = fs::remove_file(probe);
        Ok(())
    }

    /// The control socket.
    pub fn socket(&self) -> PathBuf {
        self.root.join("rpc.sock")
    }

    /// The daemon's pid file.
    pub fn pid_file(&self) -> PathBuf {
        self.root.join("pm2.pid")
    }

    /// The daemon's own log.
    pub fn daemon_log(&self) -> PathBuf {
        self.root.join("pm2.log")
    }

    /// The saved process list (`pm2 save`, `pm2 resurrect`).
    pub fn dump_file(&self) -> PathBuf {
        self.root.join("dump.pm2")
    }

    /// The process list the daemon keeps continuously, to recover from its own crash.
    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.pm2")
    }

    /// What a daemon hands to its successor across `exec` (`pm2 update`).
    pub fn handover_file(&self) -> PathBuf {
        self.root.join("handover.json")
    }

    /// Apps' logs.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Apps' pid files.
    pub fn pids_dir(&self) -> PathBuf {
        self.root.join("pids")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_makes_a_private_tree() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("h"));
        home.prepare().unwrap();
        let mode = fs::metadata(&home.root).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(home.logs_dir().is_dir() && home.pids_dir().is_dir());
    }

    #[test]
    fn an_unwritable_home_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        let home = Home::at(file.join("h"));
        let err = home.prepare().unwrap_err().to_string();
        assert!(
            err.contains("not writable") && err.contains("file/h"),
            "{err}"
        );
    }
}
