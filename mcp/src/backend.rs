//! Where the processes live: in a daemon (`PM2_MCP_NO_DAEMON=false`: the usual `pm2`
//! daemon, started on demand) or in this server (`PM2_MCP_NO_DAEMON=true`, PM2's default for
//! its MCP server: the actor tree is hosted here and no daemon is spawned).
//!
//! Either way every request travels the same path, a framed message on
//! `$PM2_HOME/rpc.sock` into the root actor, so the tools never reach into the tree and
//! `pm2 ls` from a shell sees what the agent started.

use std::sync::{Arc, PoisonError};

use pm2_protocol::{Home, Request, Response};
use pm2_runtime::embedded::Embedded;
use tokio::sync::Mutex;

use crate::client::{self, Client};
use crate::log;

/// Idle connections kept for the next requests (each costs one socket in the daemon).
const POOL_SIZE: usize = 4;

/// The way to the tree, shared by every session of the server.
#[derive(Clone)]
pub struct Backend {
    home: Home,
    hosted: Option<Arc<Mutex<Option<Embedded>>>>,
    /// Connections that answered their last request, reused to skip connect and handshake.
    idle: Arc<std::sync::Mutex<Vec<Client>>>,
}

impl Backend {
    /// A backend on `home`; `in_process` hosts the tree here (lazily, on the first request).
    pub fn new(home: Home, in_process: bool) -> Backend {
        Backend {
            home,
            hosted: in_process.then(|| Arc::new(Mutex::new(None))),
            idle: Arc::default(),
        }
    }

    /// The home served.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// Opens a conversation with the tree, hosting or starting it when needed.
    pub async fn connect(&self) -> Result<Client, String> {
        if let Some(hosted) = &self.hosted {
            self.host(hosted).await?;
            return client::connect(&self.home, false)
                .await?
                .ok_or_else(|| "the in-process tree is not answering".to_string());
        }
        client::connect(&self.home, true)
            .await?
            .ok_or_else(|| "the PM2 daemon is not running".to_string())
    }

    /// A conversation only when the tree already runs (for `kill`, which must not start one).
    pub async fn connect_existing(&self) -> Result<Option<Client>, String> {
        client::connect(&self.home, false).await
    }

    /// One request, one response; the tree's refusals become `Err`. A connection that
    /// answered goes back to the pool for the next request.
    pub async fn ask(&self, request: Request) -> Result<Response, String> {
        let mut client = match self.pooled() {
            Some(client) => client,
            None => self.connect().await?,
        };
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL_SIZE {
            idle.push(client);
        }
        match response {
            Response::Error(e) => Err(e.message),
            response => Ok(response),
        }
    }

    /// An idle connection whose tree is still there (hosted trees are re-hosted through
    /// `connect` once killed, so a pooled connection to a dead one is dropped here).
    fn pooled(&self) -> Option<Client> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(client) = idle.pop() {
            if client.is_open() {
                return Some(client);
            }
        }
        None
    }

    /// Stops the hosted tree and its apps (the server is exiting); a daemon is left alone.
    pub async fn shutdown(&self) {
        let Some(hosted) = &self.hosted else { return };
        if let Some(tree) = hosted.lock().await.take() {
            log::info("stopping the in-process apps");
            tree.stop().await;
        }
    }

    /// Hosts the tree unless it runs (or a daemon already answers on the socket).
    async fn host(&self, hosted: &Mutex<Option<Embedded>>) -> Result<(), String> {
        let mut slot = hosted.lock().await;
        if slot.as_ref().is_some_and(Embedded::is_running) {
            return Ok(());
        }
        if tokio::net::UnixStream::connect(self.home.socket())
            .await
            .is_ok()
        {
            log::debug("a daemon already answers on this home: using it");
            return Ok(());
        }
        let tree = Embedded::start(self.home.clone())
            .await
            .map_err(|e| format!("cannot host the process tree: {e:#}"))?;
        log::debug(&format!(
            "process tree hosted in this server on {}",
            self.home.root.display()
        ));
        if let Some(old) = slot.replace(tree) {
            old.stop().await;
        }
        Ok(())
    }
}
