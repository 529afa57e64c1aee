//! The process table: rows by id, id allocation, and target resolution.

use std::collections::BTreeMap;

use pm2_protocol::{Monit, ProcessInfo, Target};

/// Every managed process's latest row, by `pm_id`.
#[derive(Debug, Default)]
pub struct Table {
    next_id: u32,
    rows: BTreeMap<u32, ProcessInfo>,
}

impl Table {
    /// Reserves `count` consecutive ids.
    pub fn allocate(&mut self, count: u32) -> Vec<u32> {
        let first = self.next_id;
        self.next_id += count;
        (first..first + count).collect()
    }

    /// Records (or clears) a log failure of a process; it shows until writes work again.
    pub fn set_log_error(&mut self, pm_id: u32, error: Option<String>) {
        if let Some(row) = self.rows.get_mut(&pm_id) {
            row.log_error = error;
        }
    }

    /// Stores the newest row of a process, keeping the latest metrics and log health.
    pub fn update(&mut self, mut info: ProcessInfo) {
        if let Some(old) = self.rows.get(&info.pm_id) {
            info.log_error = old.log_error.clone();
            info.monit = if info.pid.is_some() && info.pid == old.pid {
                old.monit
            } else {
                Monit::default()
            };
        }
        self.rows.insert(info.pm_id, info);
    }

    /// Forgets a process; ids start over at 0 when the table empties, as in PM2.
    pub fn remove(&mut self, pm_id: u32) {
        self.rows.remove(&pm_id);
        if self.rows.is_empty() {
            self.next_id = 0;
        }
    }

    /// Every row, in id order.
    pub fn list(&self) -> Vec<ProcessInfo> {
        self.rows.values().cloned().collect()
    }

    /// Running processes: (pm_id, pid).
    pub fn pids(&self) -> Vec<(u32, u32)> {
        self.rows
            .values()
            .filter_map(|row| row.pid.map(|pid| (row.pm_id, pid)))
            .collect()
    }

    /// Records a round of metrics.
    pub fn set_metrics(&mut self, metrics: &[(u32, u32, Monit)]) {
        for (pm_id, pid, monit) in metrics {
            if let Some(row) = self.rows.get_mut(pm_id) {
                if row.pid == Some(*pid) {
                    row.monit = *monit;
                }
            }
        }
    }

    /// The rows the targets name, each once, in id order. A target that matches nothing is an
    /// error naming it, unless `allow_empty`.
    pub fn resolve(
        &self,
        targets: &[Target],
        allow_empty: bool,
    ) -> Result<Vec<ProcessInfo>, String> {
        let mut ids = std::collections::BTreeSet::new();
        for target in targets {
            let matched: Vec<u32> = match target {
                Target::All => self.rows.keys().copied().collect(),
                Target::Id(id) => self.rows.get(id).map(|r| r.pm_id).into_iter().collect(),
                Target::Name(name) => {
                    let by_name: Vec<u32> = self
                        .rows
                        .values()
                        .filter(|r| &r.spec.name == name)
                        .map(|r| r.pm_id)
                        .collect();
                    if by_name.is_empty() {
                        self.rows
                            .values()
                            .filter(|r| &r.spec.namespace == name)
                            .map(|r| r.pm_id)
                            .collect()
                    } else {
                        by_name
                    }
                }
                Target::Regex(pattern) => {
                    let re = regex::Regex::new(pattern)
                        .map_err(|e| format!("invalid regular expression /{pattern}/: {e}"))?;
                    self.rows
                        .values()
                        .filter(|r| re.is_match(&r.spec.name))
                        .map(|r| r.pm_id)
                        .collect()
                }
            };
            if matched.is_empty() && !allow_empty && !matches!(target, Target::All) {
                return Err(match target {
                    Target::Id(id) => format!("Process {id} not found"),
                    other => format!("Process or Namespace {other} not found"),
                });
            }
            ids.extend(matched);
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.rows.get(id).cloned())
            .collect())
    }
}
