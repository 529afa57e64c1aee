//! The dashboard's model without a terminal: selection, filter, history and the delete
//! confirmation.

use std::time::{Duration, Instant};

use pm2_protocol::Action;

use super::keys::Intent;
use super::state::{Effect, Mode, Monit, Pending, NOTICE_FOR};
use crate::render::fixture::process;

fn monit_with(names: &[&str]) -> Monit {
    let mut monit = Monit::new();
    monit.set_list(
        names
            .iter()
            .enumerate()
            .map(|(id, name)| process(id as u32, name))
            .collect(),
        true,
    );
    monit
}

fn selected_name(monit: &Monit) -> Option<&str> {
    monit.selected().map(|p| p.spec.name.as_str())
}

#[test]
fn the_first_list_selects_the_first_process_and_asks_for_its_past_lines() {
    let mut monit = Monit::new();
    assert!(!monit.loaded());
    let effect = monit.set_list(vec![process(3, "api"), process(5, "worker")], true);
    assert!(monit.loaded());
    assert_eq!(effect, Some(Effect::Backfill(3)));
    assert_eq!(selected_name(&monit), Some("api"));
    // The same selection in the next list asks nothing more.
    assert_eq!(
        monit.set_list(vec![process(3, "api"), process(5, "worker")], true),
        None
    );
}

#[test]
fn moving_stops_at_both_ends_and_backfills_each_process_once() {
    let mut monit = monit_with(&["a", "b", "c"]);
    assert_eq!(monit.handle(Intent::Move(-1)), None);
    assert_eq!(selected_name(&monit), Some("a"));
    assert_eq!(monit.handle(Intent::Move(1)), Some(Effect::Backfill(1)));
    assert_eq!(monit.handle(Intent::Move(10)), Some(Effect::Backfill(2)));
    assert_eq!(selected_name(&monit), Some("c"));
    assert_eq!(monit.handle(Intent::Move(1)), None);
    assert_eq!(monit.handle(Intent::First), None, "a was fetched already");
    assert_eq!(selected_name(&monit), Some("a"));
    monit.handle(Intent::Last);
    assert_eq!(selected_name(&monit), Some("c"));
}

#[test]
fn the_selection_follows_its_process_when_the_list_changes() {
    let mut monit = monit_with(&["a", "b", "c"]);
    monit.handle(Intent::Move(1));
    // A process before it is deleted: still on b.
    monit.set_list(vec![process(1, "b"), process(2, "c")], true);
    assert_eq!(selected_name(&monit), Some("b"));
    // A process comes back before it: still on b, now the second row.
    monit.set_list(
        vec![process(0, "a"), process(1, "b"), process(2, "c")],
        true,
    );
    assert_eq!(selected_name(&monit), Some("b"));
    // b itself is deleted: the row where it was (now c).
    monit.set_list(vec![process(0, "a"), process(2, "c")], true);
    assert_eq!(selected_name(&monit), Some("c"));
    // Everything deleted: nothing selected, and no action possible.
    monit.set_list(Vec::new(), true);
    assert_eq!(monit.selected(), None);
    assert_eq!(monit.handle(Intent::Act(Action::Restart)), None);
    assert_eq!(monit.handle(Intent::AskDelete), None);
    assert_eq!(monit.mode(), &Mode::Browse);
}

#[test]
fn the_filter_narrows_the_list_and_moves_the_selection_into_it() {
    // Sorted by name as PM2's dashboard sorts: API-2, api-1, worker.
    let mut monit = monit_with(&["api-1", "worker", "API-2"]);
    monit.handle(Intent::Move(2));
    assert_eq!(selected_name(&monit), Some("worker"));
    monit.handle(Intent::OpenFilter);
    assert_eq!(monit.mode(), &Mode::Filter);
    for c in "ap".chars() {
        monit.handle(Intent::FilterPush(c));
    }
    let names: Vec<&str> = monit
        .visible()
        .iter()
        .map(|p| p.spec.name.as_str())
        .collect();
    assert_eq!(names, ["API-2", "api-1"], "case-insensitive");
    assert_eq!(
        selected_name(&monit),
        Some("api-1"),
        "the row where it was, clamped"
    );
    monit.handle(Intent::KeepFilter);
    assert_eq!(monit.mode(), &Mode::Browse);
    assert_eq!(monit.filter(), "ap");
    // Nothing matches: nothing selected; a character less and it comes back.
    monit.handle(Intent::OpenFilter);
    monit.handle(Intent::FilterPush('z'));
    assert!(monit.visible().is_empty());
    assert_eq!(monit.selected(), None);
    monit.handle(Intent::FilterPop);
    assert_eq!(monit.visible().len(), 2);
    assert!(monit.selected().is_some());
    monit.handle(Intent::ClearFilter);
    assert_eq!(monit.filter(), "");
    assert_eq!(monit.visible().len(), 3);
    assert_eq!(monit.mode(), &Mode::Browse);
}

