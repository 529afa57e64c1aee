//! The process table: rows by id, id allocation, target resolution, and the changes
//! pushed to subscribers.

use std::collections::BTreeMap;

use pm2_protocol::table::apply_metrics;
use pm2_protocol::{Metrics, Monit, ProcessInfo, Status, TableChange, Target};
use tokio::sync::{broadcast, watch};

/// Changes held for a subscriber that is slow to take them; past this it is sent every
/// row again ([`TableChange::Reset`]). A round of figures is one change.
const FEED_CAPACITY: usize = 128;

/// A running process as the Monitor watches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// Its id.
    pub pm_id: u32,
    /// Its OS process (the root of the tree measured).
    pub pid: u32,
    /// Its app's name, for the daemon log.
    pub name: String,
    /// Online: only then may it be restarted for its memory.
    pub online: bool,
    /// `max_memory_restart`, bytes.
    pub max_memory: Option<u64>,
}

/// Every managed process's latest row, by `pm_id`.
#[derive(Debug)]
pub struct Table {
    next_id: u32,
    rows: BTreeMap<u32, ProcessInfo>,
    /// Log failures by process, kept apart from rows: a sink may report one before the
    /// process's first row arrives.
    log_errors: BTreeMap<u32, String>,
    /// Changes for subscribers; nothing is copied while nobody subscribes.
    feed: broadcast::Sender<TableChange>,
    /// Bumped when a row is added, changed or removed (not for figures): the cue of those
    /// who keep something derived from the rows, such as the state file.
    revision: watch::Sender<u64>,
}

impl Default for Table {
    fn default() -> Table {
        Table {
            next_id: 0,
            rows: BTreeMap::new(),
            log_errors: BTreeMap::new(),
            feed: broadcast::channel(FEED_CAPACITY).0,
            revision: watch::channel(0).0,
        }
    }
}

/// A row without its environments, which are set aside while the row is copied, so they
/// are neither cloned nor encoded.
fn brief(row: &mut ProcessInfo) -> ProcessInfo {
    let env = std::mem::take(&mut row.env);
    let spec_env = std::mem::take(&mut row.spec.env);
    let brief = row.clone();
    row.env = env;
    row.spec.env = spec_env;
    brief
}

impl Table {
    /// Every row without environments, and the changes from this moment on: taken together,
    /// so a subscriber misses nothing and sees nothing twice.
    pub fn subscribe(&mut self) -> (Vec<ProcessInfo>, broadcast::Receiver<TableChange>) {
        (self.list_brief(), self.feed.subscribe())
    }

    /// A receiver of the revision, bumped on every change of a row.
    pub fn revisions(&self) -> watch::Receiver<u64> {
        self.revision.subscribe()
    }

    /// Tells subscribers (if any) that the row of `pm_id` changed or went away.
    fn changed(&mut self, pm_id: u32) {
        self.revision.send_modify(|revision| *revision += 1);
        if self.feed.receiver_count() == 0 {
            return;
        }
        let change = match self.rows.get_mut(&pm_id) {
            Some(row) => TableChange::Row(Box::new(brief(row))),
            None => TableChange::Removed(pm_id),
        };
        let _ = self.feed.send(change);
    }

    /// Reserves `count` consecutive ids.
    pub fn allocate(&mut self, count: u32) -> Vec<u32> {
        let first = self.next_id;
        self.next_id += count;
        (first..first + count).collect()
    }

    /// Takes exactly these ids when none is in use; later allocations come after them.
    pub fn reserve(&mut self, ids: &[u32]) -> bool {
        if ids.iter().any(|id| self.rows.contains_key(id)) {
            return false;
        }
        if let Some(max) = ids.iter().max() {
            self.next_id = self.next_id.max(max + 1);
        }
        true
    }

