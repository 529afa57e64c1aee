//! A daemon starting where its predecessor died (SIGKILL, OOM, power loss) leaves no orphan
//! and starts nothing twice.
//!
//! Every process the daemon starts carries its home in `PM2_HOME` and its id in `pm_id`,
//! and leads its own process group: that marker finds it even when the dead daemon never
//! wrote it down (killed between a spawn and the write). Recovery stops every marked group
//! whose parent is no longer a daemon, and those the state file lists (recognised by pid
//! *and* start time, so a reused pid is never touched); then it starts the apps the state
//! file holds again with their ids. A torn or missing state file gives way to the previous
//! good one kept beside it.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use pm2_actors::root::{RootCmd, RootMsg};
use pm2_protocol::dump::Dump;
use pm2_protocol::procfs::{self, Stat};
use ractor::ActorRef;

use crate::daemon::DAEMON_FLAG;
use crate::route::{processes, TREE_DEADLINE};

/// How long orphans get to stop after SIGTERM before SIGKILL.
const ORPHAN_GRACE: Duration = Duration::from_secs(3);

/// Stops what a dead daemon of `home` left running and starts its apps again from the
/// state file at `state`, if there is one.
pub async fn recover(root: &ActorRef<RootMsg>, home: &Path, state: &Path) {
    let saved = match Dump::read_or_backup(state) {
        Ok((dump, read)) => {
            if read != state {
                tracing::warn!(
                    "the state file is missing or torn: using {}",
                    read.display()
                );
            }
            Some(dump)
        }
        Err(_) if !state.exists() => None,
        Err(e) => {
            tracing::warn!("a state file was left by a previous daemon but cannot be read: {e}");
            None
        }
    };
    let mut orphans: BTreeSet<u32> = marked_orphans(home).into_iter().collect();
    if let Some(dump) = &saved {
        orphans.extend(
            dump.apps
                .iter()
                .flat_map(|app| &app.running)
                .filter(|p| Stat::read(p.pid).map(|s| s.start_ticks) == Some(p.start_ticks))
                .map(|p| p.pid),
        );
    }
    // All at once: each gets its grace, the daemon waits for the slowest only.
    futures::future::join_all(orphans.iter().map(|&pid| stop_orphan(pid))).await;
    let Some(dump) = saved.filter(|dump| !dump.apps.is_empty()) else {
        if !orphans.is_empty() {
            tracing::warn!(orphans_stopped = orphans.len(), "the previous daemon died");
        }
        return;
    };
    let names: Vec<&str> = dump.apps.iter().map(|a| a.spec.name.as_str()).collect();
    tracing::warn!(
        apps = ?names, orphans_stopped = orphans.len(),
        "the previous daemon died: recovering its apps"
    );
    let restore = RootCmd::Restore { apps: dump.apps };
    match processes(root, restore, TREE_DEADLINE).await {
        Ok(list) => tracing::info!(processes = list.len(), "recovered after a daemon crash"),
        Err(e) => tracing::error!("recovery failed: {e}"),
    }
}

/// Process groups led by a process a daemon of `home` started, whose parent is not a
/// daemon any more: the dead daemon's apps.
fn marked_orphans(home: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    let marker = format!("PM2_HOME={}", home.display());
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            let Some(stat) = Stat::read(pid) else {
                return false;
            };
            stat.pgrp == pid
                && !stat.is_zombie()
                && is_marked(pid, &marker)
                && !is_daemon(stat.ppid)
        })
        .collect()
}

/// True when `pid`'s environment says a daemon of this home started it as an app.
fn is_marked(pid: u32, marker: &str) -> bool {
    let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let mut home = false;
    let mut app = false;
    for entry in environ.split(|&b| b == 0) {
        home |= entry == marker.as_bytes();
        app |= entry.starts_with(b"pm_id=");
    }
    home && app
}

/// True when `pid` is a pm2 daemon (of any home: one still alive keeps its apps).
fn is_daemon(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == DAEMON_FLAG.as_bytes())
    })
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
