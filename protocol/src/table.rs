//! The process table as a stream of changes, for frontends that keep it on screen.
//!
//! Polling the list each second made an open `pm2 monit` cost the daemon more than the
//! fifty processes it watched: every row copied, encoded and sent whether anything changed
//! or not. After [`Request::SubscribeTable`](crate::Request::SubscribeTable) the daemon
//! answers with the rows once and then pushes only what changed ([`TableChange`]): a row
//! when a process changes state, its id when it is deleted, and the Monitor's figures
//! once a round (a few bytes per process). [`TableMirror`] applies them on the client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{HostVitals, Monit, ProcessInfo};

/// One round of the Monitor's figures for a process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The process.
    pub pm_id: u32,
    /// The OS process measured: figures of a pid the row no longer has are stale.
    pub pid: u32,
    /// Its tree's cpu and memory.
    pub monit: Monit,
}

/// What changed in the process table since the last frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TableChange {
    /// A process's newest row, without its environments (as `Request::ListBrief`).
    Row(Box<ProcessInfo>),
    /// A process was deleted.
    Removed(u32),
    /// A round of the Monitor's figures.
    Metrics(Vec<Metrics>),
    /// The host's vitals; `None` once `pm2:sysmonit` is off.
    Vitals(Option<HostVitals>),
    /// Every row again: the subscriber fell behind and changes were dropped for it.
    Reset(Vec<ProcessInfo>),
}

/// Applies a round of figures to a row, unless they were taken of another pid (the process
/// was restarted since): the one rule the daemon's table and every mirror share.
pub fn apply_metrics(row: &mut ProcessInfo, metrics: &Metrics) {
    if row.pm_id == metrics.pm_id && row.pid == Some(metrics.pid) {
        row.monit = metrics.monit;
    }
}

/// A client's copy of the daemon's table, kept up to date by [`TableChange`]s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableMirror {
    rows: BTreeMap<u32, ProcessInfo>,
    vitals: Option<HostVitals>,
}

impl TableMirror {
    /// A mirror of the rows the subscription was answered with.
    pub fn new(rows: Vec<ProcessInfo>) -> TableMirror {
        let mut mirror = TableMirror::default();
        mirror.reset(rows);
        mirror
    }

    fn reset(&mut self, rows: Vec<ProcessInfo>) {
        self.rows = rows.into_iter().map(|row| (row.pm_id, row)).collect();
    }

    /// Applies one change; true when the rows changed (false for vitals only).
    pub fn apply(&mut self, change: TableChange) -> bool {
        match change {
            TableChange::Row(row) => {
                self.rows.insert(row.pm_id, *row);
            }
            TableChange::Removed(pm_id) => {
                self.rows.remove(&pm_id);
            }
            TableChange::Metrics(round) => {
                for metrics in &round {
                    if let Some(row) = self.rows.get_mut(&metrics.pm_id) {
                        apply_metrics(row, metrics);
                    }
                }
            }
            TableChange::Vitals(vitals) => {
                self.vitals = vitals;
                return false;
            }
            TableChange::Reset(rows) => self.reset(rows),
        }
        true
    }

    /// Every row, in id order (what `Request::ListBrief` would answer now).
    pub fn list(&self) -> Vec<ProcessInfo> {
        self.rows().cloned().collect()
    }

    /// The rows, in id order, without copying them.
    pub fn rows(&self) -> impl Iterator<Item = &ProcessInfo> {
        self.rows.values()
    }

    /// The host's vitals as last pushed (`None` while `pm2:sysmonit` is off).
    pub fn vitals(&self) -> Option<&HostVitals> {
        self.vitals.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppSpec, Status};

    fn row(pm_id: u32, pid: Option<u32>) -> ProcessInfo {
        let spec = AppSpec::new("a", "/bin/true".into(), "/".into(), "/tmp/a.pid".into());
        ProcessInfo {
            pid,
            status: Status::Online,
            ..ProcessInfo::new(pm_id, spec)
        }
    }

    fn figures(pm_id: u32, pid: u32, memory: u64) -> Metrics {
        let monit = Monit { cpu: 1.5, memory };
        Metrics { pm_id, pid, monit }
    }

    #[test]
    fn rows_removals_and_figures_end_as_the_daemons_table() {
        let mut mirror = TableMirror::new(vec![row(0, Some(10)), row(1, Some(11))]);
        assert!(mirror.apply(TableChange::Metrics(vec![
            figures(0, 10, 100),
            figures(1, 11, 200),
            figures(7, 17, 300),
        ])));
        let mut restarted = row(1, Some(21));
        restarted.restart_time = 1;
        mirror.apply(TableChange::Row(Box::new(restarted)));
        mirror.apply(TableChange::Removed(0));
        mirror.apply(TableChange::Row(Box::new(row(2, None))));
        let list = mirror.list();
        let ids: Vec<u32> = list.iter().map(|r| r.pm_id).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(list[0].restart_time, 1);
        assert_eq!(
            list[0].monit,
            Monit::default(),
            "a new row brings its own figures"
        );
    }

    #[test]
    fn figures_of_a_pid_the_row_no_longer_has_are_ignored() {
        let mut mirror = TableMirror::new(vec![row(0, Some(21))]);
        mirror.apply(TableChange::Metrics(vec![figures(0, 10, 100)]));
        assert_eq!(mirror.list()[0].monit.memory, 0);
        mirror.apply(TableChange::Metrics(vec![figures(0, 21, 100)]));
        assert_eq!(mirror.list()[0].monit.memory, 100);
    }

    #[test]
    fn vitals_are_kept_apart_from_the_rows_and_a_reset_replaces_every_row() {
        let mut mirror = TableMirror::new(vec![row(0, None)]);
        let vitals = HostVitals::default();
        assert!(!mirror.apply(TableChange::Vitals(Some(vitals.clone()))));
        assert_eq!(mirror.vitals(), Some(&vitals));
        assert!(mirror.apply(TableChange::Reset(vec![row(3, None), row(4, None)])));
        let ids: Vec<u32> = mirror.list().iter().map(|r| r.pm_id).collect();
        assert_eq!(ids, [3, 4]);
        assert_eq!(mirror.vitals(), Some(&vitals), "vitals survive a reset");
        mirror.apply(TableChange::Vitals(None));
        assert_eq!(mirror.vitals(), None);
    }
}
