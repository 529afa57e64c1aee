//! `max_memory_restart`: when a process tree's memory goes over its app's limit, one
//! graceful restart (as `pm2 restart`), and none more until that one is over.
//!
//! PM2 looks every 30 s; the Monitor looks each second, so a restart follows a crossing
//! within about a second plus the app's stop time.

use std::collections::HashSet;

/// Which processes have a memory restart under way.
#[derive(Debug, Default)]
pub struct MemoryGuard {
    restarting: HashSet<u32>,
}

impl MemoryGuard {
    /// True when process `pm_id`, using `memory` bytes against `limit`, must be restarted
    /// now; it is then counted as restarting until [`MemoryGuard::done`].
    pub fn over_limit(&mut self, pm_id: u32, memory: u64, limit: Option<u64>) -> bool {
        match limit {
            // As PM2: strictly more than the limit.
            Some(limit) if memory > limit => self.restarting.insert(pm_id),
            _ => false,
        }
    }

    /// The restart of `pm_id` is over (done or failed): it may be judged again.
    pub fn done(&mut self, pm_id: u32) {
        self.restarting.remove(&pm_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_strictly_over_the_limit_and_only_once_until_done() {
        let mut guard = MemoryGuard::default();
        assert!(!guard.over_limit(0, 500, None));
        assert!(!guard.over_limit(0, 100, Some(100)));
        assert!(guard.over_limit(0, 101, Some(100)));
        assert!(!guard.over_limit(0, 900, Some(100)), "restart in progress");
        assert!(guard.over_limit(1, 900, Some(100)), "another process");
        guard.done(0);
        assert!(!guard.over_limit(0, 50, Some(100)));
        assert!(guard.over_limit(0, 101, Some(100)));
    }
}
