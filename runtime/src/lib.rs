//! Hosts the supervision tree: the `pm2` daemon behind `$PM2_HOME/rpc.sock`, and the
//! foreground mode of `pm2-runtime`.
//!
//! Depends on `pm2-actors` and `pm2-protocol`. The daemon turns frames from the socket into
//! requests to the Root actor and never lets one connection's bad input reach another.
//!
//! ```text
//! rpc.sock ──frames──> server ──RootMsg::Request──> Root ──> Registry / Apps / Procs
//!                        └── set/get/unset ──> settings ──> module_conf.json
//!                                                 ├──RootMsg::SetRotation──> Logs, pm2.log
//!                                                 ├──RootMsg::SetSysmonit──> Monitor
//!                                                 └── prometheus_port ──> metrics (HTTP)
//! 127.0.0.1:<port> GET /metrics ──> metrics ──Request::List──> Root
//! ```
#![warn(missing_docs)]

mod conf;
pub mod daemon;
mod daemon_conf;
mod daemon_log;
pub mod embedded;
pub mod foreground;
mod handover;
mod host;
mod metrics;
mod recovery;
pub mod route;
mod server;
mod settings;
mod state;
