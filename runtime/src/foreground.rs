//! Foreground mode for `pm2-runtime` (containers).
//!
//! Not built yet: its issue (#7) follows the daemon. Until then the binary says so and
//! exits non-zero rather than pretending to run anything.

/// Entry point of `pm2-runtime`; returns the process exit code.
pub fn main_entry() -> i32 {
    eprintln!(
        "pm2-runtime {}: foreground mode is not available in this build yet; use `pm2 start`",
        pm2_protocol::VERSION
    );
    2
}
