//! The supervision tree: every managed process, log sink and the registry is an actor.
//!
//! Depends on `pm2-protocol` only; knows nothing of sockets or terminals (the runtime hosts
//! the tree and turns frames into [`root::RootMsg`]s).
//!
//! ```text
//! Root (one_for_one)
//! ├── Registry          the process table, ids, target resolution
//! ├── Logs (one_for_one)
//! │   └── LogSink[app]  the app's log files
//! ├── Monitor           cpu/memory of every process tree, once a second
//! └── App[name]         strategy from the ecosystem file (default one_for_one)
//!     ├── Proc[id]      one OS process: spawn, reap, restart policy, signals
//!     ├── Watch         watched apps: restarts the app when its files change
//!     └── Cron          apps with cron_restart: restarts the app at each match
//! ```
//!
//! State that must survive an actor's restart (an OS process, its counters, the table)
//! lives in a store owned by the supervisor's child spec, so a restarted actor adopts it
//! rather than losing or duplicating anything.
#![warn(missing_docs)]

pub mod app;
pub mod balancer;
pub mod cron;
mod fsutil;
pub mod logsink;
pub mod monitor;
pub mod proc;
pub mod registry;
pub mod root;
pub mod supervision;
pub mod watch;
