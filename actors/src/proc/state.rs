//! The restart policy as plain data and functions: what to do when the OS process exits.
//!
//! PM2's rules (`God.handleExit`): a stop that was asked for ends in `stopped`; so does an
//! exit with autorestart off or with one of `stop_exit_codes`. An exit before `min_uptime` is
//! an unstable restart; when they reach `max_restarts` the process is `errored` and left
//! alone. Otherwise it restarts after `restart_delay`, or after an exponential back-off that
//! starts at `exp_backoff_restart_delay`, grows x1.5 up to 15 s, and resets after 30 s up.

use pm2_protocol::AppSpec;

/// Longest exponential back-off delay.
pub const MAX_BACKOFF_MS: u64 = 15_000;
/// Uptime after which the back-off starts over.
pub const BACKOFF_RESET_UPTIME_MS: i64 = 30_000;

/// The uptime after which back-off starts over: `EXP_BACKOFF_RESET_TIMER` (ms) in the
/// daemon's environment, as PM2's constants.js reads it, else [`BACKOFF_RESET_UPTIME_MS`].
pub fn backoff_reset_uptime_ms() -> i64 {
    static VALUE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *VALUE
        .get_or_init(|| reset_timer_from(std::env::var("EXP_BACKOFF_RESET_TIMER").ok().as_deref()))
}

/// `EXP_BACKOFF_RESET_TIMER` read as PM2 does (`parseInt(...) || 30000`).
fn reset_timer_from(value: Option<&str>) -> i64 {
    value
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&ms| ms > 0)
        .unwrap_or(BACKOFF_RESET_UPTIME_MS)
}

/// Restart counters of one process, kept across restarts (and actor incarnations).
///
/// `restart_time` is counted by the actor when a restart actually runs (as PM2 does), not
/// when it is decided: a process in `waiting restart` has not restarted yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Restarts since created (`restart_time`).
    pub restart_time: u32,
    /// Exits before `min_uptime` since the last reset (`unstable_restarts`).
    pub unstable_restarts: u32,
    /// Last back-off delay used (`prev_restart_delay`).
    pub prev_backoff_ms: Option<u64>,
}

/// What is known about one exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// Exit code, when it exited (not killed by a signal).
    pub code: Option<i32>,
    /// How long it ran, in ms.
    pub uptime_ms: i64,
    /// Whether a stop (or restart) was asked for.
    pub requested: bool,
}

/// What the process does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Stays down: `stopped`.
    Stop,
    /// Gave up: `errored`.
    GiveUp,
    /// Starts again after this many ms (`waiting restart` meanwhile when > 0).
    Restart {
        /// Delay before the restart.
        delay_ms: u64,
    },
}

/// Decides what follows an exit, updating the counters as PM2 does.
pub fn on_exit(spec: &AppSpec, counters: &mut Counters, exit: Exit) -> Decision {
    if exit.requested {
        return Decision::Stop;
    }
    if let Some(code) = exit.code {
        if spec.stop_exit_codes.contains(&code) {
            return Decision::Stop;
        }
    }
    if !spec.autorestart {
        return Decision::Stop;
    }
    if exit.uptime_ms < spec.min_uptime_ms as i64 {
        counters.unstable_restarts += 1;
    }
    if counters.unstable_restarts >= spec.max_restarts {
        counters.unstable_restarts = 0;
        return Decision::GiveUp;
    }
    let mut delay_ms = spec.restart_delay_ms;
    if let Some(first) = spec.exp_backoff_restart_delay_ms {
        if exit.uptime_ms >= backoff_reset_uptime_ms() {
            counters.prev_backoff_ms = None;
        }
        let next = match counters.prev_backoff_ms {
            None => first,
            Some(prev) => ((prev as f64 * 1.5).floor() as u64).min(MAX_BACKOFF_MS),
        };
        counters.prev_backoff_ms = Some(next);
        delay_ms = next;
    }
    Decision::Restart { delay_ms }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_reset_timer_is_read_as_pm2_reads_it() {
        assert_eq!(reset_timer_from(None), 30_000);
        assert_eq!(reset_timer_from(Some("5000")), 5000);
        assert_eq!(reset_timer_from(Some("0")), 30_000);
        assert_eq!(reset_timer_from(Some("soon")), 30_000);
    }

    fn spec() -> AppSpec {
        AppSpec::new("a", "/bin/true".into(), "/".into(), "/tmp/a.pid".into())
    }

    fn crash(uptime_ms: i64) -> Exit {
        Exit {
            code: Some(1),
            uptime_ms,
            requested: false,
        }
    }

    #[test]
    fn a_requested_stop_never_restarts() {
        let mut c = Counters::default();
        let exit = Exit {
            requested: true,
            ..crash(5)
        };
        assert_eq!(on_exit(&spec(), &mut c, exit), Decision::Stop);
        assert_eq!(c, Counters::default());
    }

    #[test]
    fn stop_exit_codes_and_autorestart_off_stay_stopped() {
        let mut s = spec();
        s.stop_exit_codes = vec![0, 3];
        let mut c = Counters::default();
        let exit = Exit {
            code: Some(3),
            ..crash(5000)
        };
        assert_eq!(on_exit(&s, &mut c, exit), Decision::Stop);
        let mut s = spec();
        s.autorestart = false;
        assert_eq!(on_exit(&s, &mut c, crash(5000)), Decision::Stop);
    }

    #[test]
    fn unstable_exits_reach_errored_at_max_restarts() {
        let mut s = spec();
        s.max_restarts = 3;
        let mut c = Counters::default();
        assert_eq!(
            on_exit(&s, &mut c, crash(10)),
            Decision::Restart { delay_ms: 0 }
        );
        assert_eq!(
            on_exit(&s, &mut c, crash(10)),
            Decision::Restart { delay_ms: 0 }
        );
        assert_eq!(c.unstable_restarts, 2);
        assert_eq!(on_exit(&s, &mut c, crash(10)), Decision::GiveUp);
    }

    #[test]
    fn stable_exits_do_not_count_as_unstable() {
        let mut s = spec();
        s.max_restarts = 1;
        let mut c = Counters::default();
        for _ in 0..5 {
            assert_eq!(
                on_exit(&s, &mut c, crash(2000)),
                Decision::Restart { delay_ms: 0 }
            );
        }
        assert_eq!(c.unstable_restarts, 0);
    }

    #[test]
    fn restart_delay_is_applied() {
        let mut s = spec();
        s.restart_delay_ms = 250;
        let mut c = Counters::default();
        assert_eq!(
            on_exit(&s, &mut c, crash(5000)),
            Decision::Restart { delay_ms: 250 }
        );
    }

    #[test]
    fn backoff_grows_by_half_caps_at_15s_and_resets_after_30s_up() {
        let mut s = spec();
        s.exp_backoff_restart_delay_ms = Some(100);
        s.max_restarts = 1000;
        let mut c = Counters::default();
        let mut delays = vec![];
        for _ in 0..4 {
            if let Decision::Restart { delay_ms } = on_exit(&s, &mut c, crash(5000)) {
                delays.push(delay_ms);
            }
        }
        assert_eq!(delays, vec![100, 150, 225, 337]);
        for _ in 0..20 {
            on_exit(&s, &mut c, crash(5000));
        }
        assert_eq!(c.prev_backoff_ms, Some(MAX_BACKOFF_MS));
        assert_eq!(
            on_exit(&s, &mut c, crash(31_000)),
            Decision::Restart { delay_ms: 100 }
        );
    }
}
