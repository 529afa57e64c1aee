//! How a process says it is ready, and how it is asked to shut down.
//!
//! Node apps get PM2's IPC channel (`NODE_CHANNEL_FD`, JSON lines): `process.send('ready')`
//! is PM2's `wait_ready` signal, the cluster preload announces `pm2:listening`, and the
//! daemon sends `"shutdown"` for `shutdown_with_message`. Any app with `wait_ready` also
//! gets systemd's `NOTIFY_SOCKET` and may send `READY=1`.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixStream};

use pm2_protocol::AppSpec;
use ractor::ActorRef;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedWriteHalf;

use super::messages::ProcMsg;

/// The daemon's ends of a process's channels, before the process starts.
pub struct Channels {
    /// Descriptors the child inherits (after the sockets), kept open until it is spawned.
    pub child_fds: Vec<OwnedFd>,
    /// Variables telling the child where its channels are.
    pub env: BTreeMap<String, String>,
    ipc: Option<UnixStream>,
    notify: Option<UnixDatagram>,
}

/// Whether the process runs on node (it then gets the IPC channel when useful).
pub fn runs_on_node(spec: &AppSpec) -> bool {
    spec.interpreter
        .as_deref()
        .and_then(|i| std::path::Path::new(i).file_name())
        .is_some_and(|n| n == "node" || n == "nodejs")
}

/// Opens the channels a process of `spec` needs; `first_fd` is the child's number for the
/// first inherited channel (after any sockets).
pub fn prepare(
    spec: &AppSpec,
    clustered: bool,
    first_fd: RawFd,
    name: &str,
) -> std::io::Result<Channels> {
    let mut channels = Channels {
        child_fds: Vec::new(),
        env: BTreeMap::new(),
        ipc: None,
        notify: None,
    };
    if runs_on_node(spec) && (clustered || spec.wait_ready || spec.shutdown_with_message) {
        let (ours, theirs) = UnixStream::pair()?;
        channels
            .env
            .insert("NODE_CHANNEL_FD".into(), first_fd.to_string());
        channels
            .env
            .insert("NODE_CHANNEL_SERIALIZATION_MODE".into(), "json".into());
        channels.child_fds.push(theirs.into());
        channels.ipc = Some(ours);
    }
    if spec.wait_ready {
        let address = SocketAddr::from_abstract_name(name.as_bytes())?;
        let socket = UnixDatagram::bind_addr(&address)?;
        channels
            .env
            .insert("NOTIFY_SOCKET".into(), format!("@{name}"));
        channels.notify = Some(socket);
    }
    Ok(channels)
}

impl Channels {
    /// Raw numbers of the inherited descriptors, in order.
    pub fn raw_fds(&self) -> Vec<RawFd> {
        self.child_fds.iter().map(|fd| fd.as_raw_fd()).collect()
    }

    /// Starts listening for readiness of generation `generation`; returns the writer for
    /// messages to the process (IPC), if any. `listening_is_ready`: a process that is not
    /// `wait_ready` is ready once its server listens.
    pub fn watch(
        self,
        generation: u64,
        actor: ActorRef<ProcMsg>,
        listening_is_ready: bool,
    ) -> Option<OwnedWriteHalf> {
        drop(self.child_fds);
        let mut writer = None;
        if let Some(ipc) = self.ipc.and_then(|s| {
            s.set_nonblocking(true).ok()?;
            tokio::net::UnixStream::from_std(s).ok()
        }) {
            let (read, write) = ipc.into_split();
            writer = Some(write);
            let actor = actor.clone();
            // Reads this process's IPC channel until it closes (the process ended): one per
            // process, reporting by message to the current incarnation.
            tokio::spawn(async move {
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some((port, host)) = super::share::bind_request(&line) {
                        let _ = actor.cast(ProcMsg::BindPort {
                            generation,
                            port,
                            host,
                        });
                    }
                    if let Some((port, fd)) = listening_socket(&line) {
                        let _ = actor.cast(ProcMsg::Listening {
                            generation,
                            port,
                            fd,
                        });
                    }
                    if is_ready(&line, listening_is_ready) {
                        let _ = actor.cast(ProcMsg::Ready(generation));
                    }
                }
            });
        }
        if let Some(notify) = self.notify.and_then(|s| {
            s.set_nonblocking(true).ok()?;
            tokio::net::UnixDatagram::from_std(s).ok()
        }) {
            // Reads this process's sd_notify socket until the process ends, reporting by message.
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                while let Ok(n) = notify.recv(&mut buffer).await {
                    let text = String::from_utf8_lossy(&buffer[..n]);
                    if text.lines().any(|l| l.trim() == "READY=1") {
                        let _ = actor.cast(ProcMsg::Ready(generation));
                        return;
                    }
                }
            });
        }
        writer
    }
}

/// Whether one IPC line means ready: `"ready"` always, a listening notice unless the app
/// promised to say ready itself.
fn is_ready(line: &str, listening_is_ready: bool) -> bool {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::String(s)) => s == "ready",
        Ok(value) => listening_is_ready && value["type"] == "pm2:listening",
        Err(_) => false,
    }
}

/// The port and descriptor of a `pm2:listening` notice from the preload.
fn listening_socket(line: &str) -> Option<(u16, i32)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value["type"] != "pm2:listening" {
        return None;
    }
    let port = u16::try_from(value["port"].as_u64()?).ok()?;
    let fd = i32::try_from(value["fd"].as_i64()?).ok()?;
    Some((port, fd))
}

/// Sends PM2's `shutdown` message over the IPC channel.
pub async fn send_shutdown(writer: &mut OwnedWriteHalf) -> bool {
    writer.write_all(b"\"shutdown\"\n").await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines() {
        assert!(is_ready("\"ready\"", false));
        assert!(is_ready(r#"{"type":"pm2:listening","port":3000}"#, true));
        assert!(!is_ready(r#"{"type":"pm2:listening","port":3000}"#, false));
        assert!(!is_ready("garbage", true));
        assert!(!is_ready("\"other\"", true));
    }

    #[test]
    fn listening_notices_carry_the_socket() {
        assert_eq!(
            listening_socket(r#"{"type":"pm2:listening","port":3000,"fd":21}"#),
            Some((3000, 21))
        );
        assert_eq!(
            listening_socket(r#"{"type":"pm2:listening","port":3000}"#),
            None
        );
        assert_eq!(listening_socket("\"ready\""), None);
    }
}
