//! The process table pushed to a subscriber (`Request::SubscribeTable`, what `pm2 monit`
//! runs on): the rows once, then every change (starts, restarts, deletions, the Monitor's
//! figures each second, host vitals) without the client asking again.

use crate::common;

use std::time::Instant;

use common::socket::{ask, Conversation};
use common::{Pm2, DEADLINE};
use pm2_protocol::{ProcessInfo, Request, Response, Status, TableChange, TableMirror};

/// A subscription and the copy of the table it keeps.
struct Subscriber {
    conversation: Conversation,
    table: TableMirror,
}

impl Subscriber {
    fn new(pm2: &Pm2) -> Subscriber {
        let mut conversation = Conversation::open(pm2);
        match conversation.ask(Request::SubscribeTable) {
            Response::Processes(rows) => Subscriber {
                conversation,
                table: TableMirror::new(rows),
            },
            other => panic!("expected the rows, got {other:?}"),
        }
    }

    /// Applies pushed changes until `check` holds (given the latest change), within the
    /// deadline; returns that change.
    fn until(
        &mut self,
        what: &str,
        check: impl Fn(&TableMirror, &TableChange) -> bool,
    ) -> TableChange {
        let end = Instant::now() + DEADLINE;
        while Instant::now() < end {
            let change = self.conversation.next_change();
            self.table.apply(change.clone());
            if check(&self.table, &change) {
                return change;
            }
        }
        panic!("not pushed within {DEADLINE:?}: {what}");
    }

    fn row(&self, name: &str) -> Option<ProcessInfo> {
        self.table.list().into_iter().find(|p| p.spec.name == name)
    }
}

#[test]
fn a_subscriber_is_pushed_starts_figures_restarts_and_deletions() {
    let pm2 = Pm2::new();
    pm2.run_env(
        &["start", "sleep", "--name", "a", "--", "600"],
        &[("TOKEN", "s3cret")],
    )
    .ok();
    let a = pm2.wait_status(0, "online");
    let first_pid = a["pid"].as_u64().expect("a pid") as u32;

    let mut sub = Subscriber::new(&pm2);
    let row = sub.row("a").expect("a is in the first rows");
    assert!(
        row.env.is_empty() && row.spec.env.is_empty(),
        "no environments are sent"
    );

    // The Monitor's figures arrive on their own, for a's current pid.
    sub.until("a round of figures with a's memory", |table, change| {
        matches!(change, TableChange::Metrics(round)
            if round.iter().any(|m| m.pm_id == 0 && m.pid == first_pid && m.monit.memory > 0))
            && table.list()[0].monit.memory > 0
    });

    pm2.run(&["start", "sleep", "--name", "b", "--", "600"])
        .ok();
    sub.until("b online", |table, _| {
        table
            .list()
            .iter()
            .any(|p| p.spec.name == "b" && p.status == Status::Online)
    });

    pm2.run(&["restart", "a"]).ok();
    sub.until("a restarted with a new pid", |_, change| {
        matches!(change, TableChange::Row(row)
            if row.pm_id == 0 && row.restart_time == 1 && row.status == Status::Online
                && row.pid.is_some_and(|pid| pid != first_pid))
    });

    pm2.run(&["delete", "b"]).ok();
    sub.until("b deleted", |table, change| {
        matches!(change, TableChange::Removed(1)) && table.list().len() == 1
    });
    let rows = without_figures(sub.table.list());
    assert_eq!(rows[0].spec.name, "a");
    assert_eq!(rows, brief_list(&pm2), "the copy is the daemon's table");
}

#[test]
fn host_vitals_are_pushed_while_sysmonit_is_on() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let mut sub = Subscriber::new(&pm2);
    assert_eq!(sub.table.vitals(), None);
    pm2.run(&["set", "pm2:sysmonit", "true"]).ok();
    sub.until("vitals once sysmonit is on", |table, _| {
        table.vitals().is_some_and(|v| v.mem_total > 0)
    });
    pm2.run(&["set", "pm2:sysmonit", "false"]).ok();
    sub.until("no vitals once it is off", |table, _| {
        table.vitals().is_none()
    });
}

/// Rows with the figures of the moment left out (they move each second).
fn without_figures(rows: Vec<ProcessInfo>) -> Vec<ProcessInfo> {
    rows.into_iter()
        .map(|row| ProcessInfo {
            monit: Default::default(),
            ..row
        })
        .collect()
}

/// `Request::ListBrief` now, without figures.
fn brief_list(pm2: &Pm2) -> Vec<ProcessInfo> {
    match ask(pm2, Request::ListBrief) {
        Response::Processes(rows) => without_figures(rows),
        other => panic!("expected the rows, got {other:?}"),
    }
}
