//! CPU use of processes between two samples, in percent of one core (as `pm2 ls` shows it:
//! a process busy on two cores is at 200%).

use std::collections::HashMap;
use std::time::Instant;

use super::procfs::Stat;

/// The previous reading of each process, by pid and start time (a reused pid is another
/// process, whose cpu time starts again from nothing).
#[derive(Debug, Default)]
pub struct CpuMeter {
    last: HashMap<(u32, u64), Reading>,
    round: u64,
}

#[derive(Debug, Clone, Copy)]
struct Reading {
    ticks: u64,
    at: Instant,
    round: u64,
}

impl CpuMeter {
    /// Starts a round of readings; [`CpuMeter::end_round`] forgets the processes it missed.
    pub fn begin_round(&mut self) {
        self.round += 1;
    }

    /// Cpu use of `pid` since its previous reading (0 for the first one).
    pub fn percent(&mut self, pid: u32, stat: &Stat, now: Instant, hz: u64) -> f32 {
        let reading = Reading {
            ticks: stat.cpu_ticks,
            at: now,
            round: self.round,
        };
        let Some(before) = self.last.insert((pid, stat.start_ticks), reading) else {
            return 0.0;
        };
        let seconds = now.saturating_duration_since(before.at).as_secs_f64();
        if seconds <= 0.0 || hz == 0 {
            return 0.0;
        }
        let used = stat.cpu_ticks.saturating_sub(before.ticks) as f64 / hz as f64;
        (used / seconds * 100.0) as f32
    }

    /// Forgets the processes not read in this round (they exited).
    pub fn end_round(&mut self) {
        let round = self.round;
        self.last.retain(|_, r| r.round == round);
    }

    /// How many processes are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.last.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stat(ticks: u64, start: u64) -> Stat {
        Stat {
            state: 'S',
            ppid: 1,
            pgrp: 1,
            cpu_ticks: ticks,
            rss_pages: 1,
            threads: 1,
            start_ticks: start,
        }
    }

    #[test]
    fn percent_is_ticks_over_wall_time() {
        let mut meter = CpuMeter::default();
        let t0 = Instant::now();
        meter.begin_round();
        assert_eq!(meter.percent(7, &stat(100, 1), t0, 100), 0.0);
        meter.begin_round();
        let t1 = t0 + Duration::from_secs(2);
        // 50 ticks at 100 Hz = 0.5 s of cpu in 2 s.
        assert_eq!(meter.percent(7, &stat(150, 1), t1, 100), 25.0);
        meter.begin_round();
        let t2 = t1 + Duration::from_secs(1);
        // Two cores busy: 200%.
        assert_eq!(meter.percent(7, &stat(350, 1), t2, 100), 200.0);
    }

    #[test]
    fn a_reused_pid_starts_from_nothing_and_the_gone_are_forgotten() {
        let mut meter = CpuMeter::default();
        let t0 = Instant::now();
        meter.begin_round();
        meter.percent(7, &stat(1000, 1), t0, 100);
        meter.percent(8, &stat(10, 1), t0, 100);
        meter.end_round();
        meter.begin_round();
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(meter.percent(7, &stat(5, 99), t1, 100), 0.0);
        meter.end_round();
        assert_eq!(meter.len(), 1);
    }
}
