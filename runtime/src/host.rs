//! What the daemon and `pm2-runtime` share: `PM2_HOME` prepared, settings loaded, tracing
//! to `pm2.log`, the control socket bound, the Root actor running, then the socket served.
//!
//! Opening and serving are two steps so the daemon can adopt or recover apps before the
//! first request is answered.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use pm2_actors::root::{Root, RootArgs, RootMsg};
use pm2_protocol::Home;
use ractor::concurrency::JoinHandle;
use ractor::{Actor, ActorRef};
use tokio::net::UnixListener;
use tokio::sync::Notify;

use crate::conf::ConfStore;
use crate::daemon::{bind, init_tracing, load_settings};
use crate::daemon_conf;
use crate::daemon_log::DaemonLog;
use crate::metrics::Exporter;
use crate::server;
use crate::settings::Settings;

/// A tree with its socket bound, not yet served.
pub struct Host {
    /// `PM2_HOME`.
    pub home: Home,
    /// The tree's entry point.
    pub root: ActorRef<RootMsg>,
    /// Ends when the tree has stopped.
    pub root_handle: JoinHandle<()>,
    /// Taken when served.
    listener: Option<UnixListener>,
    store: ConfStore,
    daemon_log: DaemonLog,
    exporter: Exporter,
}

impl Host {
    /// Prepares `PM2_HOME`, binds its socket and starts the tree.
    pub async fn open(home: Home) -> anyhow::Result<Host> {
        home.prepare()?;
        let (store, policy, problems) = load_settings(&home);
        let daemon_log = init_tracing(&home, &policy)?;
        for problem in problems {
            tracing::warn!("{problem}");
        }
        let (daemon, problems) = daemon_conf::of(&store.load().unwrap_or_default());
        for problem in problems {
            tracing::warn!("{problem}; that setting stays off");
        }
        let listener = bind(&home).await?;
        let (root, root_handle) = Actor::spawn(
            None,
            Root,
            RootArgs {
                pm2_home: home.root.clone(),
                rotation: policy,
                sysmonit: daemon.sysmonit,
            },
        )
        .await
        .context("cannot start the supervision tree")?;
        let exporter = Exporter::new(root.clone());
        if let Err(e) = exporter.set_port(daemon.prometheus_port) {
            tracing::warn!("{e}");
        }
        Ok(Host {
            home,
            root,
            root_handle,
            listener: Some(listener),
            store,
            daemon_log,
            exporter,
        })
    }

    /// Starts answering the socket. `handing_over` is set when a client asked for `pm2
    /// update` (only the daemon can re-execute; without it the request is refused).
    /// Serves the socket. `state`: the daemon's state file, written before each command
    /// that changes the process list is answered (`None` where nothing outlives the host).
    pub fn serve(
        &mut self,
        shutdown: Arc<Notify>,
        handing_over: Option<Arc<AtomicBool>>,
        state: Option<Arc<crate::state::StateFile>>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let listener = self
            .listener
            .take()
            .context("the socket is already served")?;
        Ok(tokio::spawn(server::serve(
            listener,
            server::Served {
                root: self.root.clone(),
                shutdown,
                settings: Settings::new(
                    self.store.clone(),
                    self.root.clone(),
                    self.daemon_log.clone(),
                    self.exporter.clone(),
                ),
                daemon_log: self.daemon_log.clone(),
                handover_file: self.home.handover_file(),
                handing_over,
                state,
            },
        )))
    }
}
