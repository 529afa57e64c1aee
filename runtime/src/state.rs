//! Surviving the daemon's own crash: the process list is kept in `state.pm2` while the
//! daemon runs; a daemon that finds it at start-up knows its predecessor died.
//!
//! Recovery stops the orphans the dead daemon left (each recognised by pid *and* start
//! time, so a reused pid is never touched), then starts the apps again with their ids, so
//! nothing runs twice and no port or file stays held by a process nobody manages.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use pm2_actors::root::{RootCmd, RootMsg};
use pm2_protocol::dump::Dump;
use pm2_protocol::procfs::{self, Stat};
use pm2_protocol::ProcessInfo;
use ractor::ActorRef;

use crate::route::{processes, TREE_DEADLINE};

/// The shortest time between two looks at the list: a process that restarts in a loop
/// changes its row many times a second, the state file needs only the latest.
pub const KEEP_EVERY: Duration = Duration::from_secs(1);

/// Longest wait for the table's revision, fingerprint or rows (answered from memory).
const TREE_WAIT: Duration = Duration::from_secs(5);
/// [`TREE_WAIT`] for ractor's `call_t!`.
const TREE_WAIT_MS: u64 = 5_000;

/// How long orphans get to stop after SIGTERM before SIGKILL.
const ORPHAN_GRACE: Duration = Duration::from_secs(3);

/// Keeps `path` up to date with the process list until the task is dropped.
///
/// It sleeps until a row changes (the table's revision), then compares the fingerprint
/// (which processes exist, their pids and restart counts; a spec only changes with a
/// (re)start, which changes those) and fetches the whole list, every spec and environment
/// cloned, only when that changed. An idle daemon does nothing here: asking each second
/// was a third of its idle CPU with fifty apps.
pub async fn keep(root: ActorRef<RootMsg>, path: PathBuf) {
    let Ok(mut revisions) = ractor::call_t!(root, RootMsg::Revisions, TREE_WAIT_MS) else {
        tracing::warn!("cannot keep the state file: the tree is not answering");
        return;
    };
    let mut last = Vec::new();
    loop {
        if let Ok(fingerprint) = ractor::call_t!(root, RootMsg::Fingerprint, TREE_WAIT_MS) {
            if fingerprint != last {
                let list = RootCmd::List { brief: false };
                if let Ok(list) = processes(&root, list, TREE_WAIT).await {
                    match Dump::from_processes(&list).write(&path) {
                        Ok(()) => last = fingerprint_of(&list),
                        Err(e) => tracing::warn!("cannot keep the state file: {e}"),
                    }
                }
            }
        }
        tokio::time::sleep(KEEP_EVERY).await;
        // A change made during the write or the sleep makes this return at once.
        if revisions.changed().await.is_err() {
            return;
        }
    }
}

/// The fingerprint of the list written (it may be newer than the one that prompted it).
fn fingerprint_of(list: &[ProcessInfo]) -> Vec<(u32, Option<u32>, u32)> {
    list.iter()
        .map(|p| (p.pm_id, p.pid, p.restart_time))
        .collect()
}

/// After a crash: stops the previous daemon's orphans and starts its apps again.
pub async fn recover(root: &ActorRef<RootMsg>, path: &Path) {
    let dump = match Dump::read(path) {
        Ok(dump) => dump,
        Err(e) => {
            tracing::warn!("a state file was left by a previous daemon but cannot be read: {e}");
            return;
        }
    };
    if dump.apps.is_empty() {
        return;
    }
    let orphans: Vec<u32> = dump
        .apps
        .iter()
        .flat_map(|app| &app.running)
        .filter(|process| {
            Stat::read(process.pid).map(|stat| stat.start_ticks) == Some(process.start_ticks)
        })
        .map(|process| process.pid)
        .collect();
    // All at once: each gets its grace, the daemon waits for the slowest only.
    futures::future::join_all(orphans.iter().map(|&pid| stop_orphan(pid))).await;
    let orphans = orphans.len();
    let names: Vec<&str> = dump.apps.iter().map(|a| a.spec.name.as_str()).collect();
    tracing::warn!(
        apps = ?names, orphans_stopped = orphans,
        "the previous daemon died: recovering its apps"
    );
    let restore = RootCmd::Restore { apps: dump.apps };
    match processes(root, restore, TREE_DEADLINE).await {
        Ok(list) => tracing::info!(processes = list.len(), "recovered after a daemon crash"),
        Err(e) => tracing::error!("recovery failed: {e}"),
    }
}

/// Stops an orphaned process group: SIGTERM, then SIGKILL after a grace.
async fn stop_orphan(pid: u32) {
    let group = Pid::from_raw(pid as i32);
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + ORPHAN_GRACE;
    while procfs::running(pid) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = killpg(group, Signal::SIGKILL);
}
