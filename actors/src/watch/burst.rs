//! One restart per burst of changes: the pure timing decisions of a Watch, tested without
//! files or clocks.
//!
//! A burst starts with the first change seen while idle. The app restarts once the tree has
//! been quiet for `watch_delay` (at least [`MIN_QUIET`], so that even `watch_delay = 0`
//! gathers a burst of writes), or at the latest [`MAX_EXTRA`] after that would first have
//! been due, so that a file written without pause still restarts the app. Changes seen
//! while the restart is under way belong to it (the new process reads the files as they are
//! then); the next change after it starts a new burst.

use std::time::{Duration, Instant};

/// The shortest quiet time that ends a burst.
pub const MIN_QUIET: Duration = Duration::from_millis(50);

/// How much longer than the delay a burst that never goes quiet waits.
pub const MAX_EXTRA: Duration = Duration::from_secs(10);

/// Where a Watch is between changes and restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing changed since the last restart.
    Idle,
    /// Changes seen since `first`; waiting for quiet.
    Settling {
        /// The burst's first change.
        first: Instant,
    },
    /// The restart was asked for and has not finished.
    Restarting,
}

/// What to do when a check is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Restart the app now.
    Restart,
    /// Look again after this long.
    Wait(Duration),
    /// No burst is settling: nothing to do.
    Nothing,
}

/// The burst state of one Watch.
#[derive(Debug, Clone)]
pub struct Burst {
    quiet: Duration,
    phase: Phase,
}

impl Burst {
    /// Idle, with `delay` (`watch_delay`) as the quiet time that ends a burst.
    pub fn new(delay: Duration) -> Burst {
        Burst {
            quiet: delay.max(MIN_QUIET),
            phase: Phase::Idle,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// A change was seen at `now`. When it starts a burst, returns how long until the
    /// first check (the caller says so in the log and schedules it).
    pub fn changed(&mut self, now: Instant) -> Option<Duration> {
        match self.phase {
            Phase::Idle => {
                self.phase = Phase::Settling { first: now };
                Some(self.quiet)
            }
            Phase::Settling { .. } | Phase::Restarting => None,
        }
    }

    /// A scheduled check at `now`, the last change having been seen at `last_change`.
    pub fn check(&mut self, now: Instant, last_change: Instant) -> Check {
        let Phase::Settling { first } = self.phase else {
            return Check::Nothing;
        };
        let quiet_at = last_change.max(first) + self.quiet;
        let due = quiet_at.min(first + self.quiet + MAX_EXTRA);
        if now >= due {
            self.phase = Phase::Restarting;
            Check::Restart
        } else {
            Check::Wait(due - now)
        }
    }

    /// The restart finished (or failed): the next change starts a new burst.
    pub fn restarted(&mut self) {
        self.phase = Phase::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_restarts_once_after_it_goes_quiet() {
        let t0 = Instant::now();
        let mut burst = Burst::new(1000 * MS);
        assert_eq!(burst.changed(t0), Some(1000 * MS));
        // Fifty more writes over 200 ms start nothing new.
        for i in 1..=50 {
            assert_eq!(burst.changed(t0 + 4 * i * MS), None);
        }
        let last = t0 + 200 * MS;
        assert_eq!(burst.check(t0 + 1000 * MS, last), Check::Wait(200 * MS));
        assert_eq!(burst.check(t0 + 1200 * MS, last), Check::Restart);
        assert_eq!(burst.phase(), Phase::Restarting);
        // Changes during the restart belong to it.
        assert_eq!(burst.changed(t0 + 1300 * MS), None);
        assert_eq!(burst.check(t0 + 1400 * MS, last), Check::Nothing);
        burst.restarted();
        assert_eq!(burst.changed(t0 + 2000 * MS), Some(1000 * MS));
    }

    #[test]
    fn a_zero_delay_still_gathers_a_burst() {
        let t0 = Instant::now();
        let mut burst = Burst::new(Duration::ZERO);
        assert_eq!(burst.changed(t0), Some(MIN_QUIET));
        assert_eq!(
            burst.check(t0 + MIN_QUIET, t0 + 10 * MS),
            Check::Wait(10 * MS)
        );
        assert_eq!(
            burst.check(t0 + MIN_QUIET + 10 * MS, t0 + 10 * MS),
            Check::Restart
        );
    }

    #[test]
    fn a_tree_that_never_goes_quiet_still_restarts() {
        let t0 = Instant::now();
        let mut burst = Burst::new(100 * MS);
        burst.changed(t0);
        let cap = t0 + 100 * MS + MAX_EXTRA;
        assert!(matches!(burst.check(cap - MS, cap - MS), Check::Wait(_)));
        assert_eq!(burst.check(cap, cap), Check::Restart);
    }
}