    /// Records (or clears) a log failure of a process; it shows until writes work again.
    pub fn set_log_error(&mut self, pm_id: u32, error: Option<String>) {
        match &error {
            Some(message) => self.log_errors.insert(pm_id, message.clone()),
            None => self.log_errors.remove(&pm_id),
        };
        if let Some(row) = self.rows.get_mut(&pm_id) {
            row.log_error = error;
            self.changed(pm_id);
        }
    }

    /// Stores the newest row of a process, keeping the latest metrics and log health.
    pub fn update(&mut self, mut info: ProcessInfo) {
        info.log_error = self.log_errors.get(&info.pm_id).cloned();
        if let Some(old) = self.rows.get(&info.pm_id) {
            info.monit = if info.pid.is_some() && info.pid == old.pid {
                old.monit
            } else {
                Monit::default()
            };
        }
        let pm_id = info.pm_id;
        self.rows.insert(pm_id, info);
        self.changed(pm_id);
    }

    /// Forgets a process; ids start over at 0 when the table empties, as in PM2.
    pub fn remove(&mut self, pm_id: u32) {
        self.log_errors.remove(&pm_id);
        if self.rows.remove(&pm_id).is_some() {
            self.changed(pm_id);
        }
        if self.rows.is_empty() {
            self.next_id = 0;
        }
    }

    /// Every row, in id order.
    pub fn list(&self) -> Vec<ProcessInfo> {
        self.rows.values().cloned().collect()
    }

    /// Every row without its environments.
    pub fn list_brief(&mut self) -> Vec<ProcessInfo> {
        self.rows.values_mut().map(brief).collect()
    }

    /// Running processes, for the Monitor.
    pub fn watched(&self) -> Vec<Watched> {
        self.rows
            .values()
            .filter_map(|row| {
                Some(Watched {
                    pm_id: row.pm_id,
                    pid: row.pid?,
                    name: row.spec.name.clone(),
                    online: row.status == Status::Online,
                    max_memory: row.spec.max_memory_restart,
                })
            })
            .collect()
    }

    /// What the state file depends on, cheap to compare each second: each process's id,
    /// pid and restart count.
    pub fn fingerprint(&self) -> Vec<(u32, Option<u32>, u32)> {
        self.rows
            .values()
            .map(|row| (row.pm_id, row.pid, row.restart_time))
            .collect()
    }

    /// Records a round of metrics, and passes it on to subscribers as it is.
    pub fn set_metrics(&mut self, round: Vec<Metrics>) {
        for metrics in &round {
            if let Some(row) = self.rows.get_mut(&metrics.pm_id) {
                apply_metrics(row, metrics);
            }
        }
        if self.feed.receiver_count() > 0 {
            let _ = self.feed.send(TableChange::Metrics(round));
        }
    }

    /// The rows the targets name, each once, in id order. A target that matches nothing is an
    /// error naming it, unless `allow_empty`.
    pub fn resolve(
        &self,
        targets: &[Target],
        allow_empty: bool,
    ) -> crate::error::TreeResult<Vec<ProcessInfo>> {
        use crate::error::TreeError;
        let mut ids = std::collections::BTreeSet::new();
        for target in targets {
            let matched: Vec<u32> = match target {
                Target::All => self.rows.keys().copied().collect(),
                Target::Id(id) => self.by_id(*id),
                Target::Name(name) => self.by_name(name),
                Target::Script { name, path } => {
                    let by_script =
                        self.ids_where(|r| r.spec.name != *name && r.spec.exec_path == *path);
                    let mut found = self.by_name_only(name);
                    found.extend(by_script);
                    if found.is_empty() {
                        self.by_namespace(name)
                    } else {
                        found
                    }
                }
                Target::Number(n) => {
                    let named = self.by_name(&n.to_string());
                    if named.is_empty() {
                        self.by_id(*n)
                    } else {
                        named
                    }
                }
                Target::Regex(pattern) => {
                    let re = regex::Regex::new(pattern).map_err(|e| {
                        TreeError::refused(format!("invalid regular expression /{pattern}/: {e}"))
                    })?;
                    self.ids_where(|r| re.is_match(&r.spec.name))
                }
            };
            if matched.is_empty() && !allow_empty && !matches!(target, Target::All) {
                return Err(TreeError::not_found(not_found(target)));
            }
            ids.extend(matched);
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.rows.get(id).cloned())
            .collect())
    }

    fn by_id(&self, id: u32) -> Vec<u32> {
        self.rows.get(&id).map(|r| r.pm_id).into_iter().collect()
    }

    /// The processes of the app `name`, or else of the namespace `name` (PM2's order).
    fn by_name(&self, name: &str) -> Vec<u32> {
        let by_name = self.by_name_only(name);
        if by_name.is_empty() {
            self.by_namespace(name)
        } else {
            by_name
        }
    }

    fn by_name_only(&self, name: &str) -> Vec<u32> {
        self.ids_where(|r| r.spec.name == name)
    }

    fn by_namespace(&self, namespace: &str) -> Vec<u32> {
        self.ids_where(|r| r.spec.namespace == namespace)
    }

    fn ids_where(&self, keep: impl Fn(&ProcessInfo) -> bool) -> Vec<u32> {
        self.rows
            .values()
            .filter(|r| keep(r))
            .map(|r| r.pm_id)
            .collect()
    }
}

