//! Hosts the supervision tree: the `pm2` daemon behind `$PM2_HOME/rpc.sock`, and the
//! foreground mode of `pm2-runtime`.
//!
//! Depends on `pm2-actors` and `pm2-protocol`. The daemon turns frames from the socket into
//! requests to the Root actor and never lets one connection's bad input reach another.
//!
//! ```text
//! rpc.sock ──frames──> server ──RootMsg::Request──> Root ──> Registry / Apps / Procs
//! ```
#![warn(missing_docs)]

pub mod daemon;
pub mod foreground;
mod server;
