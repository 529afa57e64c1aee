//! Sharing a port known only to the app's code among cluster instances that all start at
//! once, as Node's cluster module does: the preload asks (`{"type":"pm2:bind","port":N}`
//! over the IPC channel) instead of binding; the daemon binds the port once for the app and
//! hands each asking instance the listening socket as a Node handle (a `NODE_HANDLE`
//! message of type `net.Native` with the descriptor attached, which Node turns into the
//! handle its `server.listen(handle)` takes). Restarts then inherit the socket at spawn.

use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use tokio::net::unix::OwnedWriteHalf;

use super::ProcState;
use crate::balancer::Sockets;

/// The port (and address, when the app gave one) of a `pm2:bind` request from the preload.
pub(super) fn bind_request(line: &str) -> Option<(u16, Option<String>)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value["type"] != "pm2:bind" {
        return None;
    }
    let port = u16::try_from(value["port"].as_u64()?)
        .ok()
        .filter(|&p| p > 0)?;
    let host = value["host"]
        .as_str()
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    Some((port, host))
}

/// Binds `port` as Node would for `listen(port[, host])`: on `host`, else on every
/// interface (IPv6 and IPv4 when the machine has IPv6).
fn bind(port: u16, host: Option<&str>) -> std::io::Result<TcpListener> {
    match host {
        Some(host) => TcpListener::bind((host, port)),
        None => TcpListener::bind(("::", port)).or_else(|_| TcpListener::bind(("0.0.0.0", port))),
    }
}

impl ProcState {
    /// Answers a `pm2:bind` request of the process of `generation`: the app's shared socket
    /// for that port (bound now by the first instance to ask), or a refusal naming the cause,
    /// on which the preload lets the app bind (and meet the error) itself.
    pub(super) async fn share_port(&mut self, generation: u64, port: u16, host: Option<String>) {
        let socket = {
            let record = self.args.store.lock();
            if record
                .life
                .process()
                .is_none_or(|p| p.generation != generation)
            {
                return;
            }
            let Some(cell) = record.sockets.clone() else {
                return;
            };
            if cell.get().is_none() {
                match bind(port, host.as_deref()) {
                    Ok(listener) => {
                        let sockets = Sockets::adopt(port, listener, record.spec.instances);
                        if cell.set(Arc::new(sockets)).is_ok() {
                            tracing::info!(
                                name = %record.spec.name, port,
                                "bound the port the app asked for: its instances share it"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(name = %record.spec.name, port, "cannot bind: {e}"),
                }
            }
            cell.get()
                .and_then(|s| s.hand_over().into_iter().find(|&(p, _)| p == port))
                .map(|(_, fd)| fd)
        };
        let Some(writer) = self.ipc.get_mut(&generation) else {
            return;
        };
        let sent = match socket {
            Some(fd) => send_handle(writer, port, fd).await,
            None => {
                let line = format!("{{\"type\":\"pm2:bind-refused\",\"port\":{port}}}\n");
                tokio::io::AsyncWriteExt::write_all(writer, line.as_bytes()).await
            }
        };
        if let Err(e) = sent {
            tracing::warn!(
                port,
                "cannot answer the instance's request for its port: {e}"
            );
        }
    }
}

/// Writes Node's handle message for `fd` on the IPC channel, the descriptor attached.
async fn send_handle(writer: &mut OwnedWriteHalf, port: u16, fd: RawFd) -> std::io::Result<()> {
    let message = format!(
        "{{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{{\"type\":\"pm2:socket\",\"port\":{port}}}}}\n"
    );
    let stream = writer.as_ref();
    loop {
        stream.writable().await?;
        match stream.try_io(tokio::io::Interest::WRITABLE, || {
            send_with_fd(stream.as_raw_fd(), message.as_bytes(), fd)
        }) {
            Ok(n) if n == message.len() => return Ok(()),
            Ok(n) => {
                // The descriptor went with the first bytes; the rest is plain data.
                return tokio::io::AsyncWriteExt::write_all(writer, &message.as_bytes()[n..]).await;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `sendmsg` of `bytes` with `fd` as SCM_RIGHTS ancillary data; bytes written.
fn send_with_fd(socket: RawFd, bytes: &[u8], fd: RawFd) -> std::io::Result<usize> {
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: a zeroed msghdr is a valid empty header; every pointer set below outlives the
    // sendmsg call, and the control buffer is CMSG_SPACE bytes for one descriptor.
    unsafe {
        let mut header: libc::msghdr = std::mem::zeroed();
        header.msg_iov = &mut iov;
        header.msg_iovlen = 1;
        header.msg_control = control.as_mut_ptr() as *mut libc::c_void;
        header.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&header);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut RawFd, fd);
        let sent = libc::sendmsg(socket, &header, libc::MSG_NOSIGNAL);
        if sent < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(sent as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_requests_from_the_preload() {
        assert_eq!(
            bind_request(r#"{"type":"pm2:bind","port":3000}"#),
            Some((3000, None))
        );
        assert_eq!(
            bind_request(r#"{"type":"pm2:bind","port":80,"host":"127.0.0.1"}"#),
            Some((80, Some("127.0.0.1".into())))
        );
        assert_eq!(bind_request(r#"{"type":"pm2:bind","port":0}"#), None);
        assert_eq!(bind_request(r#"{"type":"pm2:listening","port":1}"#), None);
        assert_eq!(bind_request("\"ready\""), None);
    }

    #[test]
    fn a_descriptor_crosses_a_unix_socket_with_its_message() {
        use std::io::Read;
        let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sent = send_with_fd(ours.as_raw_fd(), b"hello\n", listener.as_raw_fd()).unwrap();
        assert_eq!(sent, 6);
        let mut text = [0u8; 6];
        theirs.read_exact(&mut text).unwrap();
        assert_eq!(&text, b"hello\n");
    }
}