/// PM2's words for a target that names nothing.
fn not_found(target: &Target) -> String {
    match target {
        Target::Id(id) | Target::Number(id) => format!("Process {id} not found"),
        Target::Regex(_) => format!("No process found matching {target}"),
        other => format!("Process or Namespace {other} not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pm2_protocol::AppSpec;

    fn row(pm_id: u32) -> ProcessInfo {
        let spec = AppSpec::new("a", "/bin/true".into(), "/".into(), "/tmp/a.pid".into());
        ProcessInfo {
            status: Status::Online,
            ..ProcessInfo::new(pm_id, spec)
        }
    }

    fn figures(pm_id: u32, pid: u32) -> Metrics {
        let monit = Monit {
            cpu: 2.0,
            memory: 4096,
        };
        Metrics { pm_id, pid, monit }
    }

    #[test]
    fn a_subscriber_gets_the_rows_then_each_change_without_environments() {
        let mut table = Table::default();
        table.update(row(0));
        let (rows, mut changes) = table.subscribe();
        assert_eq!(rows.iter().map(|r| r.pm_id).collect::<Vec<_>>(), [0]);

        let mut secret = row(1);
        secret.pid = Some(11);
        secret.env.insert("TOKEN".into(), "x".into());
        secret.spec.env.insert("TOKEN".into(), "x".into());
        table.update(secret);
        match changes.try_recv() {
            Ok(TableChange::Row(row)) => {
                assert_eq!(row.pm_id, 1);
                assert!(row.env.is_empty() && row.spec.env.is_empty());
            }
            other => panic!("expected the new row, got {other:?}"),
        }
        assert_eq!(table.list()[1].env.len(), 1, "the table keeps them");

        table.set_metrics(vec![figures(1, 11)]);
        assert_eq!(
            changes.try_recv(),
            Ok(TableChange::Metrics(vec![figures(1, 11)]))
        );
        assert_eq!(table.list()[1].monit.memory, 4096);
        table.remove(0);
        assert_eq!(changes.try_recv(), Ok(TableChange::Removed(0)));
        assert!(changes.try_recv().is_err(), "nothing else was sent");
    }

    #[test]
    fn the_revision_moves_with_rows_and_not_with_figures() {
        let mut table = Table::default();
        let mut revisions = table.revisions();
        table.update(row(0));
        assert!(revisions.has_changed().expect("open"));
        revisions.borrow_and_update();
        table.set_metrics(vec![figures(0, 10)]);
        assert!(!revisions.has_changed().expect("open"));
        table.remove(0);
        assert!(revisions.has_changed().expect("open"));
    }

    #[test]
    fn a_log_error_reported_before_the_first_row_is_kept() {
        let mut table = Table::default();
        table.set_log_error(0, Some("cannot write /x".into()));
        table.update(row(0));
        assert_eq!(
            table.list()[0].log_error.as_deref(),
            Some("cannot write /x")
        );
        table.update(row(0));
        assert_eq!(
            table.list()[0].log_error.as_deref(),
            Some("cannot write /x")
        );
        table.set_log_error(0, None);
        assert_eq!(table.list()[0].log_error, None);
    }

    #[test]
    fn naming_a_process_twice_is_not_an_error_and_unknown_names_are() {
        let mut table = Table::default();
        table.allocate(1);
        table.update(row(0));
        let both = table.resolve(&[Target::Name("a".into()), Target::Id(0)], false);
        assert_eq!(both.map(|r| r.len()), Ok(1));
        assert!(table.resolve(&[Target::Name("b".into())], false).is_err());
        assert_eq!(table.resolve(&[Target::Name("b".into())], true), Ok(vec![]));
    }

    fn named(pm_id: u32, name: &str, namespace: &str) -> ProcessInfo {
        let mut info = row(pm_id);
        info.spec.name = name.into();
        info.spec.namespace = namespace.into();
        info
    }

    fn ids(table: &Table, words: &[&str]) -> Result<Vec<u32>, String> {
        let targets: Vec<Target> = words.iter().map(|w| Target::parse(w)).collect();
        table
            .resolve(&targets, false)
            .map(|rows| rows.iter().map(|r| r.pm_id).collect())
            .map_err(|e| e.message)
    }

    fn sample() -> Table {
        let mut table = Table::default();
        for (id, name, ns) in [
            (0, "api-1", "back"),
            (1, "api-2", "back"),
            (2, "web", "front"),
            (3, "7", "default"),
            (4, "worker", "5"),
            (5, "worker", "5"),
            (7, "mailer", "default"),
        ] {
            table.update(named(id, name, ns));
        }
        table
    }

    #[test]
    fn words_resolve_as_pm2_operates_on_them() {
        let table = sample();
        assert_eq!(ids(&table, &["all"]), Ok(vec![0, 1, 2, 3, 4, 5, 7]));
        assert_eq!(ids(&table, &["web"]), Ok(vec![2]));
        assert_eq!(ids(&table, &["back"]), Ok(vec![0, 1]), "a namespace");
        assert_eq!(
            ids(&table, &["/^api-/"]),
            Ok(vec![0, 1]),
            "a regex on names"
        );
        assert_eq!(ids(&table, &["/er$/"]), Ok(vec![4, 5, 7]));
        assert_eq!(ids(&table, &["2"]), Ok(vec![2]), "an id");
        assert_eq!(ids(&table, &["web", "2", "0"]), Ok(vec![0, 2]), "each once");
    }

    #[test]
    fn a_number_is_an_app_name_then_a_namespace_then_an_id() {
        let table = sample();
        assert_eq!(
            ids(&table, &["7"]),
            Ok(vec![3]),
            "the app called 7, not id 7"
        );
        assert_eq!(ids(&table, &["5"]), Ok(vec![4, 5]), "the namespace 5");
        let strict = table.resolve(&[Target::Id(7)], false).unwrap();
        assert_eq!(strict[0].pm_id, 7, "Target::Id is always the id");
    }

    #[test]
    fn targets_that_name_nothing_are_errors_naming_them() {
        let table = sample();
        assert_eq!(
            ids(&table, &["web", "nope"]),
            Err("Process or Namespace nope not found".into())
        );
        assert_eq!(ids(&table, &["42"]), Err("Process 42 not found".into()));
        assert_eq!(
            ids(&table, &["/^zz/"]),
            Err("No process found matching /^zz/".into())
        );
        assert!(ids(&table, &["/(/"])
            .unwrap_err()
            .contains("invalid regular expression"));
        assert_eq!(ids(&Table::default(), &["all"]), Ok(vec![]));
    }
}
