//! The client side of the control socket: connect (starting the daemon when none answers),
//! shake hands, and exchange one response per request.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use pm2_protocol::{
    ClientFrame, FrameCodec, Hello, Home, Request, Response, ServerFrame, PROTOCOL_VERSION,
};
use tokio::net::UnixStream;
use tokio_util::codec::Framed;

/// How long to wait for a freshly spawned daemon to answer.
pub const DAEMON_START_DEADLINE: Duration = Duration::from_secs(10);
/// How long to wait for one response (stops wait for kill_timeout per app).
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(300);

/// Why the daemon could not be talked to.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon answers and none was to be started.
    #[error("PM2 daemon is not running (no answer on {0})")]
    NotRunning(String),
    /// The daemon was started but did not come up.
    #[error("the PM2 daemon did not start: {0}")]
    DaemonStart(String),
    /// The daemon speaks another protocol version.
    #[error("{0}")]
    Mismatch(String),
    /// The daemon hung up or sent something unreadable.
    #[error("lost the connection to the daemon: {0}")]
    Connection(String),
    /// No answer within the deadline.
    #[error("the daemon did not answer within {0:?}")]
    Timeout(Duration),
}

/// An open conversation with the daemon.
pub struct Client {
    framed: Framed<UnixStream, FrameCodec<ServerFrame, ClientFrame>>,
    /// Set when this call started the daemon (PM2 says so).
    pub spawned_daemon: bool,
}

impl Client {
    /// Connects; when nobody answers and `spawn` is true, starts the daemon and waits for it.
    pub async fn connect(home: &Home, spawn: bool) -> Result<Client, ClientError> {
        Self::connect_or_start(home, spawn, true).await
    }

    /// Connects, starting the daemon when nobody answers: `--no-daemon`'s daemon stays in
    /// this terminal's session and process group (Ctrl-C reaches it) instead of detaching.
    pub async fn connect_attached(home: &Home) -> Result<Client, ClientError> {
        Self::connect_or_start(home, true, false).await
    }

    async fn connect_or_start(
        home: &Home,
        spawn: bool,
        detached: bool,
    ) -> Result<Client, ClientError> {
        let socket = home.socket();
        if let Ok(stream) = UnixStream::connect(&socket).await {
            return Self::handshake(stream, false).await;
        }
        if !spawn {
            return Err(ClientError::NotRunning(socket.display().to_string()));
        }
        home.prepare()
            .map_err(|e| ClientError::DaemonStart(e.to_string()))?;
        let stream = spawn_daemon(home, detached).await?;
        Self::handshake(stream, true).await
    }

    async fn handshake(stream: UnixStream, spawned_daemon: bool) -> Result<Client, ClientError> {
        let mut framed = Framed::new(stream, FrameCodec::<ServerFrame, ClientFrame>::new());
        framed
            .send(ClientFrame::Hello(Hello::current()))
            .await
            .map_err(|e| ClientError::Connection(e.to_string()))?;
        match next(&mut framed).await? {
            ServerFrame::Welcome(welcome) if welcome.protocol == PROTOCOL_VERSION => Ok(Client {
                framed,
                spawned_daemon,
            }),
            ServerFrame::Welcome(welcome) => Err(ClientError::Mismatch(format!(
                "protocol mismatch: the running daemon ({}) speaks v{} and this pm2 ({}) v{}; \
                 run `pm2 update` or `pm2 kill`",
                welcome.version,
                welcome.protocol,
                pm2_protocol::VERSION,
                PROTOCOL_VERSION
            ))),
            ServerFrame::Response(Response::Error(e)) => Err(ClientError::Mismatch(e.message)),
            other => Err(ClientError::Connection(format!(
                "unexpected answer to hello: {other:?}"
            ))),
        }
    }

    /// Turns the connection into a stream of followed lines ([`Client::next_event`]).
    pub async fn subscribe(
        &mut self,
        targets: Vec<pm2_protocol::Target>,
    ) -> Result<(), ClientError> {
        match self.request(Request::Subscribe { targets }).await? {
            Response::Ok => Ok(()),
            Response::Error(e) => Err(ClientError::Connection(e.message)),
            other => Err(ClientError::Connection(format!(
                "unexpected answer {other:?}"
            ))),
        }
    }

