//! The saved process list and surviving daemons: `pm2 save`/`resurrect`/`cleardump`, the
//! `.bak` fallback, dumps written by PM2 itself, recovery after the daemon is SIGKILLed,
//! `pm2 update`, and graceful stops on `pm2 kill` and SIGTERM.

mod crash;
mod graceful;
mod pm2_dumps;
mod recovery;
mod saved;
mod support;

use crate::common;
