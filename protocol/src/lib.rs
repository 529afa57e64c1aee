//! The language the pm2 daemon and its frontends speak, and the description of an app.
//!
//! This crate has no actors and no tasks of its own; everyone depends on it and it depends on
//! no other crate of the workspace:
//!
//! ```text
//!  cli ──┐
//!  mcp ──┼──> protocol <── actors <── runtime
//! ```
//!
//! - [`client`]: the client side of the control socket (connect, handshake, one response per
//!   request, subscriptions), shared by `pm2`, `pm2-mcp` and the tests.
//! - [`frame`]: u32 big-endian length + bincode 2 body, with a hard maximum frame size.
//! - [`message`]: the handshake, requests, responses and events carried in frames.
//! - [`spec`]: [`AppSpec`], an app fully resolved (absolute paths, interpreter, env), which is
//!   what the daemon is asked to run.
//! - [`procfs`]: the one parser of `/proc/<pid>/stat`; [`clock`]: the one `now_ms`.
//! - [`process`]: [`ProcessInfo`], one row of the process table as frontends see it.
//! - [`table`]: the table as pushed changes, and the mirror a frontend keeps of it.
//! - [`logrotate`]: pm2-logrotate's keys and value forms, shared by `pm2 set` and ecosystem
//!   files.
//! - [`watch`] and [`cron`]: file watching and `cron_restart` schedules, as apps ask for
//!   them.
//! - [`ecosystem`]: reading ecosystem files (TOML, JSON, YAML, JS) and resolving app options
//!   into [`AppSpec`]s, shared by `pm2`, `pm2-runtime` and `pm2-mcp`.
#![warn(missing_docs)]

pub mod attributes;
pub mod client;
pub mod clock;
pub mod cron;
pub mod dump;
pub mod ecosystem;
pub mod failure;
pub mod frame;
pub mod home;
pub mod lexical;
pub mod logrotate;
pub mod message;
pub mod process;
pub mod procfs;
pub mod spec;
pub mod table;
pub mod tail;
pub mod target;
pub mod timestamp;
pub mod units;
pub mod vitals;
pub mod watch;

pub use attributes::Attributes;
pub use failure::{Failure, FailureKind};
pub use frame::{FrameCodec, FrameError, MAX_FRAME_LEN};
pub use home::{Home, HomeError};
pub use logrotate::LogRotate;
pub use message::{
    Action, ClientFrame, ConfValue, Event, Hello, LogLine, LogStream, RecentLog, Request, Response,
    ScaleTo, ServerFrame, Welcome,
};
pub use process::{Monit, ProcessInfo, Status};
pub use spec::{AppSpec, ExecMode, Handover, Strategy};
pub use table::{Metrics, TableChange, TableMirror};
pub use target::Target;
pub use vitals::HostVitals;
pub use watch::{WatchChange, WatchConfig, WatchSpec};

/// Version of the wire protocol; both sides refuse to talk across versions.
pub const PROTOCOL_VERSION: u32 = 12;

/// Version of this build, reported by `pm2 --version` and the handshake.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