    /// The next pushed event; `None` when the daemon went away.
    pub async fn next_event(&mut self) -> Result<Option<pm2_protocol::Event>, ClientError> {
        match self.next_pushed().await? {
            Some(ServerFrame::Event(event)) => Ok(Some(event)),
            other => other.map(unexpected).transpose(),
        }
    }

    /// Turns the connection into a stream of table changes ([`Client::next_change`]);
    /// answers the rows as they are now.
    pub async fn subscribe_table(&mut self) -> Result<Vec<pm2_protocol::ProcessInfo>, ClientError> {
        match self.request(Request::SubscribeTable).await? {
            Response::Processes(rows) => Ok(rows),
            Response::Error(e) => Err(ClientError::Connection(e.message)),
            other => Err(ClientError::Connection(format!(
                "unexpected answer {other:?}"
            ))),
        }
    }

    /// The next pushed change of the table; `None` when the daemon went away.
    pub async fn next_change(&mut self) -> Result<Option<pm2_protocol::TableChange>, ClientError> {
        match self.next_pushed().await? {
            Some(ServerFrame::Change(change)) => Ok(Some(change)),
            other => other.map(unexpected).transpose(),
        }
    }

    /// The next frame of a subscription; `None` when the daemon went away.
    async fn next_pushed(&mut self) -> Result<Option<ServerFrame>, ClientError> {
        match self.framed.next().await {
            Some(Ok(frame)) => Ok(Some(frame)),
            Some(Err(e)) => Err(ClientError::Connection(e.to_string())),
            None => Ok(None),
        }
    }

    /// Sends one request and waits for its response.
    pub async fn request(&mut self, request: Request) -> Result<Response, ClientError> {
        self.framed
            .send(ClientFrame::Request(request))
            .await
            .map_err(|e| ClientError::Connection(e.to_string()))?;
        match tokio::time::timeout(RESPONSE_DEADLINE, next(&mut self.framed)).await {
            Ok(Ok(ServerFrame::Response(response))) => Ok(response),
            Ok(Ok(other)) => Err(ClientError::Connection(format!(
                "unexpected frame {other:?}"
            ))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ClientError::Timeout(RESPONSE_DEADLINE)),
        }
    }
}

/// A frame of another kind than the subscription carries.
fn unexpected<T>(frame: ServerFrame) -> Result<T, ClientError> {
    Err(ClientError::Connection(format!(
        "unexpected frame {frame:?}"
    )))
}

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

/// Starts `pm2 --daemon` detached (own session, no terminal) and waits for its socket.
async fn spawn_daemon(home: &Home, detached: bool) -> Result<UnixStream, ClientError> {
    let exe = std::env::current_exe().map_err(|e| ClientError::DaemonStart(e.to_string()))?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("--daemon")
        .env("PM2_HOME", &home.root)
        .envs(home.variables())
        .current_dir(&home.root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if detached {
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                Ok(())
            });
        }
    }
    let mut child = command
        .spawn()
        .map_err(|e| ClientError::DaemonStart(e.to_string()))?;
    let socket = home.socket();
    let deadline = Instant::now() + DAEMON_START_DEADLINE;
    loop {
        if let Ok(stream) = UnixStream::connect(&socket).await {
            // The daemon is detached; it is reaped by init once we exit.
            std::mem::forget(child);
            return Ok(stream);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(ClientError::DaemonStart(format!(
                "it exited ({status}); {}",
                last_log_line(&home.daemon_log())
            )));
        }
        if Instant::now() >= deadline {
            return Err(ClientError::DaemonStart(format!(
                "no answer on {} within {:?}; see {}",
                socket.display(),
                DAEMON_START_DEADLINE,
                home.daemon_log().display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn last_log_line(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.lines().last().map(str::to_string))
        .map(|line| format!("last line of {}: {line}", path.display()))
        .unwrap_or_else(|| format!("nothing in {}", path.display()))
}
