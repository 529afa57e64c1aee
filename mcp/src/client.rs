//! pm2-mcp's side of the control socket: the shared client ([`pm2_protocol::client`]), plus
//! how this server starts a daemon when none answers (it runs `pm2 ping`, so the CLI starts
//! it detached as it always does; the MCP server must not depend on the CLI).

use std::process::Stdio;

use pm2_protocol::client::ClientError;
use pm2_protocol::Home;
use tokio::net::UnixStream;

pub use pm2_protocol::client::Client;

/// The name this frontend gives itself in a protocol mismatch.
const PROGRAM: &str = "pm2-mcp";

/// Connects to `$PM2_HOME/rpc.sock`; when nobody answers and `spawn` is true, runs
/// `pm2 ping` (the `pm2` binary next to this one) to start the daemon, then connects.
/// `Ok(None)` when no daemon answers and none was to be started.
pub async fn connect(home: &Home, spawn: bool) -> Result<Option<Client>, String> {
    match Client::connect(home, PROGRAM).await {
        Ok(client) => return Ok(Some(client)),
        Err(ClientError::NotRunning(_)) if spawn => {}
        Err(ClientError::NotRunning(_)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    start_daemon(home).await?;
    let socket = home.socket();
    let stream = UnixStream::connect(&socket).await.map_err(|e| {
        format!(
            "the PM2 daemon did not start: no answer on {}: {e}",
            socket.display()
        )
    })?;
    Client::handshake(stream, PROGRAM)
        .await
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Runs `pm2 ping` with this home: the CLI starts the daemon detached and waits for it.
async fn start_daemon(home: &Home) -> Result<(), String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot locate the pm2 binary: {e}"))?
        .with_file_name("pm2");
    let output = tokio::process::Command::new(&exe)
        .arg("ping")
        .env("PM2_HOME", &home.root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| format!("cannot run {} to start the daemon: {e}", exe.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "the PM2 daemon did not start ({} ping: {}): {}",
            exe.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
