//! The Prometheus endpoint (`pm2 set pm2:prometheus_port 9209`): `GET /metrics` on
//! `127.0.0.1:<port>`, the process list in the text exposition format.
//!
//! It lives in the runtime because it is a socket; it asks Root for the list like any
//! frontend, only when scraped, so it costs nothing between scrapes. Loopback only: the
//! figures name every app, and a scraper elsewhere can reach it through its own proxy.
//! [`Exporter::set_port`] binds at once (so `pm2 set` can say when the port is taken),
//! replaces the previous listener, and `None` or 0 stops serving.

mod exposition;
mod http;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use pm2_actors::root::RootMsg;
use ractor::ActorRef;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Why the endpoint cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum ExporterError {
    /// The port is taken or not allowed.
    #[error("cannot serve metrics on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// What the system said.
        source: std::io::Error,
    },
}

/// The endpoint's handle; clones share it, and the listener closes with the last one.
#[derive(Clone)]
pub struct Exporter {
    root: ActorRef<RootMsg>,
    runtime: Handle,
    current: Arc<Mutex<Serving>>,
}

/// The port served and its task.
#[derive(Default)]
struct Serving {
    port: Option<u16>,
    task: Option<JoinHandle<()>>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Exporter {
    /// An endpoint for `root`'s processes, not serving yet. Must be called within the
    /// async runtime, which serves it.
    pub fn new(root: ActorRef<RootMsg>) -> Exporter {
        Exporter {
            root,
            runtime: Handle::current(),
            current: Arc::default(),
        }
    }

    /// Serves on `127.0.0.1:port`; `None` or 0 stops serving. The port served already is
    /// kept as is; another one is bound before the old one is closed, so a port that
    /// cannot be bound leaves the endpoint as it was.
    pub fn set_port(&self, port: Option<u16>) -> Result<(), ExporterError> {
        let port = port.filter(|&p| p != 0);
        let mut current = self.lock();
        if current.port == port {
            return Ok(());
        }
        let task = match port {
            Some(port) => Some(self.bind(port)?),
            None => None,
        };
        if let Some(old) = std::mem::replace(&mut current.task, task) {
            old.abort();
        }
        current.port = port;
        match port {
            Some(port) => tracing::info!(port, "serving Prometheus metrics on 127.0.0.1"),
            None => tracing::info!("Prometheus metrics no longer served"),
        }
        Ok(())
    }

    fn bind(&self, port: u16) -> Result<JoinHandle<()>, ExporterError> {
        let failed = |source| ExporterError::Bind { port, source };
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = std::net::TcpListener::bind(address).map_err(failed)?;
        listener.set_nonblocking(true).map_err(failed)?;
        let _entered = self.runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener).map_err(failed)?;
        Ok(self.runtime.spawn(http::serve(listener, self.root.clone())))
    }

    fn lock(&self) -> MutexGuard<'_, Serving> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}
