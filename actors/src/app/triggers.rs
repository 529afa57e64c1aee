//! An App's restart triggers: its Watch child (files changed) and Cron child
//! (`cron_restart`), kept in line with its processes' specs.
//!
//! Both are supervised children of the App, like its Procs: a failed one is restarted by
//! the App's strategy, and both end with the App (`pm2 delete`). They are started, replaced
//! or stopped by [`AppState::reconcile`] whenever the specs may have changed: processes
//! added or removed, a restart with new settings, watching turned on or off.
//!
//! Watching is per app, as the one watcher restarts the whole app (PM2 keeps one per
//! process, each restarting the app by name); `pm2 stop` of any of its processes turns it
//! off, as PM2's stop does.

use crate::error::TreeError;
use std::path::PathBuf;
use std::sync::Arc;

use pm2_protocol::cron::CronSchedule;
use pm2_protocol::WatchChange;
use ractor::{Actor, ActorRef, RpcReplyPort};

use super::{ActReply, AppMsg, AppState};
use crate::cron::{Cron, CronArgs};
use crate::proc::ProcMsg;
use crate::supervision::ChildSpec;
use crate::watch::{Watch, WatchArgs, WatchPlan};

const WATCH_KEY: &str = "watch";
const CRON_KEY: &str = "cron";

/// What the triggers currently run.
#[derive(Debug, Default)]
pub(super) struct Triggers {
    watch: Option<WatchPlan>,
    cron: Option<String>,
    /// The app is being deleted: start nothing again.
    ended: bool,
}

impl AppState {
    /// Starts, replaces or stops the Watch and Cron children to match the specs (the first
    /// process's: all of an app's processes share one).
    pub(super) async fn reconcile(&mut self, myself: &ActorRef<AppMsg>) {
        let (watch, cron) = if self.triggers.ended {
            (None, None)
        } else {
            self.wanted()
        };
        if watch != self.triggers.watch {
            self.supervisor.remove_child(WATCH_KEY).await;
            self.triggers.watch = None;
            if let Some(plan) = watch {
                self.start_watch(myself, plan).await;
            }
        }
        if cron != self.triggers.cron {
            self.supervisor.remove_child(CRON_KEY).await;
            self.triggers.cron = None;
            if let Some(text) = cron {
                self.start_cron(myself, text).await;
            }
        }
    }

    /// Stops both triggers for good: the app is being deleted.
    pub(super) async fn end_triggers(&mut self, myself: &ActorRef<AppMsg>) {
        self.triggers.ended = true;
        self.reconcile(myself).await;
    }

    /// Turns watching on, off or over for every process of the app (each Proc writes its
    /// own spec); true when it is on.
    pub(super) async fn set_watch(&mut self, change: WatchChange) -> bool {
        let actors = self.proc_actors();
        let on = match change {
            WatchChange::Enable => true,
            WatchChange::Disable => false,
            WatchChange::Toggle => !self.rows.values().any(|row| row.spec.watch.enabled),
        };
        for actor in &actors {
            match ractor::call_t!(actor, ProcMsg::SetWatch, 5000, on) {
                Ok(row) => {
                    self.rows.insert(row.pm_id, row);
                }
                Err(e) => tracing::warn!("cannot change watching of a process: {e}"),
            }
        }
        on
    }

    /// [`AppMsg::Watch`]: changes watching, then answers every process's row as its Proc
    /// answered the change.
    pub(super) async fn change_watch(
        &mut self,
        myself: &ActorRef<AppMsg>,
        change: WatchChange,
        reply: RpcReplyPort<ActReply>,
    ) {
        self.set_watch(change).await;
        self.reconcile(myself).await;
        let ids: Vec<u32> = self.args.store.procs().keys().copied().collect();
        let rows = ids
            .into_iter()
            .map(|pm_id| {
                self.rows
                    .get(&pm_id)
                    .cloned()
                    .ok_or_else(|| TreeError::restarting(format!("process {pm_id}")))
            })
            .collect();
        let _ = reply.send(rows);
    }

    /// Every process id of the app, for a restart of all of them.
    pub(super) fn all_ids(&self) -> Vec<u32> {
        self.args.store.procs().keys().copied().collect()
    }

    /// The Watch and Cron the app's processes ask for (the first one's spec: an app's
    /// processes share one), from the rows the Procs answered.
    fn wanted(&self) -> (Option<WatchPlan>, Option<String>) {
        let Some(first) = self.rows.values().next() else {
            return (None, None);
        };
        let spec = &first.spec;
        let watch = spec.watch.enabled.then(|| {
            let mut own_files: Vec<PathBuf> = Vec::new();
            for row in self.rows.values() {
                own_files.extend(
                    [&row.out_log, &row.err_log, &row.combined_log]
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
                own_files.push(row.pid_file.clone());
            }
            own_files.sort();
            own_files.dedup();
            WatchPlan {
                cwd: spec.cwd.clone(),
                spec: spec.watch.clone(),
                home: self.args.pm2_home.as_ref().map(PathBuf::from),
                own_files,
            }
        });
        (watch, spec.cron_restart.clone())
    }

    async fn start_watch(&mut self, myself: &ActorRef<AppMsg>, plan: WatchPlan) {
        let args = WatchArgs {
            app: self.name(),
            plan: plan.clone(),
            restarter: myself.clone(),
        };
        let spec = child_spec(WATCH_KEY, Watch, move || args.clone());
        match self.supervisor.start_child(myself.get_cell(), spec).await {
            Ok(_) => self.triggers.watch = Some(plan),
            Err(e) => tracing::error!(app = %self.name(), "cannot start watching: {e}"),
        }
    }

    async fn start_cron(&mut self, myself: &ActorRef<AppMsg>, text: String) {
        // The frontends checked it; a spec from elsewhere (a dump) may still be bad.
        let schedule = match CronSchedule::parse(&text) {
            Ok(schedule) => schedule,
            Err(e) => {
                tracing::error!(app = %self.name(), "{e}; no cron restart");
                return;
            }
        };
        let args = CronArgs {
            app: self.name(),
            schedule,
            restarter: myself.clone(),
        };
        let spec = child_spec(CRON_KEY, Cron, move || args.clone());
        match self.supervisor.start_child(myself.get_cell(), spec).await {
            Ok(_) => self.triggers.cron = Some(text),
            Err(e) => tracing::error!(app = %self.name(), "cannot start cron_restart: {e}"),
        }
    }

    fn name(&self) -> String {
        self.rows
            .values()
            .next()
            .map(|row| row.spec.name.clone())
            .unwrap_or_default()
    }
}

/// A child spec starting `actor` with fresh arguments at each incarnation.
fn child_spec<A, F>(key: &str, actor: A, args: F) -> ChildSpec
where
    A: Actor + Clone + Sync,
    F: Fn() -> A::Arguments + Send + Sync + 'static,
{
    ChildSpec {
        key: key.to_string(),
        spawn: Arc::new(move |supervisor| {
            let actor = actor.clone();
            let args = args();
            Box::pin(async move {
                let (started, _) = Actor::spawn_linked(None, actor, args, supervisor).await?;
                Ok(started.get_cell())
            })
        }),
    }
}
