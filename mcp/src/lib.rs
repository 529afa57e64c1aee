//! The `pm2-mcp` server: PM2's MCP tools and resources for AI agents, on rmcp, over stdio or
//! streamable HTTP.
//!
//! ```text
//! agent ──MCP──> transport (stdio | http.rs) ──> server.rs / tools.rs ──> backend.rs
//!                                                                           │ frames on
//!                                         in-process tree or pm2 daemon <───┘ rpc.sock
//! ```
//!
//! The server is a frontend like the CLI: every tool call is a request on the control
//! socket. With `PM2_MCP_NO_DAEMON=true` (the default, as PM2's) it hosts the tree itself
//! and serves that socket, so `pm2 ls` elsewhere sees what the agent started.
#![warn(missing_docs)]

mod args;
mod backend;
mod client;
mod config;
mod home;
mod http;
mod log;
mod logs;
mod register;
mod resources;
mod server;
mod start;
mod tools;
mod views;

use std::sync::Arc;

use rmcp::ServiceExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use backend::Backend;
use config::{Config, LoadError, Transport};
use home::HomeChoice;
pub use server::Pm2Mcp;

/// Entry point of `pm2-mcp`; returns the process exit code.
pub fn main_entry() -> i32 {
    one_malloc_arena();
    let env = |name: &str| std::env::var(name).ok();
    let config = match Config::load(std::env::args_os(), &env) {
        Ok(config) => config,
        Err(LoadError::Usage(e)) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
        Err(e) => {
            log::error(&e.to_string());
            return 1;
        }
    };
    log::init(config.silent, config.debug);
    let choice = match home::choose(&env) {
        Ok(choice) => choice,
        Err(e) => {
            log::error(&e);
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            log::error(&format!("cannot start the runtime: {e}"));
            return 1;
        }
    };
    match runtime.block_on(run(config, choice)) {
        Ok(()) => 0,
        Err(e) => {
            log::error(&e);
            1
        }
    }
}

/// glibc gives every thread that allocates its own arena; this server allocates little, so
/// one arena is enough and keeps its resident memory about a megabyte smaller.
fn one_malloc_arena() {
    #[cfg(target_env = "gnu")]
    // SAFETY: called first in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

async fn run(config: Config, choice: HomeChoice) -> Result<(), String> {
    let warning: Option<Arc<str>> = choice.warning().map(Arc::from);
    if let Some(warning) = &warning {
        log::info(warning);
    }
    if let Some(name) = &config.register_as {
        let line = register::register(&config, name, &choice.home).await?;
        println!("{line}");
        return Ok(());
    }
    log::debug(&format!(
        "PM2_HOME {}, {}",
        choice.home.root.display(),
        if config.no_daemon {
            "tree hosted in this server"
        } else {
            "daemon mode"
        }
    ));
    let backend = Backend::new(choice.home, config.no_daemon);
    let stop = CancellationToken::new();
    watch_signals(stop.clone())?;
    let served = match config.transport {
        Transport::Stdio => serve_stdio(backend.clone(), warning, stop).await,
        Transport::Http => http::serve(&config, backend.clone(), warning, stop).await,
    };
    backend.shutdown().await;
    served
}

/// SIGTERM and SIGINT end the server (and stop the apps it hosts).
fn watch_signals(stop: CancellationToken) -> Result<(), String> {
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot watch SIGINT: {e}"))?;
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        log::debug("signal received: shutting down");
        stop.cancel();
    });
    Ok(())
}

/// One session on stdin/stdout, until the client closes stdin or a signal arrives.
async fn serve_stdio(
    backend: Backend,
    warning: Option<Arc<str>>,
    stop: CancellationToken,
) -> Result<(), String> {
    let service = Pm2Mcp::new(backend, warning)
        .serve_with_ct(rmcp::transport::stdio(), stop.child_token())
        .await
        .map_err(|e| format!("MCP handshake failed: {e}"))?;
    service
        .waiting()
        .await
        .map_err(|e| format!("MCP session ended abnormally: {e}"))?;
    Ok(())
}
