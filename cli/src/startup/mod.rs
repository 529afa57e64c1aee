//! Boot integration, the decisions behind `pm2 startup` and `pm2 unstartup`: which init
//! system ([`platform`]), which user, home and service name ([`service`]), what file to
//! write ([`template`]) and which commands enable or disable it ([`plan`]).
//!
//! Everything here is pure except [`platform::detect`] (which looks at `PATH`) and
//! [`service::resolve`] (which reads the environment and the user database); the command in
//! `commands/startup.rs` prints and performs the plan.

pub mod plan;
pub mod platform;
pub mod service;
pub mod template;

pub use plan::{Plan, Step};
pub use platform::Platform;
pub use service::{Service, ServiceOptions};

use std::path::PathBuf;

/// Why `pm2 startup` / `pm2 unstartup` cannot go on; each is the one line the user sees.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A platform name that PM2 does not know either.
    #[error("Unknown platform / init system name: {0} (one of {list})", list = platform::NAMES.join(", "))]
    UnknownPlatform(String),
    /// A platform PM2 knows but this pm2 does not write scripts for.
    #[error("init system {0} is not supported by this pm2 (one of {list})", list = platform::NAMES.join(", "))]
    Unsupported(String),
    /// No platform given and none of the init systems' tools is on `PATH`.
    #[error("Init system not found (name one: pm2 startup <{list}>)", list = platform::NAMES.join("|"))]
    NotFound,
    /// The current user could not be found.
    #[error("cannot tell the current user: set USER or use -u <user>")]
    NoUser,
    /// A user whose home is needed is not in the user database.
    #[error("user {0} not found: give its home with --hp <home>")]
    UnknownUser(String),
    /// The home directory is unknown.
    #[error("cannot tell the home directory: set HOME or use --hp <home>")]
    NoHome,
    /// A user or service name that would not be safe in file names and commands.
    #[error("invalid {what} {value:?}: use letters, digits, '.', '_', '-' or '@'")]
    BadName {
        /// `user` or `service name`.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// Our own executable could not be located.
    #[error("cannot locate the pm2 binary: {0}")]
    NoBinary(std::io::Error),
    /// Writing, chmod-ing or removing a file failed.
    #[error("{action} {}: {source}", path.display())]
    File {
        /// What was attempted (`cannot write`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `pm2 unstartup` found nothing to remove.
    #[error("no startup script at {} (written by `pm2 startup {platform}` with the same -u/--service-name?)", path.display())]
    NotInstalled {
        /// Where the script would be.
        path: PathBuf,
        /// Its platform.
        platform: Platform,
    },
    /// An enabling or disabling command failed or could not be run.
    #[error("{command} failed ({reason}), see the error above")]
    CommandFailed {
        /// The command, as printed.
        command: String,
        /// Exit status or the reason it did not run.
        reason: String,
    },
    /// Not root: the command to run as root was printed.
    #[error("You have to run this with elevated rights")]
    NotRoot,
}
