//! The control socket: one task per connection, frames in, each request routed once
//! ([`crate::route`]), frames out.
//!
//! The first frame must be a [`Hello`] of our protocol version. A malformed or oversized
//! frame gets one error response and that connection is closed; nothing a client sends can
//! reach another connection or panic the daemon.

mod table;

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use pm2_actors::logsink::LineFilter;
use pm2_actors::root::{RootCmd, RootMsg};
use pm2_protocol::{
    ClientFrame, Event, FrameCodec, Response, ServerFrame, Target, Welcome, PROTOCOL_VERSION,
};
use ractor::ActorRef;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, Notify};
use tokio_util::codec::Framed;

use crate::daemon_log::DaemonLog;
use crate::route::{ask, response, route, Route, TREE_DEADLINE};

/// Longest wait for Root to describe the processes for a successor, or to open a feed.
const EXPORT_WAIT_MS: u64 = 30_000;
use crate::settings::Settings;

/// A client's connection, once framed.
pub(crate) type Connection = Framed<UnixStream, FrameCodec<ClientFrame, ServerFrame>>;

/// What every connection needs from the daemon.
#[derive(Clone)]
pub struct Served {
    /// The tree's entry point.
    pub root: ActorRef<RootMsg>,
    /// Notified when a client asked the daemon to exit.
    pub shutdown: Arc<Notify>,
    /// The daemon's own log (`pm2 flush` empties it).
    pub daemon_log: DaemonLog,
    /// `pm2 set/get/unset`.
    pub settings: Settings,
    /// Where a hand-over is written; set in `handing_over` when the daemon must re-execute.
    pub handover_file: std::path::PathBuf,
    /// Set once a hand-over was written: the daemon re-executes instead of stopping apps.
    /// `None` where re-executing is not possible (`pm2-runtime`).
    pub handing_over: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The daemon's state file: a command that changes the process list is written there
    /// before it is answered. `None` where nothing outlives the host.
    pub state: Option<Arc<crate::state::StateFile>>,
}

/// Accepts connections until `shutdown` is notified.
pub async fn serve(listener: UnixListener, served: Served) {
    let shutdown = served.shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let served = served.clone();
                    tokio::spawn(async move { connection(stream, served).await });
                }
                Err(e) => {
                    // Out of descriptors (EMFILE) lasts a while: back off, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
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

async fn connection(stream: UnixStream, served: Served) {
    let Served {
        root,
        shutdown,
        daemon_log,
        settings,
        handover_file,
        handing_over,
        state,
    } = served;
    let mut framed = Framed::new(stream, FrameCodec::<ClientFrame, ServerFrame>::new());
    let hello = match framed.next().await {
        Some(Ok(ClientFrame::Hello(hello))) => hello,
        Some(Ok(ClientFrame::Request(_) | ClientFrame::ThenList(_))) => {
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
        let (request, then_list) = match frame {
            Ok(ClientFrame::Request(request)) => (request, false),
            Ok(ClientFrame::ThenList(request)) => (request, true),
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
        // One line per request at debug level (`RUST_LOG=pm2::requests=debug`): what a
        // command costs in round trips can be read from pm2.log.
        let label = crate::route::label(&request);
        let with = if then_list { " then list" } else { "" };
        tracing::debug!(target: "pm2::requests", "request {label}{with}");
        match route(request, then_list) {
            Route::FollowLogs(targets) => return follow(framed, &root, &targets).await,
            Route::FollowTable => return table::follow(framed, &root).await,
            Route::Update => {
                let Some(handing_over) = &handing_over else {
                    let refusal = "this host cannot be updated in place: restart it instead".into();
                    refuse(&mut framed, refusal).await;
                    return;
                };
                let response = hand_over(&root, &handover_file).await;
                let ok = response == Response::Ok;
                let _ = framed.send(ServerFrame::Response(response)).await;
                if ok {
                    handing_over.store(true, std::sync::atomic::Ordering::SeqCst);
                    shutdown.notify_waiters();
                    shutdown.notify_one();
                }
                return;
            }
            Route::Kill => {
                let stopped = ask(&root, RootCmd::StopAll, TREE_DEADLINE).await;
                let _ = framed.send(ServerFrame::Response(response(stopped))).await;
                shutdown.notify_waiters();
                shutdown.notify_one();
                return;
            }
            Route::Settings(request) => {
                let answer = settings
                    .answer(&request)
                    .await
                    .unwrap_or_else(|| Response::error("internal: not a settings request"));
                if framed.send(ServerFrame::Response(answer)).await.is_err() {
                    return;
                }
            }
            Route::Answer(answer) => {
                if framed.send(ServerFrame::Response(answer)).await.is_err() {
                    return;
                }
            }
            Route::Tree { command, then_list } => {
                let flush_all =
                    matches!(&command, RootCmd::Flush { targets } if targets.is_empty());
                let answer =
                    crate::route::answer(&root, command, then_list, state.as_deref()).await;
                if flush_all && !matches!(answer, Response::Error(_)) {
                    // `pm2 flush` without a name empties the daemon's own log too, as PM2 does.
                    if let Err(e) = daemon_log.truncate() {
                        tracing::warn!("cannot flush pm2.log: {e}");
                    }
                }
                if framed.send(ServerFrame::Response(answer)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Writes what the next daemon needs to adopt every process (`pm2 update`).
async fn hand_over(root: &ActorRef<RootMsg>, path: &std::path::Path) -> Response {
    let handover = match ractor::call_t!(root, RootMsg::Export, EXPORT_WAIT_MS) {
        Ok(handover) => handover,
        Err(e) => {
            return Response::Error(pm2_protocol::Failure::new(
                pm2_protocol::FailureKind::Unavailable,
                format!("daemon is not answering: {e}"),
            ))
        }
    };
    let text = match serde_json::to_vec(&handover) {
        Ok(text) => text,
        Err(e) => return Response::error(format!("cannot describe the processes: {e}")),
    };
    match std::fs::write(path, text) {
        Ok(()) => {
            tracing::info!(
                processes = handover.processes.len(),
                "handing over to the installed binary"
            );
            Response::Ok
        }
        Err(e) => Response::error(format!("cannot write {}: {e}", path.display())),
    }
}

/// Streams followed lines to the client until it hangs up. A client that cannot keep up
/// is told how many lines it missed; nothing waits for it.
async fn follow(mut framed: Connection, root: &ActorRef<RootMsg>, targets: &[Target]) {
    let filter = match LineFilter::new(targets) {
        Ok(filter) => filter,
        Err(e) => return refuse(&mut framed, e).await,
    };
    let mut lines = match ractor::call_t!(root, RootMsg::SubscribeLogs, EXPORT_WAIT_MS) {
        Ok(rx) => rx,
        Err(e) => return refuse(&mut framed, format!("daemon is not answering: {e}")).await,
    };
    if framed
        .send(ServerFrame::Response(Response::Ok))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            received = lines.recv() => {
                let event = match received {
                    Ok(line) if filter.matches(&line) => Event::Log((*line).clone()),
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(missed)) => Event::Missed(missed),
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if framed.send(ServerFrame::Event(event)).await.is_err() {
                    return;
                }
            }
            incoming = framed.next() => {
                if !matches!(incoming, Some(Ok(_))) {
                    return;
                }
            }
        }
    }
}

/// Answers with an error (the connection is then closed by the caller).
pub(crate) async fn refuse(framed: &mut Connection, message: String) {
    let _ = framed
        .send(ServerFrame::Response(Response::error(message)))
        .await;
}
