//! The dashboard's model: the process list as last received, which row is selected, the
//! filter, the question being asked, the link to the daemon, and what each [`Intent`] does
//! to them. Plain data and functions: no terminal, no socket, no clock but notices' age,
//! so selection, filtering and the delete confirmation are tested without either.
//!
//! What must happen outside (quit, send an action, fetch a process's past lines) comes back
//! as an [`Effect`] for the event loop to carry out.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use pm2_protocol::{Action, HostVitals, ProcessInfo};

use super::history::History;
use super::keys::Intent;
use super::logs::LogBuffers;

/// How long a notice (an action's outcome) stays on screen.
pub const NOTICE_FOR: Duration = Duration::from_secs(5);

/// What the keys are doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Moving in the list; letters act on the selected process.
    Browse,
    /// Typing a filter; letters go to the filter.
    Filter,
    /// Waiting for yes or no to an action that cannot be undone.
    Confirm(Pending),
}

/// An action on one process, asked for and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The verb.
    pub action: Action,
    /// The process.
    pub pm_id: u32,
    /// Its app name, for messages.
    pub name: String,
}

/// Whether the daemon answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Not connected yet.
    Connecting,
    /// Connected.
    Up,
    /// The daemon went away (or never answered): why; reconnecting.
    Down(String),
}

/// A short message about the last action, shown for [`NOTICE_FOR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The message.
    pub text: String,
    /// Drawn in red.
    pub error: bool,
    /// When it was shown.
    pub at: Instant,
}

/// What the event loop must do after an intent or a new list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the dashboard.
    Quit,
    /// Send this action to the daemon.
    Act(Pending),
    /// Fetch what this process's log files held before the dashboard opened.
    Backfill(u32),
}

/// Everything the dashboard shows.
#[derive(Debug)]
pub struct Monit {
    procs: Vec<ProcessInfo>,
    loaded: bool,
    selected: Option<u32>,
    filter: String,
    mode: Mode,
    backfilled: BTreeSet<u32>,
    /// Whether the daemon answers.
    pub link: Link,
    /// The host's vitals, when `pm2:sysmonit` is on.
    pub vitals: Option<HostVitals>,
    /// Recent cpu and memory of each process.
    pub history: History,
    /// Recent output of each process.
    pub logs: LogBuffers,
    /// The last action's outcome.
    pub notice: Option<Notice>,
}

impl Default for Monit {
    fn default() -> Self {
        Monit::new()
    }
}

impl Monit {
    /// Nothing received yet, connecting.
    pub fn new() -> Monit {
        Monit {
            procs: Vec::new(),
            loaded: false,
            selected: None,
            filter: String::new(),
            mode: Mode::Browse,
            backfilled: BTreeSet::new(),
            link: Link::Connecting,
            vitals: None,
            history: History::default(),
            logs: LogBuffers::default(),
            notice: None,
        }
    }

    /// Every process, by name then id (PM2's order), as last received.
    pub fn processes(&self) -> &[ProcessInfo] {
        &self.procs
    }

    /// True once a list was received (an empty list included).
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// What the keys are doing.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The filter, empty when none.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The processes whose name contains the filter (ignoring case), in list order.
    pub fn visible(&self) -> Vec<&ProcessInfo> {
        let needle = self.filter.to_lowercase();
        self.procs
            .iter()
            .filter(|p| needle.is_empty() || p.spec.name.to_lowercase().contains(&needle))
            .collect()
    }

    /// The selected process, if it is visible.
    pub fn selected(&self) -> Option<&ProcessInfo> {
        let id = self.selected?;
        self.visible().into_iter().find(|p| p.pm_id == id)
    }

