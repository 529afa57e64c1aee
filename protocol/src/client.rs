//! The client side of the control socket, shared by every frontend (`pm2`, `pm2-mcp`, the
//! tests): connect to `$PM2_HOME/rpc.sock`, shake hands (refusing a daemon of another
//! protocol version), exchange one response per request within a deadline, and follow the
//! streams a subscription turns the connection into.
//!
//! How a daemon is started when none answers is each frontend's own business (the CLI spawns
//! `pm2 --daemon`, pm2-mcp runs `pm2 ping`): they hand the socket they got to
//! [`Client::handshake`].

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio_util::codec::Framed;

use crate::{
    ClientFrame, Event, FrameCodec, Hello, Home, ProcessInfo, Request, Response, ServerFrame,
    TableChange, Target, PROTOCOL_VERSION, VERSION,
};

/// How long to wait for one response (stops wait for kill_timeout per app).
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(300);

/// Why the daemon could not be talked to. The texts are what users read (and what the
/// differential suite compares with PM2's), so they stay as they are.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon answers on the socket.
    #[error("PM2 daemon is not running (no answer on {0})")]
    NotRunning(String),
    /// The daemon speaks another protocol version.
    #[error(
        "protocol mismatch: the running daemon ({daemon_version}) speaks v{daemon_protocol} \
         and this {program} ({VERSION}) v{PROTOCOL_VERSION}; run `pm2 update` or `pm2 kill`"
    )]
    Mismatch {
        /// The frontend that connected (`pm2`, `pm2-mcp`).
        program: String,
        /// The daemon's build version.
        daemon_version: String,
        /// The daemon's protocol version.
        daemon_protocol: u32,
    },
    /// The daemon refused the handshake, saying why.
    #[error("{0}")]
    Refused(String),
    /// The daemon hung up or sent something unreadable.
    #[error("lost the connection to the daemon: {0}")]
    Connection(String),
    /// No answer within the deadline.
    #[error("the daemon did not answer within {0:?}")]
    Timeout(Duration),
}

/// An open conversation with the daemon, past the handshake.
pub struct Client {
    framed: Framed<UnixStream, FrameCodec<ServerFrame, ClientFrame>>,
}

impl Client {
    /// Connects to the daemon of `home` and shakes hands; [`ClientError::NotRunning`] when
    /// nobody answers. `program` names the frontend in a version mismatch.
    pub async fn connect(home: &Home, program: &str) -> Result<Client, ClientError> {
        let socket = home.socket();
        match UnixStream::connect(&socket).await {
            Ok(stream) => Self::handshake(stream, program).await,
            Err(_) => Err(ClientError::NotRunning(socket.display().to_string())),
        }
    }

    /// Shakes hands on a socket already connected (a daemon the frontend just started).
    pub async fn handshake(stream: UnixStream, program: &str) -> Result<Client, ClientError> {
        let mut framed = Framed::new(stream, FrameCodec::<ServerFrame, ClientFrame>::new());
        framed
            .send(ClientFrame::Hello(Hello::current()))
            .await
            .map_err(|e| ClientError::Connection(e.to_string()))?;
        match next(&mut framed).await? {
            ServerFrame::Welcome(welcome) if welcome.protocol == PROTOCOL_VERSION => {
                Ok(Client { framed })
            }
            ServerFrame::Welcome(welcome) => Err(ClientError::Mismatch {
                program: program.to_string(),
                daemon_version: welcome.version,
                daemon_protocol: welcome.protocol,
            }),
            ServerFrame::Response(Response::Error(e)) => Err(ClientError::Refused(e.message)),
            other => Err(ClientError::Connection(format!(
                "unexpected answer to hello: {other:?}"
            ))),
        }
    }

    /// Sends one request and waits for its response, at most [`RESPONSE_DEADLINE`].
    pub async fn request(&mut self, request: Request) -> Result<Response, ClientError> {
        self.send(ClientFrame::Request(request)).await
    }

    /// Sends a request of the process table and waits for its answer with the table
    /// ([`ClientFrame::ThenList`]).
    pub async fn request_then_list(&mut self, request: Request) -> Result<Response, ClientError> {
        self.send(ClientFrame::ThenList(request)).await
    }

    async fn send(&mut self, frame: ClientFrame) -> Result<Response, ClientError> {
        self.framed
            .send(frame)
            .await
            .map_err(|e| ClientError::Connection(e.to_string()))?;
        match tokio::time::timeout(RESPONSE_DEADLINE, next(&mut self.framed)).await {
            Ok(Ok(ServerFrame::Response(response))) => Ok(response),
            Ok(Ok(other)) => unexpected(other),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ClientError::Timeout(RESPONSE_DEADLINE)),
        }
    }

    /// Turns the connection into a stream of followed lines ([`Client::next_event`]).
    pub async fn subscribe(&mut self, targets: Vec<Target>) -> Result<(), ClientError> {
        match self.request(Request::Subscribe { targets }).await? {
            Response::Ok => Ok(()),
            Response::Error(e) => Err(ClientError::Connection(e.message)),
            other => Err(ClientError::Connection(format!(
                "unexpected answer {other:?}"
            ))),
        }
    }

    /// The next pushed event; `None` when the daemon went away.
    pub async fn next_event(&mut self) -> Result<Option<Event>, ClientError> {
        match self.next_pushed().await? {
            Some(ServerFrame::Event(event)) => Ok(Some(event)),
            other => other.map(unexpected).transpose(),
        }
    }

    /// Turns the connection into a stream of table changes ([`Client::next_change`]);
    /// answers the rows as they are now.
    pub async fn subscribe_table(&mut self) -> Result<Vec<ProcessInfo>, ClientError> {
        match self.request(Request::SubscribeTable).await? {
            Response::Processes(rows) => Ok(rows),
            Response::Error(e) => Err(ClientError::Connection(e.message)),
            other => Err(ClientError::Connection(format!(
                "unexpected answer {other:?}"
            ))),
        }
    }

    /// The next pushed change of the table; `None` when the daemon went away.
    pub async fn next_change(&mut self) -> Result<Option<TableChange>, ClientError> {
        match self.next_pushed().await? {
            Some(ServerFrame::Change(change)) => Ok(Some(change)),
            other => other.map(unexpected).transpose(),
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

    /// The next frame of a subscription; `None` when the daemon went away.
    async fn next_pushed(&mut self) -> Result<Option<ServerFrame>, ClientError> {
        match self.framed.next().await {
            Some(Ok(frame)) => Ok(Some(frame)),
            Some(Err(e)) => Err(ClientError::Connection(e.to_string())),
            None => Ok(None),
        }
    }
}

/// A frame of another kind than the exchange expects.
fn unexpected<T>(frame: ServerFrame) -> Result<T, ClientError> {
    Err(ClientError::Connection(format!(
        "unexpected frame {frame:?}"
    )))
}

/// The next frame of a request's exchange; the end of the stream is an error here.
async fn next(
    framed: &mut Framed<UnixStream, FrameCodec<ServerFrame, ClientFrame>>,
) -> Result<ServerFrame, ClientError> {
    match framed.next().await {
        Some(Ok(frame)) => Ok(frame),
        Some(Err(e)) => Err(ClientError::Connection(e.to_string())),
        None => Err(ClientError::Connection(
            "the daemon closed the connection".into(),
        )),
    }
}
