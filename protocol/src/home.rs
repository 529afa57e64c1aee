//! `PM2_HOME`: where the daemon keeps its socket, pid file, logs and pid files.
//!
//! Both sides need it: the daemon lives there, and the CLI finds the socket there and
//! prepares the directory before spawning a daemon (so an unwritable home is one clear error).

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Paths inside one `PM2_HOME`, each of which PM2 lets a variable move elsewhere
/// (`paths.js`: `PM2_` + the path's name, e.g. `PM2_DAEMON_RPC_PORT`, `PM2_LOG_FILE_PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// The directory itself.
    pub root: PathBuf,
    /// Paths moved by PM2's variables.
    overrides: Overrides,
}

/// PM2's path variables (`paths.js`), read once by [`Home::from_env`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Overrides {
    socket: Option<PathBuf>,
    pid_file: Option<PathBuf>,
    daemon_log: Option<PathBuf>,
    dump_file: Option<PathBuf>,
    logs_dir: Option<PathBuf>,
    pids_dir: Option<PathBuf>,
    module_conf: Option<PathBuf>,
}

impl Overrides {
    /// The variables PM2 reads, by the name it gives each path.
    const VARIABLES: [&'static str; 7] = [
        "PM2_DAEMON_RPC_PORT",
        "PM2_PID_FILE_PATH",
        "PM2_LOG_FILE_PATH",
        "PM2_DUMP_FILE_PATH",
        "PM2_DEFAULT_LOG_PATH",
        "PM2_DEFAULT_PID_PATH",
        "PM2_MODULE_CONF_FILE",
    ];

    fn read(var: impl Fn(&str) -> Option<String>) -> Overrides {
        let path = |name: &str| var(name).filter(|v| !v.is_empty()).map(absolute);
        Overrides {
            socket: path("PM2_DAEMON_RPC_PORT"),
            pid_file: path("PM2_PID_FILE_PATH"),
            daemon_log: path("PM2_LOG_FILE_PATH"),
            dump_file: path("PM2_DUMP_FILE_PATH"),
            logs_dir: path("PM2_DEFAULT_LOG_PATH"),
            pids_dir: path("PM2_DEFAULT_PID_PATH"),
            module_conf: path("PM2_MODULE_CONF_FILE"),
        }
    }
}

fn absolute(path: impl Into<PathBuf>) -> PathBuf {
    let path = path.into();
    if path.is_absolute() {
        path
    } else {
        std::env::current_dir()
            .map(|d| d.join(&path))
            .unwrap_or(path)
    }
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
    /// `$OVER_HOME`, else `$PM2_HOME`, else `~/.pm2` (PM2's order), with the paths PM2's
    /// variables move ([`Home::VARIABLES`]).
    pub fn from_env() -> Result<Home, HomeError> {
        Home::from_vars(|name| std::env::var(name).ok())
    }

    /// The variables that move one of the home's paths, as PM2 names them.
    pub const VARIABLES: [&'static str; 7] = Overrides::VARIABLES;

    /// [`Home::from_env`] reading variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Home, HomeError> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let root = match set("OVER_HOME").or_else(|| set("PM2_HOME")) {
            Some(home) => PathBuf::from(home),
            None => Path::new(&set("HOME").ok_or(HomeError::Unset)?).join(".pm2"),
        };
        let mut home = Home::at(root);
        home.overrides = Overrides::read(var);
        Ok(home)
    }

    /// A home at `root`, every path in it.
    pub fn at(root: PathBuf) -> Home {
        Home {
            root: absolute(root),
            overrides: Overrides::default(),
        }
    }

    /// The variables a daemon started from this home must be given, so that it finds the
    /// same paths (the moved ones).
    pub fn variables(&self) -> Vec<(&'static str, PathBuf)> {
        let o = &self.overrides;
        Overrides::VARIABLES
            .iter()
            .zip([
                &o.socket,
                &o.pid_file,
                &o.daemon_log,
                &o.dump_file,
                &o.logs_dir,
                &o.pids_dir,
                &o.module_conf,
            ])
            .filter_map(|(name, path)| path.clone().map(|p| (*name, p)))
            .collect()
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
        self.or(&self.overrides.socket, "rpc.sock")
    }

    /// The daemon's pid file.
    pub fn pid_file(&self) -> PathBuf {
        self.or(&self.overrides.pid_file, "pm2.pid")
    }

    /// The daemon's own log.
    pub fn daemon_log(&self) -> PathBuf {
        self.or(&self.overrides.daemon_log, "pm2.log")
    }

    /// The saved process list (`pm2 save`, `pm2 resurrect`).
    pub fn dump_file(&self) -> PathBuf {
        self.or(&self.overrides.dump_file, "dump.pm2")
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
        self.or(&self.overrides.logs_dir, "logs")
    }

    /// `pm2 set` values (PM2's `module_conf.json`).
    pub fn module_conf_file(&self) -> PathBuf {
        self.or(&self.overrides.module_conf, "module_conf.json")
    }

    fn or(&self, moved: &Option<PathBuf>, name: &str) -> PathBuf {
        moved.clone().unwrap_or_else(|| self.root.join(name))
    }

    /// Apps' pid files.
    pub fn pids_dir(&self) -> PathBuf {
        self.or(&self.overrides.pids_dir, "pids")
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
    fn pm2s_variables_move_the_home_and_its_paths() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let home = Home::from_vars(vars(&[("HOME", "/home/a")])).unwrap();
        assert_eq!(home.root, Path::new("/home/a/.pm2"));
        assert_eq!(home.socket(), Path::new("/home/a/.pm2/rpc.sock"));
        let home = Home::from_vars(vars(&[
            ("PM2_HOME", "/srv/pm2"),
            ("OVER_HOME", "/over"),
            ("PM2_DAEMON_RPC_PORT", "/run/pm2.sock"),
            ("PM2_LOG_FILE_PATH", "/var/log/pm2.log"),
            ("PM2_PID_FILE_PATH", "/run/pm2.pid"),
            ("PM2_DEFAULT_LOG_PATH", "/var/log/apps"),
            ("PM2_DEFAULT_PID_PATH", "/run/apps"),
            ("PM2_DUMP_FILE_PATH", "/srv/dump.pm2"),
            ("PM2_MODULE_CONF_FILE", "/etc/pm2.json"),
        ]))
        .unwrap();
        assert_eq!(home.root, Path::new("/over"));
        assert_eq!(home.socket(), Path::new("/run/pm2.sock"));
        assert_eq!(home.daemon_log(), Path::new("/var/log/pm2.log"));
        assert_eq!(home.pid_file(), Path::new("/run/pm2.pid"));
        assert_eq!(home.logs_dir(), Path::new("/var/log/apps"));
        assert_eq!(home.pids_dir(), Path::new("/run/apps"));
        assert_eq!(home.dump_file(), Path::new("/srv/dump.pm2"));
        assert_eq!(home.module_conf_file(), Path::new("/etc/pm2.json"));
        assert_eq!(home.variables().len(), 7);
        assert!(Home::from_vars(vars(&[])).is_err());
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
