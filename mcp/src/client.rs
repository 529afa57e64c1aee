//! The minimal client side of the daemon's control socket (the CLI has the full one; the
//! MCP server must not depend on the CLI): connect, starting the daemon through `pm2 ping`
//! when nobody answers, shake hands, and exchange one response per request.

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pm2_protocol::{
    ClientFrame, FrameCodec, Hello, Home, Request, Response, ServerFrame, TableChange,
    PROTOCOL_VERSION,
};
use tokio::net::UnixStream;
use tokio_util::codec::Framed;

/// How long to wait for one response (stops wait for kill_timeout per app).
const RESPONSE_DEADLINE: Duration = Duration::from_secs(300);

/// An open conversation with the daemon.
pub struct Client {
    framed: Framed<UnixStream, FrameCodec<ServerFrame, ClientFrame>>,
}

impl Client {
    /// Connects to `$PM2_HOME/rpc.sock`; when nobody answers and `spawn` is true, runs
    /// `pm2 ping` (the `pm2` binary next to this one) to start the daemon, then connects.
    /// `Ok(None)` when no daemon answers and none was to be started.
    pub async fn connect(home: &Home, spawn: bool) -> Result<Option<Client>, String> {
        let socket = home.socket();
        if let Ok(stream) = UnixStream::connect(&socket).await {
            return Self::handshake(stream).await.map(Some);
        }
        if !spawn {
            return Ok(None);
        }
        start_daemon(home).await?;
        let stream = UnixStream::connect(&socket).await.map_err(|e| {
            format!(
                "the PM2 daemon did not start: no answer on {}: {e}",
                socket.display()
            )
        })?;
        Self::handshake(stream).await.map(Some)
    }

    async fn handshake(stream: UnixStream) -> Result<Client, String> {
        let mut framed = Framed::new(stream, FrameCodec::<ServerFrame, ClientFrame>::new());
        framed
            .send(ClientFrame::Hello(Hello::current()))
            .await
            .map_err(|e| format!("lost the connection to the daemon: {e}"))?;
        match next(&mut framed).await? {
            ServerFrame::Welcome(welcome) if welcome.protocol == PROTOCOL_VERSION => {
                Ok(Client { framed })
            }
            ServerFrame::Welcome(welcome) => Err(format!(
                "protocol mismatch: the running daemon ({}) speaks v{} and this pm2-mcp ({}) \
                 v{}; run `pm2 update` or `pm2 kill`",
                welcome.version,
                welcome.protocol,
                pm2_protocol::VERSION,
                PROTOCOL_VERSION
            )),
            ServerFrame::Response(Response::Error(e)) => Err(e.message),
            other => Err(format!("unexpected answer to hello: {other:?}")),
        }
    }

    /// Whether the daemon is still at the other end: nothing to read and no end of stream
    /// (a pooled connection whose daemon went away reads as closed).
    pub fn is_open(&self) -> bool {
        if !self.framed.read_buffer().is_empty() {
            return false; // a frame nobody asked for: do not trust this conversation
        }
        let mut probe = [0u8; 1];
        matches!(
            self.framed.get_ref().try_read(&mut probe),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        )
    }

    /// Sends one request and waits for its response.
    pub async fn request(&mut self, request: Request) -> Result<Response, String> {
        self.framed
            .send(ClientFrame::Request(request))
            .await
            .map_err(|e| format!("lost the connection to the daemon: {e}"))?;
        match tokio::time::timeout(RESPONSE_DEADLINE, next(&mut self.framed)).await {
            Ok(Ok(ServerFrame::Response(response))) => Ok(response),
            Ok(Ok(other)) => Err(format!("unexpected frame from the daemon: {other:?}")),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!(
                "the daemon did not answer within {RESPONSE_DEADLINE:?}"
            )),
        }
    }
}

impl Client {
    /// The next change pushed after `Request::SubscribeTable` was answered; `None` when
    /// the daemon went away.
    pub async fn next_change(&mut self) -> Result<Option<TableChange>, String> {
        match self.framed.next().await {
            Some(Ok(ServerFrame::Change(change))) => Ok(Some(change)),
            Some(Ok(other)) => Err(format!("unexpected frame from the daemon: {other:?}")),
            Some(Err(e)) => Err(format!("lost the connection to the daemon: {e}")),
            None => Ok(None),
        }
    }
}

async fn next(
    framed: &mut Framed<UnixStream, FrameCodec<ServerFrame, ClientFrame>>,
) -> Result<ServerFrame, String> {
    match framed.next().await {
        Some(Ok(frame)) => Ok(frame),
        Some(Err(e)) => Err(format!("lost the connection to the daemon: {e}")),
        None => Err("lost the connection to the daemon: it closed the connection".into()),
    }
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
