//! Cluster mode: instances sharing one port (the inherited socket for Node through the
//! preload and for any program through `LISTEN_FDS`, or the proxy), `-i max`/`-i -1`,
//! `pm2 scale`, reloads that lose no request (and keep the old processes when the new code
//! crashes), `wait_ready` (IPC `ready`, sd_notify `READY=1`, `listen_timeout`),
//! `shutdown_with_message`, and reload in fork mode.
//!
//! Every request goes to 127.0.0.1, in bounded numbers; every wait has a deadline.

mod instances;
mod readiness;
mod reload;
mod scale;
mod support;
mod wrk;

use crate::common;