#[test]
fn restart_stop_and_reload_act_at_once_on_the_selected_process() {
    let mut monit = monit_with(&["api", "worker"]);
    monit.handle(Intent::Move(1));
    for action in [Action::Restart, Action::Stop, Action::Reload] {
        assert_eq!(
            monit.handle(Intent::Act(action)),
            Some(Effect::Act(Pending {
                action,
                pm_id: 1,
                name: "worker".into()
            }))
        );
        assert_eq!(monit.mode(), &Mode::Browse);
    }
}

#[test]
fn delete_waits_for_a_yes() {
    let mut monit = monit_with(&["api"]);
    assert_eq!(monit.handle(Intent::AskDelete), None);
    let pending = Pending {
        action: Action::Delete,
        pm_id: 0,
        name: "api".into(),
    };
    assert_eq!(monit.mode(), &Mode::Confirm(pending.clone()));
    assert_eq!(monit.handle(Intent::Confirm), Some(Effect::Act(pending)));
    assert_eq!(monit.mode(), &Mode::Browse);
    // A second yes means nothing.
    assert_eq!(monit.handle(Intent::Confirm), None);
}

#[test]
fn delete_answered_no_does_nothing_and_says_so() {
    let mut monit = monit_with(&["api"]);
    monit.handle(Intent::AskDelete);
    assert_eq!(monit.handle(Intent::Cancel), None);
    assert_eq!(monit.mode(), &Mode::Browse);
    assert_eq!(
        monit.notice.as_ref().map(|n| n.text.as_str()),
        Some("delete cancelled")
    );
    assert_eq!(monit.processes().len(), 1);
}

#[test]
fn history_grows_with_each_round_of_figures_and_stays_bounded() {
    let mut monit = Monit::new();
    for _ in 0..(super::history::SAMPLES + 10) {
        monit.set_list(vec![process(0, "api")], true);
    }
    let series = monit.history.get(0).expect("history");
    assert_eq!(series.len(), super::history::SAMPLES);
}

#[test]
fn a_list_without_new_figures_adds_no_sample_but_forgets_the_deleted() {
    let mut monit = monit_with(&["a", "b"]);
    monit.set_list(vec![process(0, "a"), process(1, "b")], false);
    assert_eq!(monit.history.get(0).map(|s| s.len()), Some(1));
    monit.set_list(vec![process(0, "a")], false);
    assert_eq!(monit.history.get(1), None);
}

#[test]
fn deleted_processes_lose_their_lines() {
    let mut monit = monit_with(&["a", "b"]);
    monit.logs.push(
        0,
        super::logs::Entry::new(pm2_protocol::LogStream::Out, b"x"),
    );
    monit.set_list(vec![process(1, "b")], true);
    assert!(monit.logs.lines(0).is_empty());
}

#[test]
fn an_id_reused_by_another_app_starts_afresh() {
    let mut monit = monit_with(&["api"]);
    monit.logs.push(
        0,
        super::logs::Entry::new(pm2_protocol::LogStream::Out, b"api line"),
    );
    // A new daemon gave id 0 to another app: its past lines are fetched, api's are gone.
    assert_eq!(
        monit.set_list(vec![process(0, "back")], true),
        Some(Effect::Backfill(0))
    );
    assert!(monit.logs.lines(0).is_empty());
    assert_eq!(monit.history.get(0).map(|s| s.len()), Some(1));
}

#[test]
fn notices_expire() {
    let mut monit = Monit::new();
    monit.notify("restarting api", false);
    let shown = monit.notice.as_ref().expect("notice").at;
    assert!(!monit.expire_notice(shown + Duration::from_millis(10)));
    assert!(monit.expire_notice(shown + NOTICE_FOR));
    assert!(monit.notice.is_none());
    assert!(!monit.expire_notice(Instant::now()));
}
