//! The server's own log lines. They go to stderr only: with the stdio transport, stdout
//! carries nothing but MCP frames. `PM2_SILENT` hushes them, `PM2_MCP_DEBUG` adds detail.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy)]
struct Level {
    silent: bool,
    debug: bool,
}

static LEVEL: OnceLock<Level> = OnceLock::new();

/// Sets the level once, at start.
pub fn init(silent: bool, debug: bool) {
    let _ = LEVEL.set(Level { silent, debug });
}

fn level() -> Level {
    LEVEL.get().copied().unwrap_or(Level {
        silent: false,
        debug: false,
    })
}

/// A line worth telling whoever runs the server.
pub fn info(message: &str) {
    if !level().silent {
        eprintln!("[pm2-mcp] {message}");
    }
}

/// Detail for `PM2_MCP_DEBUG=true`.
pub fn debug(message: &str) {
    let level = level();
    if level.debug && !level.silent {
        eprintln!("[pm2-mcp] debug: {message}");
    }
}

/// Something went wrong; shown even when silent.
pub fn error(message: &str) {
    eprintln!("[pm2-mcp] error: {message}");
}
