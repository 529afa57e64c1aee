//! The CLI's side of the control socket: the shared client ([`pm2_protocol::client`]), plus
//! what only `pm2` does: start the daemon itself (detached, or attached for `--no-daemon`)
//! when none answers, and remember that it did (PM2 says so).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pm2_protocol::client::{Client as SocketClient, ClientError as SocketError};
use pm2_protocol::Home;
use tokio::net::UnixStream;

/// How long to wait for a freshly spawned daemon to answer.
pub const DAEMON_START_DEADLINE: Duration = Duration::from_secs(10);
/// The name this frontend gives itself in a protocol mismatch.
const PROGRAM: &str = "pm2";

/// Why the daemon could not be talked to: the socket client's reasons, or the daemon this
/// command started did not come up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting, the handshake or an exchange failed.
    #[error(transparent)]
    Socket(#[from] SocketError),
    /// The daemon was started but did not come up.
    #[error("the PM2 daemon did not start: {0}")]
    DaemonStart(String),
}

/// An open conversation with the daemon ([`pm2_protocol::client::Client`]'s verbs), and
/// whether opening it started the daemon.
pub struct Client {
    socket: SocketClient,
    /// Set when this call started the daemon (PM2 says so).
    pub spawned_daemon: bool,
}

impl std::ops::Deref for Client {
    type Target = SocketClient;
    fn deref(&self) -> &SocketClient {
        &self.socket
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut SocketClient {
        &mut self.socket
    }
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
        match SocketClient::connect(home, PROGRAM).await {
            Err(SocketError::NotRunning(_)) if spawn => {}
            other => {
                return Ok(Client {
                    socket: other?,
                    spawned_daemon: false,
                })
            }
        }
        home.prepare()
            .map_err(|e| ClientError::DaemonStart(e.to_string()))?;
        let stream = spawn_daemon(home, detached).await?;
        Ok(Client {
            socket: SocketClient::handshake(stream, PROGRAM).await?,
            spawned_daemon: true,
        })
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
