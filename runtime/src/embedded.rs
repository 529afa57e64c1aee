//! The tree hosted inside another program: `pm2-mcp`'s in-process mode
//! (`PM2_MCP_NO_DAEMON=true`, PM2's `noDaemonMode`).
//!
//! The host is the daemon's: `PM2_HOME` prepared, the control socket bound and served, so
//! the embedding frontend talks to the tree through the socket like every other frontend
//! and `pm2 ls` from another shell sees the same apps. No daemon is spawned; the apps live
//! as long as the embedding program (or until `pm2 kill`, after which the next
//! [`Embedded::start`] hosts a fresh tree).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pm2_actors::root::{RootCmd, RootMsg};
use pm2_protocol::Home;
use ractor::ActorRef;
use tokio::sync::Notify;

use crate::host::Host;

/// How long the tree gets to stop once every app has stopped.
const TREE_STOP_DEADLINE: Duration = Duration::from_secs(10);

/// A tree running inside this process, its socket served.
pub struct Embedded {
    root: ActorRef<RootMsg>,
    shutdown: Arc<Notify>,
    stopped: Arc<AtomicBool>,
    teardown: tokio::task::JoinHandle<()>,
}

impl Embedded {
    /// Hosts a tree on `home`. Fails when another daemon already answers on its socket.
    pub async fn start(home: Home) -> anyhow::Result<Embedded> {
        let mut host = Host::open(home).await?;
        let home = host.home.clone();
        let root = host.root.clone();
        let shutdown = Arc::new(Notify::new());
        let served = host.serve(shutdown.clone(), None, None)?;
        let stopped = Arc::new(AtomicBool::new(false));
        let root_handle = host.root_handle;
        tracing::info!(pid = std::process::id(), "tree hosted in process");
        // After `pm2 kill` (a client's Kill request: the tree has stopped every app) or
        // `stop`: take the tree down and free the socket, so a later start hosts a new one.
        let teardown = {
            let (home, root, stopped, shutdown) = (
                home.clone(),
                root.clone(),
                stopped.clone(),
                shutdown.clone(),
            );
            tokio::spawn(async move {
                shutdown.notified().await;
                served.abort();
                root.stop(pm2_actors::supervision::StopReason::Shutdown.reason());
                let _ = tokio::time::timeout(TREE_STOP_DEADLINE, root_handle).await;
                let _ = std::fs::remove_file(home.socket());
                stopped.store(true, Ordering::SeqCst);
                tracing::info!("in-process tree stopped");
            })
        };
        Ok(Embedded {
            root,
            shutdown,
            stopped,
            teardown,
        })
    }

    /// Whether the tree still runs (false after `pm2 kill`).
    pub fn is_running(&self) -> bool {
        !self.stopped.load(Ordering::SeqCst)
    }

    /// Stops every app gracefully (kill_timeout honoured), then the tree; frees the socket.
    pub async fn stop(self) {
        if !self.is_running() {
            return;
        }
        let _ = crate::route::ask(&self.root, RootCmd::StopAll, crate::route::TREE_DEADLINE).await;
        self.shutdown.notify_one();
        let _ = self.teardown.await;
    }
}
