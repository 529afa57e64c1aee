//! The supervision tree: every managed process, log sink and the registry is an actor.
//!
//! Depends on `pm2-protocol` only; knows nothing of sockets or terminals (the runtime hosts
//! the tree and turns frames into [`root::RootMsg`]s).
//!
//! ```text
//! Root (one_for_one)      the tree's commands (RootCmd): answered from tasks, never awaited
//! ├── Registry            the process table, ids, target resolution
//! ├── Logs (one_for_one)
//! │   └── LogSink[app]    the app's log files
//! ├── Monitor             cpu/memory of every process tree, once a second
//! ├── Starts              start, resurrect, scale, adoption: one at a time
//! └── App[name]           the spec's `strategy` (default one_for_one)
//!     ├── Balancer        proxied cluster apps: one watched accept loop per port
//!     ├── Proc[id]        one OS process: spawn, reap, restart policy, signals
//!     ├── Watch           watched apps: restarts the app when its files change
//!     └── Cron            apps with cron_restart: restarts the app at each match
//! ```
//!
//! Every supervisor allows 3 restarts in 5 s (OTP's default) and fails past it, so its
//! parent decides. Children are transient: stopped with one of our [`supervision::StopReason`]s
//! they are forgotten, any other end restarts them.
//!
//! State that must survive an actor's restart (an OS process, its counters, the table, the
//! sinks' book) lives in a store owned by the supervisor's child spec, so a restarted actor
//! adopts it rather than losing or duplicating anything; each store has one writer, the
//! actor (a Proc's waiter task only appends the exits it sees). Errors that cross actors are
//! [`error::TreeError`]s.
#![warn(missing_docs)]

pub mod app;
pub mod balancer;
pub mod cron;
pub mod error;
mod fsutil;
pub mod logsink;
pub mod monitor;
pub mod proc;
pub mod registry;
pub mod root;
pub mod supervision;
pub mod watch;
