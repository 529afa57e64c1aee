//! Cron: one per app with `cron_restart`, a child of its App. At each time the expression
//! matches it restarts every process of the app, or starts it when it is stopped, as PM2 7
//! does (its cron job calls `restartProcessId` whatever the status; `pm2 stop` warns that
//! the cron is still up). It goes with the App, so `pm2 delete` ends it.
//!
//! The next time is taken from the wall clock, and the actor sleeps at most
//! [`MAX_SLEEP`] at a time, so a clock set forward or a suspended machine does not leave it
//! waiting on a stale timer; a time missed meanwhile gives one restart, not a catch-up.

use std::time::Duration;

use chrono::{DateTime, Local};
use pm2_protocol::cron::CronSchedule;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::app::AppMsg;

/// Longest single sleep before the wall clock is looked at again.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// How a Cron is started.
#[derive(Clone)]
pub struct CronArgs {
    /// The app's name, for the log.
    pub app: String,
    /// When to restart.
    pub schedule: CronSchedule,
    /// The App, asked to restart its processes.
    pub restarter: ActorRef<AppMsg>,
}

/// What a Cron is told.
#[derive(Debug)]
pub enum CronMsg {
    /// A timer ran out: restart if the time has come, else sleep again.
    Tick,
}

/// The Cron actor.
#[derive(Clone)]
pub struct Cron;

/// A Cron's state.
pub struct CronState {
    args: CronArgs,
    /// The next time to restart; `None` once the schedule has no more.
    due: Option<DateTime<Local>>,
}

impl Actor for Cron {
    type Msg = CronMsg;
    type State = CronState;
    type Arguments = CronArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<CronMsg>,
        args: CronArgs,
    ) -> Result<CronState, ActorProcessingErr> {
        // PM2's words (lib/Worker.js), naming the app where PM2 names a process id.
        tracing::info!(
            "[PM2][WORKER] Registering a cron job on: {} ({})",
            args.app,
            args.schedule.as_str()
        );
        let state = CronState {
            due: args.schedule.next_after(Local::now()),
            args,
        };
        state.sleep(&myself);
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<CronMsg>,
        msg: CronMsg,
        state: &mut CronState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CronMsg::Tick => state.tick(&myself),
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<CronMsg>,
        state: &mut CronState,
    ) -> Result<(), ActorProcessingErr> {
        tracing::info!("[PM2] Deregistering a cron job on: {}", state.args.app);
        Ok(())
    }
}

impl CronState {
    fn sleep(&self, myself: &ActorRef<CronMsg>) {
        let Some(due) = self.due else {
            tracing::warn!(app = %self.args.app, "cron_restart {:?} matches no later time", self.args.schedule.as_str());
            return;
        };
        let wait = (due - Local::now()).to_std().unwrap_or(Duration::ZERO);
        myself.send_after(wait.min(MAX_SLEEP), || CronMsg::Tick);
    }

    fn tick(&mut self, myself: &ActorRef<CronMsg>) {
        let Some(due) = self.due else {
            return;
        };
        let now = Local::now();
        if now < due {
            return self.sleep(myself);
        }
        tracing::info!(
            "cron_restart {:?}: restarting app {}",
            self.args.schedule.as_str(),
            self.args.app
        );
        let app = self.args.restarter.clone();
        let name = self.args.app.clone();
        // The restart waits for the app's stops: in a task, so the Cron keeps its clock; the
        // call is bounded by RESTART_ALL_WAIT_MS.
        tokio::spawn(async move {
            match ractor::call_t!(app, AppMsg::RestartAll, crate::app::RESTART_ALL_WAIT_MS) {
                Ok(outcomes) => {
                    for error in outcomes.into_iter().filter_map(Result::err) {
                        tracing::warn!(app = %name, "cron restart: {error}");
                    }
                }
                Err(e) => tracing::warn!(app = %name, "cron restart: {e}"),
            }
        });
        self.due = self.args.schedule.next_after(now.max(due));
        self.sleep(myself);
    }
}
