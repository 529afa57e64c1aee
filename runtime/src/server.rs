//! The control socket: one task per connection, frames in, root requests, frames out.
//!
//! The first frame must be a [`Hello`] of our protocol version. A malformed or oversized
//! frame gets one error response and that connection is closed; nothing a client sends can
//! reach another connection or panic the daemon.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use pm2_actors::root::RootMsg;
use pm2_protocol::{
    ClientFrame, FrameCodec, Request, Response, ServerFrame, Welcome, PROTOCOL_VERSION,
};
use ractor::ActorRef;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;
use tokio_util::codec::Framed;

type Connection = Framed<UnixStream, FrameCodec<ClientFrame, ServerFrame>>;

/// Accepts connections until `shutdown` is notified.
pub async fn serve(listener: UnixListener, root: ActorRef<RootMsg>, shutdown: Arc<Notify>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let root = root.clone();
                    let shutdown = shutdown.clone();
                    tokio::spawn(async move { connection(stream, root, shutdown).await });
                }
                Err(e) => tracing::warn!("accept failed: {e}"),
            },
            _ = shutdown.notified() => return,
        }
    }
}

/// Words for a peer of another protocol version.
pub fn version_mismatch(daemon: u32, client: u32) -> String {
    format!(
        "protocol mismatch: the running daemon speaks v{daemon} and this client v{client}; \
         run `pm2 update` to restart the daemon with this version, or `pm2 kill`"
    )
}

async fn connection(stream: UnixStream, root: ActorRef<RootMsg>, shutdown: Arc<Notify>) {
    let mut framed = Framed::new(stream, FrameCodec::<ClientFrame, ServerFrame>::new());
    let hello = match framed.next().await {
        Some(Ok(ClientFrame::Hello(hello))) => hello,
        Some(Ok(ClientFrame::Request(_))) => {
            refuse(&mut framed, "expected a hello frame first".into()).await;
            return;
        }
        Some(Err(e)) => {
            refuse(&mut framed, e.to_string()).await;
            return;
        }
        None => return,
    };
    let welcome = Welcome {
        protocol: PROTOCOL_VERSION,
        version: pm2_protocol::VERSION.into(),
        pid: std::process::id(),
    };
    if framed.send(ServerFrame::Welcome(welcome)).await.is_err() {
        return;
    }
    if hello.protocol != PROTOCOL_VERSION {
        refuse(
            &mut framed,
            version_mismatch(PROTOCOL_VERSION, hello.protocol),
        )
        .await;
        return;
    }
    while let Some(frame) = framed.next().await {
        let request = match frame {
            Ok(ClientFrame::Request(request)) => request,
            Ok(ClientFrame::Hello(_)) => {
                refuse(&mut framed, "unexpected second hello".into()).await;
                return;
            }
            Err(e) => {
                tracing::warn!("bad frame from a client: {e}");
                refuse(&mut framed, e.to_string()).await;
                return;
            }
        };
        let is_kill = matches!(request, Request::Kill);
        let response = ask_root(&root, request).await;
        let sent = framed.send(ServerFrame::Response(response)).await;
        if is_kill {
            shutdown.notify_waiters();
            shutdown.notify_one();
            return;
        }
        if sent.is_err() {
            return;
        }
    }
}

async fn ask_root(root: &ActorRef<RootMsg>, request: Request) -> Response {
    match ractor::call!(root, RootMsg::Request, request) {
        Ok(response) => response,
        Err(e) => Response::Error(format!("daemon is not answering: {e}")),
    }
}

async fn refuse(framed: &mut Connection, message: String) {
    let _ = framed
        .send(ServerFrame::Response(Response::Error(message)))
        .await;
}
