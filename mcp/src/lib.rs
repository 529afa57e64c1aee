//! The `pm2-mcp` server (MCP over stdio and streamable HTTP, on rmcp).
//!
//! Not built yet: its issue (#8) comes after the daemon and the CLI. Until then the binary
//! says so and exits non-zero, so nobody mistakes it for a working server.

/// Entry point of `pm2-mcp`; returns the process exit code.
pub fn main_entry() -> i32 {
    eprintln!(
        "pm2-mcp {}: the MCP server is not available in this build yet",
        pm2_protocol::VERSION
    );
    2
}
