//! The daemon: started by the CLI as `pm2 --daemon`, detached, serving `rpc.sock`.
//!
//! Start-up order: prepare `PM2_HOME`, log to `pm2.log`, refuse to run twice (a live socket
//! answers), bind the socket (0600), write `pm2.pid`, start the Root actor, serve until a
//! `kill` request or SIGTERM/SIGINT; then stop every app gracefully and clean up.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pm2_actors::root::RootCmd;
use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;

use crate::conf::ConfStore;
use crate::daemon_log::DaemonLog;
use crate::handover;
use crate::host::Host;
use crate::recovery;
use crate::settings;
use crate::state;
use pm2_actors::logsink::RotationPolicy;
use pm2_protocol::Home;

/// The argument that makes `pm2` run as the daemon.
pub const DAEMON_FLAG: &str = "--daemon";

/// True when this process was started as the daemon.
pub fn is_daemon_invocation() -> bool {
    std::env::args().nth(1).as_deref() == Some(DAEMON_FLAG)
}

/// The async runtime hosting the tree (two workers: the machine has two cores); `None`,
/// said on stderr, if it cannot be built.
pub(crate) fn async_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("[PM2][ERROR] cannot start the async runtime: {e}");
            None
        }
    }
}

/// Runs the daemon with `PM2_HOME` from the environment; returns the exit code.
pub fn run_from_env() -> i32 {
    let home = match Home::from_env() {
        Ok(home) => home,
        Err(e) => {
            eprintln!("[PM2][ERROR] {e}");
            return 1;
        }
    };
    let Some(runtime) = async_runtime() else {
        return 1;
    };
    match runtime.block_on(run(home)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("daemon failed: {e:#}");
            eprintln!("[PM2][ERROR] {e:#}");
            1
        }
    }
}

pub(crate) fn init_tracing(home: &Home, policy: &RotationPolicy) -> anyhow::Result<DaemonLog> {
    let log = DaemonLog::open(&home.daemon_log(), Arc::new(policy.clone()))
        .with_context(|| format!("cannot open {}", home.daemon_log().display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log.clone())
        .with_ansi(false)
        .with_target(false)
        .try_init();
    Ok(log)
}

/// The settings of `module_conf.json` and the rotation policy they give; problems are
/// returned as lines to log once logging works (they never stop the daemon).
pub(crate) fn load_settings(home: &Home) -> (ConfStore, RotationPolicy, Vec<String>) {
    let store = ConfStore::new(home.module_conf_file());
    match store.load() {
        Ok(conf) => {
            let (policy, errors) = settings::policy_of(&conf);
            let problems = errors
                .iter()
                .map(|e| format!("{e}; its default applies"))
                .collect();
            (store, policy, problems)
        }
        Err(e) => (
            store,
            RotationPolicy::default(),
            vec![format!("{e}; pm2-logrotate defaults apply")],
        ),
    }
}

/// Binds the socket, taking over a stale one left by a dead daemon.
pub(crate) async fn bind(home: &Home) -> anyhow::Result<UnixListener> {
    let path = home.socket();
    if path.exists() {
        if tokio::net::UnixStream::connect(&path).await.is_ok() {
            anyhow::bail!("a daemon is already running on {}", path.display());
        }
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot remove stale socket {}", path.display()))?;
    }
    let listener =
        UnixListener::bind(&path).with_context(|| format!("cannot bind {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))?;
    Ok(listener)
}

/// `--adopt <file>`: this daemon replaces one that handed over its processes.
fn adopt_path() -> Option<std::path::PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == handover::ADOPT_FLAG)?;
    args.get(at + 1).map(Into::into)
}

async fn run(home: Home) -> anyhow::Result<()> {
    let mut host = Host::open(home).await?;
    let home = host.home.clone();
    std::fs::write(home.pid_file(), std::process::id().to_string())
        .with_context(|| format!("cannot write {}", home.pid_file().display()))?;
    tracing::info!(
        pid = std::process::id(),
        version = pm2_protocol::VERSION,
        "daemon started"
    );
    let root = host.root.clone();

    // Started by `pm2 update`: adopt the previous daemon's processes (same pids). Else a
    // state file left behind means the previous daemon died without stopping its apps.
    let adopted = match adopt_path() {
        Some(path) => handover::adopt(&root, &path).await,
        None => false,
    };
    if !adopted {
        recovery::recover(&root, &home.root, &home.state_file()).await;
    }
    let state_file = state::StateFile::new(home.state_file());
    let kept = tokio::spawn(state::keep(root.clone(), state_file.clone()));

    let shutdown = Arc::new(Notify::new());
    let handing_over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let served = host.serve(
        shutdown.clone(),
        Some(handing_over.clone()),
        Some(state_file.clone()),
    )?;
    let mut root_handle = host.root_handle;
    let by_signal = tokio::select! {
        _ = shutdown.notified() => false,
        _ = terminate.recv() => true,
        _ = interrupt.recv() => true,
        _ = &mut root_handle => {
            served.abort();
            anyhow::bail!("the supervision tree stopped after repeated failures; see {}", home.daemon_log().display());
        }
    };
    served.abort();
    kept.abort();
    if handing_over.load(std::sync::atomic::Ordering::SeqCst) {
        // Only returns when exec failed: the state file stays, so the next command
        // recovers the apps (restarting them).
        let err = handover::exec(&home);
        anyhow::bail!("cannot hand over to the installed binary: {err}");
    }
    if by_signal {
        tracing::info!("signal received: stopping every app");
        let _ = crate::route::ask(&root, RootCmd::StopAll, crate::route::TREE_DEADLINE).await;
    }
    root.stop(pm2_actors::supervision::StopReason::Shutdown.reason());
    let _ = tokio::time::timeout(Duration::from_secs(10), root_handle).await;
    // A clean exit: every app was stopped, nothing to recover.
    let _ = std::fs::remove_file(home.state_file());
    let _ = std::fs::remove_file(pm2_protocol::dump::backup_of(&home.state_file()));
    let _ = std::fs::remove_file(home.socket());
    let _ = std::fs::remove_file(home.pid_file());
    tracing::info!("daemon stopped");
    Ok(())
}
