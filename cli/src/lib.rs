//! The `pm2` command line.
#![warn(missing_docs)]

pub mod render;

/// Entry point of `pm2`; returns the process exit code.
pub fn main_entry() -> i32 {
    0
}
