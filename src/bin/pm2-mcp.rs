//! `pm2-mcp`: the MCP server for AI agents.

fn main() {
    std::process::exit(pm2_mcp::main_entry());
}
