//! Foreground mode for `pm2-runtime` (containers): the same tree and control socket as the
//! daemon, in the foreground, with the apps' output on our stdout/stderr.
//!
//! As PID 1 (or as a child subreaper otherwise) it reaps every orphan that is re-parented to
//! it, leaving its own apps to the waiters that manage them. SIGTERM/SIGINT stop every app
//! gracefully and exit 0; a second signal forces. When every app has stopped for good it
//! exits non-zero, unless told not to.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pm2_actors::root::{RootCmd, RootMsg};
use pm2_protocol::procfs::Stat;
use pm2_protocol::{AppSpec, Home, LogLine, Status};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{broadcast, Notify};

use crate::daemon::async_runtime;
use crate::host::Host;
use crate::route::{ask, processes, TREE_DEADLINE};

/// How often the runtime checks whether any app is left to run.
const AUTO_EXIT_EVERY: Duration = Duration::from_millis(250);
/// Longest wait for the process list (the registry answers from memory).
const LIST_WAIT: Duration = Duration::from_secs(5);

/// What `pm2-runtime` was asked to run, resolved by the frontend.
pub struct Options {
    /// The apps.
    pub apps: Vec<AppSpec>,
    /// Exit (non-zero) once every app has stopped for good.
    pub auto_exit: bool,
}

/// Runs the apps in the foreground until a signal, or until none is left; returns the exit
/// code. `print` receives every line the apps write.
pub fn run(home: Home, options: Options, print: impl FnMut(&LogLine) + Send + 'static) -> i32 {
    let Some(runtime) = async_runtime() else {
        return 1;
    };
    match runtime.block_on(host(home, options, print)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("[PM2][ERROR] {e:#}");
            1
        }
    }
}

async fn host(
    home: Home,
    options: Options,
    mut print: impl FnMut(&LogLine) + Send + 'static,
) -> anyhow::Result<i32> {
    become_subreaper();
    let mut host = Host::open(home).await?;
    let home = host.home.clone();
    let root = host.root.clone();
    let mut lines =
        ractor::call_t!(root, RootMsg::SubscribeLogs, 30_000).context("tree not answering")?;
    let shutdown = Arc::new(Notify::new());
    let served = host.serve(shutdown.clone(), None, None)?;
    let start = RootCmd::Start {
        apps: options.apps,
        force: true,
        existing: None,
    };
    if let Err(e) = ask(&root, start, TREE_DEADLINE).await {
        anyhow::bail!(e);
    }

    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut child_exits = signal(SignalKind::child())?;
    let mut tick = tokio::time::interval(AUTO_EXIT_EVERY);
    let code = loop {
        tokio::select! {
            received = lines.recv() => match received {
                Ok(line) => print(&line),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("[PM2][WARN] {n} lines were not shown: the output fell behind the apps");
                }
                Err(broadcast::error::RecvError::Closed) => break 1,
            },
            _ = terminate.recv() => break stop_all(&root, &mut terminate, &mut interrupt).await,
            _ = interrupt.recv() => break stop_all(&root, &mut terminate, &mut interrupt).await,
            _ = shutdown.notified() => break 0,
            _ = child_exits.recv() => reap_orphans(&root).await,
            _ = tick.tick() => {
                if options.auto_exit && all_stopped_for_good(&root).await {
                    eprintln!("[PM2] every app has stopped: exiting");
                    break 1;
                }
            }
        }
    };
    // The last lines the apps wrote while stopping.
    let drain_until = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Ok(line)) = tokio::time::timeout_at(drain_until, lines.recv()).await {
        print(&line);
    }
    served.abort();
    root.stop(pm2_actors::supervision::StopReason::Shutdown.reason());
    let _ = std::fs::remove_file(home.socket());
    let _ = std::fs::remove_file(home.state_file());
    Ok(code)
}

/// Stops every app gracefully (kill_timeout honoured); a second signal meanwhile forces.
async fn stop_all(
    root: &ractor::ActorRef<RootMsg>,
    terminate: &mut tokio::signal::unix::Signal,
    interrupt: &mut tokio::signal::unix::Signal,
) -> i32 {
    eprintln!("[PM2] stopping every app");
    let tree = root.clone();
    let stopping = tokio::spawn(async move { ask(&tree, RootCmd::StopAll, TREE_DEADLINE).await });
    tokio::select! {
        _ = stopping => 0,
        _ = terminate.recv() => force(root).await,
        _ = interrupt.recv() => force(root).await,
    }
}

/// A second signal: SIGKILL every process group now.
async fn force(root: &ractor::ActorRef<RootMsg>) -> i32 {
    eprintln!("[PM2] second signal: killing every app");
    if let Ok(list) = processes(root, RootCmd::List { brief: true }, LIST_WAIT).await {
        for pid in list.iter().filter_map(|p| p.pid) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    1
}

async fn all_stopped_for_good(root: &ractor::ActorRef<RootMsg>) -> bool {
    match processes(root, RootCmd::List { brief: true }, LIST_WAIT).await {
        Ok(list) => list
            .iter()
            .all(|p| matches!(p.status, Status::Stopped | Status::Errored)),
        Err(_) => false,
    }
}

/// Makes this process the reaper of its descendants' orphans when it is not PID 1.
fn become_subreaper() {
    if std::process::id() != 1 {
        // SAFETY: prctl with plain integer arguments.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    }
}

/// Reaps zombie children that are not managed apps (orphans re-parented to us); managed
/// ones are left to the waiters that report their exit.
async fn reap_orphans(root: &ractor::ActorRef<RootMsg>) {
    let managed: Vec<u32> = match processes(root, RootCmd::List { brief: true }, LIST_WAIT).await {
        Ok(list) => list.iter().filter_map(|p| p.pid).collect(),
        Err(_) => return,
    };
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if managed.contains(&pid) {
            continue;
        }
        let Some(stat) = Stat::read(pid) else {
            continue;
        };
        if stat.is_zombie() && stat.ppid == me {
            let mut status = 0;
            // SAFETY: reaps one of our own zombie children.
            unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
        }
    }
}