    /// The selected row among [`Monit::visible`].
    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected?;
        self.visible().iter().position(|p| p.pm_id == id)
    }

    /// Takes a fresh process list, sorted by name as PM2's dashboard does: records its
    /// samples when it brings a new round of figures (`sampled`), forgets deleted processes,
    /// and keeps the selection on the same process (or the row where it was, when it is gone).
    pub fn set_list(&mut self, mut procs: Vec<ProcessInfo>, sampled: bool) -> Option<Effect> {
        let hint = self.selected_index().unwrap_or(0);
        procs.sort_by(|a, b| (&a.spec.name, a.pm_id).cmp(&(&b.spec.name, b.pm_id)));
        // An id now held by another app (a new daemon reused it) starts afresh.
        for p in &procs {
            let before = self.procs.iter().find(|old| old.pm_id == p.pm_id);
            if before.is_some_and(|old| old.spec.name != p.spec.name) {
                self.history.forget(p.pm_id);
                self.backfilled.remove(&p.pm_id);
                self.logs.retain(|id| id != p.pm_id);
            }
        }
        if sampled {
            self.history.record(&procs);
        } else {
            self.history.retain(&procs);
        }
        self.logs.retain(|id| procs.iter().any(|p| p.pm_id == id));
        self.backfilled
            .retain(|id| procs.iter().any(|p| p.pm_id == *id));
        self.procs = procs;
        self.loaded = true;
        self.reselect(hint)
    }

    /// Shows a message about an action.
    pub fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            error,
            at: Instant::now(),
        });
    }

    /// Drops the notice once it is older than [`NOTICE_FOR`]; true if it did.
    pub fn expire_notice(&mut self, now: Instant) -> bool {
        let old = self
            .notice
            .as_ref()
            .is_some_and(|n| now.duration_since(n.at) >= NOTICE_FOR);
        if old {
            self.notice = None;
        }
        old
    }

    /// Applies what a key asked for.
    pub fn handle(&mut self, intent: Intent) -> Option<Effect> {
        match intent {
            Intent::Quit => Some(Effect::Quit),
            Intent::Move(delta) => self.move_by(delta),
            Intent::First => self.select_index(0),
            Intent::Last => self.select_index(usize::MAX),
            Intent::Act(action) => self.pending(action).map(Effect::Act),
            Intent::AskDelete => {
                self.mode = Mode::Confirm(self.pending(Action::Delete)?);
                None
            }
            Intent::Confirm => match std::mem::replace(&mut self.mode, Mode::Browse) {
                Mode::Confirm(pending) => Some(Effect::Act(pending)),
                other => {
                    self.mode = other;
                    None
                }
            },
            Intent::Cancel => {
                if matches!(self.mode, Mode::Confirm(_)) {
                    self.mode = Mode::Browse;
                    self.notify("delete cancelled", false);
                }
                None
            }
            Intent::OpenFilter => {
                self.mode = Mode::Filter;
                None
            }
            Intent::FilterPush(c) => self.edit_filter(|f| f.push(c)),
            Intent::FilterPop => self.edit_filter(|f| {
                f.pop();
            }),
            Intent::KeepFilter => {
                self.mode = Mode::Browse;
                None
            }
            Intent::ClearFilter => {
                self.mode = Mode::Browse;
                self.edit_filter(String::clear)
            }
        }
    }

    fn pending(&self, action: Action) -> Option<Pending> {
        let p = self.selected()?;
        Some(Pending {
            action,
            pm_id: p.pm_id,
            name: p.spec.name.clone(),
        })
    }

    fn edit_filter(&mut self, edit: impl FnOnce(&mut String)) -> Option<Effect> {
        let hint = self.selected_index().unwrap_or(0);
        edit(&mut self.filter);
        self.reselect(hint)
    }

    fn move_by(&mut self, delta: isize) -> Option<Effect> {
        let Some(current) = self.selected_index() else {
            return self.select_index(0);
        };
        let last = self.visible().len().saturating_sub(1);
        let target = current.saturating_add_signed(delta).min(last);
        if target == current {
            return None;
        }
        self.select_index(target)
    }

    /// Keeps the selected process if visible, else selects the row at `hint` (clamped).
    fn reselect(&mut self, hint: usize) -> Option<Effect> {
        if self.selected_index().is_some() {
            return self.backfill_selected();
        }
        self.select_index(hint)
    }

    /// Selects the visible row `index` (clamped to the last); none when nothing is visible.
    fn select_index(&mut self, index: usize) -> Option<Effect> {
        let visible = self.visible();
        let chosen = visible
            .get(index.min(visible.len().saturating_sub(1)))
            .map(|p| p.pm_id);
        self.selected = chosen;
        self.backfill_selected()
    }

    /// The first time a process is selected, its past lines are fetched.
    fn backfill_selected(&mut self) -> Option<Effect> {
        let id = self.selected()?.pm_id;
        self.backfilled.insert(id).then_some(Effect::Backfill(id))
    }
}
