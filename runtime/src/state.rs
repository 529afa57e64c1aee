//! Surviving the daemon's own crash: the process list is kept in `state.pm2` while the
//! daemon runs; a daemon that finds it at start-up knows its predecessor died
//! ([`crate::recovery`]).
//!
//! [`StateFile`] is its one writer, used two ways: before the daemon answers a command that
//! changes the list (start, stop, restart, delete, scale...), so what a client heard "done"
//! survives a SIGKILL of the daemon the next instant; and by [`keep`], after the fact, for
//! what the apps do on their own (an autorestart gives a new pid). Each write is a new file
//! fsynced and renamed over the old one (kept as `.bak`), then the folder fsynced.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pm2_actors::root::{RootCmd, RootMsg};
use pm2_protocol::dump::Dump;
use pm2_protocol::ProcessInfo;
use ractor::ActorRef;
use tokio::sync::Mutex;

use crate::route::processes;

/// The shortest time between two looks at the list: a process that restarts in a loop
/// changes its row many times a second, the state file needs only the latest.
pub const KEEP_EVERY: Duration = Duration::from_secs(1);

/// Longest wait for the table's revision, fingerprint or rows (answered from memory).
const TREE_WAIT: Duration = Duration::from_secs(5);
/// [`TREE_WAIT`] for ractor's `call_t!`.
const TREE_WAIT_MS: u64 = TREE_WAIT.as_millis() as u64;

/// Which processes exist, their pids and restart counts: what the file depends on.
type Fingerprint = Vec<(u32, Option<u32>, u32)>;

/// The state file and what was last written to it; one write at a time.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    written: Mutex<Fingerprint>,
}

impl StateFile {
    /// The state file at `path`.
    pub fn new(path: PathBuf) -> Arc<StateFile> {
        Arc::new(StateFile {
            path,
            written: Mutex::new(Vec::new()),
        })
    }

    /// Writes the process list now (durably, as described above) and returns once it is
    /// on disk.
    pub async fn write_now(&self, root: &ActorRef<RootMsg>) -> Result<(), String> {
        let mut written = self.written.lock().await;
        let list = processes(root, RootCmd::List { brief: false }, TREE_WAIT)
            .await
            .map_err(|e| e.message)?;
        let dump = Dump::from_processes(&list);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || dump.write(&path))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        *written = fingerprint_of(&list);
        Ok(())
    }

    /// True when the list last written has this fingerprint.
    async fn is_current(&self, fingerprint: &Fingerprint) -> bool {
        *self.written.lock().await == *fingerprint
    }
}

/// Keeps the state file up to date with what the apps do on their own, until the task is
/// dropped.
///
/// It sleeps until a row changes (the table's revision), then compares the fingerprint
/// (which processes exist, their pids and restart counts; a spec only changes with a
/// (re)start, which changes those) and writes only when that changed. An idle daemon does
/// nothing here: asking each second was a third of its idle CPU with fifty apps.
pub async fn keep(root: ActorRef<RootMsg>, file: Arc<StateFile>) {
    let Ok(mut revisions) = ractor::call_t!(root, RootMsg::Revisions, TREE_WAIT_MS) else {
        tracing::warn!("cannot keep the state file: the tree is not answering");
        return;
    };
    loop {
        if let Ok(fingerprint) = ractor::call_t!(root, RootMsg::Fingerprint, TREE_WAIT_MS) {
            if !file.is_current(&fingerprint).await {
                if let Err(e) = file.write_now(&root).await {
                    tracing::warn!("cannot keep the state file: {e}");
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
fn fingerprint_of(list: &[ProcessInfo]) -> Fingerprint {
    list.iter()
        .map(|p| (p.pm_id, p.pid, p.restart_time))
        .collect()
}
