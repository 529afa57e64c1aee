//! Turns notify's events into at most one message per burst for the Watch actor.
//!
//! The handler runs on notify's own thread for every event. It drops what is not a change
//! (reads, opens) and what the filter ignores, notes the time of the last change, and
//! sends [`WatchMsg::Changed`] only for the first change while none is pending: ten
//! thousand writes cost ten thousand filter checks and one message. Folders that appear
//! are sent as [`WatchMsg::NewFolder`] (the watcher cannot be asked to add a watch from
//! inside its own handler).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{Event, EventKind};
use ractor::ActorRef;

use super::filter::Filter;
use super::tree::may_add_folder;
use super::WatchMsg;

/// Shared by the notify handler and the Watch actor.
pub struct Sensor {
    app: String,
    filter: Arc<Filter>,
    /// The first root, named for changes without a path (the kernel's queue overflowed).
    root: PathBuf,
    actor: ActorRef<WatchMsg>,
    epoch: Instant,
    /// When the last change was seen, in ns since `epoch`.
    last_change: AtomicU64,
    /// A change was sent and the actor has not finished with it.
    pending: AtomicBool,
    /// An error was logged (a polling watcher meets the same one at every interval).
    error_logged: AtomicBool,
}

impl Sensor {
    /// A sensor reporting to `actor`.
    pub fn new(app: &str, filter: Arc<Filter>, root: PathBuf, actor: ActorRef<WatchMsg>) -> Self {
        Sensor {
            app: app.to_string(),
            filter,
            root,
            actor,
            epoch: Instant::now(),
            last_change: AtomicU64::new(0),
            pending: AtomicBool::new(false),
            error_logged: AtomicBool::new(false),
        }
    }

    /// The filter in use.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// When the last change was seen.
    pub fn last_change(&self) -> Instant {
        self.epoch + Duration::from_nanos(self.last_change.load(Ordering::Acquire))
    }

    /// The actor is done with the pending change (the restart finished): the next change is
    /// sent again.
    pub fn rearm(&self) {
        self.pending.store(false, Ordering::Release);
    }

    /// notify's handler.
    pub fn on_event(&self, event: notify::Result<Event>) {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                if !self.error_logged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(app = %self.app, "watch error: {e}");
                }
                return;
            }
        };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event.need_rescan() {
            // Too many changes for the kernel's queue: a burst by definition.
            self.changed(self.root.clone());
            return;
        }
        for path in &event.paths {
            if self.filter.ignores(path) {
                continue;
            }
            if may_add_folder(&event.kind) && path.is_dir() {
                let _ = self.actor.cast(WatchMsg::NewFolder(path.clone()));
            }
            self.changed(path.clone());
        }
    }

    fn changed(&self, path: PathBuf) {
        let since = self.epoch.elapsed().as_nanos().min(u64::MAX as u128) as u64;
        self.last_change.store(since, Ordering::Release);
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _ = self.actor.cast(WatchMsg::Changed(path));
        }
    }
}
