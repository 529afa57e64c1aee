//! Wall-clock time as PM2 reports it: milliseconds since the Unix epoch (uptimes, restart
//! times, log timestamps), one function for the daemon and every frontend.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in ms since the epoch (0 on a clock set before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
