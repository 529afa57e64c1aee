//! `max_memory_restart`: when a process tree's memory goes over its app's limit, one
//! graceful restart (as `pm2 restart`), and none more until that one is over.
//!
//! PM2 looks every 30 s; the Monitor looks each second, so a restart follows a crossing
//! within about a second plus the app's stop time.

use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Which processes have a memory restart under way, and how often limits are judged.
#[derive(Debug, Default)]
pub struct MemoryGuard {
    restarting: HashSet<u32>,
    /// `PM2_WORKER_INTERVAL`: judge limits this often (PM2's worker); each round when unset.
    every: Option<Duration>,
    last_judged: Option<Instant>,
}

impl MemoryGuard {
    /// A guard judging each round, or every `PM2_WORKER_INTERVAL` ms when the daemon's
    /// environment sets it (PM2's worker interval).
    pub fn from_env() -> MemoryGuard {
        MemoryGuard {
            every: interval_from(std::env::var("PM2_WORKER_INTERVAL").ok().as_deref()),
            ..MemoryGuard::default()
        }
    }

    /// Whether this round judges limits (always, unless an interval is set and not over).
    pub fn judges_now(&mut self, now: Instant) -> bool {
        let Some(every) = self.every else {
            return true;
        };
        let due = self.last_judged.is_none_or(|last| now - last >= every);
        if due {
            self.last_judged = Some(now);
        }
        due
    }

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

/// `PM2_WORKER_INTERVAL` in ms, as PM2 reads it; `None` when unset or not a number.
fn interval_from(value: Option<&str>) -> Option<Duration> {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_interval_spaces_the_judgements() {
        assert_eq!(interval_from(Some("30000")), Some(Duration::from_secs(30)));
        assert_eq!(interval_from(Some("x")), None);
        let mut each_round = MemoryGuard::default();
        let t = Instant::now();
        assert!(each_round.judges_now(t) && each_round.judges_now(t));
        let mut spaced = MemoryGuard {
            every: Some(Duration::from_secs(5)),
            ..MemoryGuard::default()
        };
        assert!(spaced.judges_now(t));
        assert!(!spaced.judges_now(t + Duration::from_secs(1)));
        assert!(spaced.judges_now(t + Duration::from_secs(5)));
    }

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
