//! The recent cpu and memory of each process, for the dashboard's sparklines.
//!
//! One sample per round of the Monitor's figures (once a second), at most [`SAMPLES`] per process, so a
//! dashboard left open for days holds the same few kilobytes as one opened a minute ago.
//! A process that leaves the list leaves the history with it.

use std::collections::{BTreeMap, VecDeque};

use pm2_protocol::ProcessInfo;

/// Samples kept per process: two minutes at one list a second, wider than any sparkline.
pub const SAMPLES: usize = 120;

/// The cpu and memory samples of one process, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    cpu: VecDeque<f32>,
    memory: VecDeque<u64>,
}

impl Series {
    /// CPU percent samples (of one core), oldest first.
    pub fn cpu(&self) -> &VecDeque<f32> {
        &self.cpu
    }

    /// Resident memory samples in bytes, oldest first.
    pub fn memory(&self) -> &VecDeque<u64> {
        &self.memory
    }

    /// How many samples are held.
    pub fn len(&self) -> usize {
        self.cpu.len()
    }

    /// True before the first sample.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_empty()
    }

    fn push(&mut self, cpu: f32, memory: u64, capacity: usize) {
        self.cpu.push_back(cpu);
        self.memory.push_back(memory);
        while self.cpu.len() > capacity {
            self.cpu.pop_front();
            self.memory.pop_front();
        }
    }
}

/// Every process's [`Series`], by `pm_id`, each bounded by the same capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    series: BTreeMap<u32, Series>,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        History::with_capacity(SAMPLES)
    }
}

impl History {
    /// A history keeping at most `capacity` samples per process (at least one).
    pub fn with_capacity(capacity: usize) -> History {
        History {
            series: BTreeMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds one sample for every process of a fresh list and forgets processes that are no
    /// longer in it (a reused id starts a new history).
    pub fn record(&mut self, procs: &[ProcessInfo]) {
        self.retain(procs);
        for p in procs {
            self.series.entry(p.pm_id).or_default().push(
                p.monit.cpu,
                p.monit.memory,
                self.capacity,
            );
        }
    }

    /// Forgets the samples of processes no longer listed.
    pub fn retain(&mut self, procs: &[ProcessInfo]) {
        self.series
            .retain(|id, _| procs.iter().any(|p| p.pm_id == *id));
    }

    /// Forgets one process's samples (its id now names another process).
    pub fn forget(&mut self, pm_id: u32) {
        self.series.remove(&pm_id);
    }

    /// The samples of one process, if it has any.
    pub fn get(&self, pm_id: u32) -> Option<&Series> {
        self.series.get(&pm_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture::process;

    #[test]
    fn keeps_at_most_capacity_samples_oldest_dropped_first() {
        let mut history = History::with_capacity(3);
        for cpu in 1..=5 {
            let mut p = process(0, "api");
            p.monit.cpu = cpu as f32;
            p.monit.memory = cpu * 100;
            history.record(&[p]);
        }
        let series = history.get(0).expect("series");
        assert_eq!(series.len(), 3);
        assert_eq!(
            series.cpu().iter().copied().collect::<Vec<_>>(),
            [3.0, 4.0, 5.0]
        );
        assert_eq!(
            series.memory().iter().copied().collect::<Vec<_>>(),
            [300, 400, 500]
        );
    }

    #[test]
    fn forgets_processes_that_left_the_list() {
        let mut history = History::default();
        history.record(&[process(0, "a"), process(1, "b")]);
        history.record(&[process(1, "b")]);
        assert!(history.get(0).is_none());
        assert_eq!(history.get(1).map(Series::len), Some(2));
    }

    #[test]
    fn a_zero_capacity_still_keeps_the_latest_sample() {
        let mut history = History::with_capacity(0);
        history.record(&[process(0, "a")]);
        history.record(&[process(0, "a")]);
        assert_eq!(history.get(0).map(Series::len), Some(1));
    }
}
