//! Watch: one per watched app, a child of its App. Restarts the app when files under its
//! watched paths change (`watch`, `ignore_watch`, `watch_delay`, `watch_options`), once
//! per burst of changes.
//!
//! - [`filter`]: which paths count (globs, PM2's default, the daemon's own files).
//! - [`burst`]: when to restart (pure timing, unit-tested).
//! - [`sensor`]: notify's handler, one message per burst.
//! - [`tree`]: the OS side, the notify backend and the folders watched.
//!
//! A restart goes through the App ([`AppMsg::RestartAll`]) like `pm2 restart <app>`, so it
//! is counted in `restart_time`; `pm2.log` says `Change detected on path <path> for app
//! <name> - restarting` as PM2 does. A watch that cannot be set up (a path that does not
//! exist, the inotify limit) is reported in `pm2.log` and never fails the actor: the app
//! keeps running, unwatched where it cannot be watched.

pub mod burst;
pub mod filter;
mod sensor;
pub mod tree;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pm2_protocol::WatchSpec;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::app::AppMsg;
use burst::{Burst, Check};
use filter::Filter;
use sensor::Sensor;
use tree::{Added, Backend};

/// What a Watch runs: the app's watch spec and what is never a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPlan {
    /// The app's working directory: relative paths and patterns start there.
    pub cwd: PathBuf,
    /// The app's watch options.
    pub spec: WatchSpec,
    /// `PM2_HOME`, never watched (pid files, `pm2.log`, logs).
    pub home: Option<PathBuf>,
    /// The processes' log and pid files, never a change.
    pub own_files: Vec<PathBuf>,
}

/// How a Watch is started.
#[derive(Clone)]
pub struct WatchArgs {
    /// The app's name, for the log.
    pub app: String,
    /// What to watch.
    pub plan: WatchPlan,
    /// The App, asked to restart its processes.
    pub restarter: ActorRef<AppMsg>,
}

/// What a Watch is told.
#[derive(Debug)]
pub enum WatchMsg {
    /// The first change of a burst, at this path.
    Changed(PathBuf),
    /// Time to look whether the burst went quiet.
    Check,
    /// The restart asked for is done.
    Restarted,
    /// A folder appeared under a watched one: watch it too.
    NewFolder(PathBuf),
    /// A walk is done (the first: watching has started).
    Walked(Added),
}

/// The Watch actor.
#[derive(Clone)]
pub struct Watch;

/// A Watch's state.
pub struct WatchState {
    args: WatchArgs,
    sensor: Arc<Sensor>,
    burst: Burst,
    /// The initial walk is done.
    started: bool,
    /// `None` when the backend could not be created; shared with the walks, which run on
    /// blocking threads.
    backend: Arc<Mutex<Option<Backend>>>,
}

impl Actor for Watch {
    type Msg = WatchMsg;
    type State = WatchState;
    type Arguments = WatchArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<WatchMsg>,
        args: WatchArgs,
    ) -> Result<WatchState, ActorProcessingErr> {
        let plan = &args.plan;
        let roots = tree::roots(&plan.cwd, &plan.spec);
        let (filter, bad_patterns) = Filter::new(
            &plan.cwd,
            roots.clone(),
            plan.spec.ignore.as_deref(),
            plan.home.iter().cloned().collect(),
            plan.own_files.clone(),
        );
        let filter = filter.only_extensions(&plan.spec.extensions);
        for problem in bad_patterns {
            tracing::warn!(app = %args.app, "{problem}; ignored");
        }
        let first_root = roots.first().cloned().unwrap_or_else(|| plan.cwd.clone());
        let sensor = Arc::new(Sensor::new(
            &args.app,
            Arc::new(filter),
            first_root,
            myself.clone(),
        ));
        let handler = {
            let sensor = sensor.clone();
            move |event| sensor.on_event(event)
        };
        let backend = match tree::backend(&plan.spec, handler) {
            Ok(backend) => Some(backend),
            Err(e) => {
                tracing::error!(app = %args.app, "[Watch] cannot watch: {e}");
                None
            }
        };
        let state = WatchState {
            burst: Burst::new(Duration::from_millis(plan.spec.delay_ms)),
            started: false,
            sensor,
            backend: Arc::new(Mutex::new(backend)),
            args,
        };
        state.walk(&myself, roots);
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<WatchMsg>,
        msg: WatchMsg,
        state: &mut WatchState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WatchMsg::Changed(path) => state.changed(&myself, path),
            WatchMsg::Check => state.check(&myself),
            WatchMsg::Restarted => {
                state.burst.restarted();
                state.sensor.rearm();
            }
            WatchMsg::NewFolder(path) => state.walk(&myself, vec![path]),
            WatchMsg::Walked(added) => {
                if !std::mem::replace(&mut state.started, true) {
                    // PM2's words, once every folder has its watch.
                    tracing::info!("[Watch] Start watching {}", state.args.app);
                }
                tracing::debug!(app = %state.args.app, folders = added.folders, "watching");
                for problem in added.problems.iter().take(5) {
                    tracing::warn!(app = %state.args.app, "[Watch] {problem}");
                }
                if added.problems.len() > 5 {
                    let more = added.problems.len() - 5;
                    tracing::warn!(app = %state.args.app, "[Watch] ... and {more} more");
                }
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<WatchMsg>,
        state: &mut WatchState,
    ) -> Result<(), ActorProcessingErr> {
        // A walk still running holds the lock and its own reference: the backend then goes
        // when the walk ends.
        if let Ok(mut backend) = state.backend.try_lock() {
            backend.take();
        }
        tracing::info!("[Watch] Stop watching {}", state.args.app);
        Ok(())
    }
}

impl WatchState {
    /// Adds watches for `tops` on a blocking thread (a large tree takes a while to walk),
    /// then reports to the actor.
    fn walk(&self, myself: &ActorRef<WatchMsg>, tops: Vec<PathBuf>) {
        let backend = self.backend.clone();
        let sensor = self.sensor.clone();
        let follow = self.args.plan.spec.follow_symlinks;
        let myself = myself.clone();
        // Walking a tree is blocking file-system work: off the runtime's threads; its result
        // comes back as a message, and a Watch restarted meanwhile ignores a stale one.
        tokio::task::spawn_blocking(move || {
            let mut added = Added::default();
            let Ok(mut guard) = backend.lock() else {
                return;
            };
            let Some(watcher) = guard.as_mut() else {
                return;
            };
            for top in tops {
                added.merge(tree::add_tree(
                    watcher.as_mut(),
                    &top,
                    sensor.filter(),
                    follow,
                ));
            }
            drop(guard);
            let _ = myself.cast(WatchMsg::Walked(added));
        });
    }

    fn changed(&mut self, myself: &ActorRef<WatchMsg>, path: PathBuf) {
        let Some(wait) = self.burst.changed(Instant::now()) else {
            return;
        };
        let plan = &self.args.plan;
        let shown = match path.strip_prefix(&plan.cwd) {
            // The cwd itself (a polling watcher reports the folder whose listing changed).
            Ok(relative) if relative.as_os_str().is_empty() => Path::new("."),
            Ok(relative) => relative,
            Err(_) => &path,
        };
        // PM2's words (lib/Watcher.js), the path relative to the app's cwd as chokidar gives.
        tracing::info!(
            "Change detected on path {} for app {} - restarting",
            shown.display(),
            self.args.app
        );
        myself.send_after(wait, || WatchMsg::Check);
    }

    fn check(&mut self, myself: &ActorRef<WatchMsg>) {
        match self.burst.check(Instant::now(), self.sensor.last_change()) {
            Check::Restart => {
                let app = self.args.restarter.clone();
                let myself = myself.clone();
                let name = self.args.app.clone();
                // The restart waits for the app's stops: in a task, so the Watch keeps collecting
                // changes; it reports back by message (bounded by RESTART_ALL_WAIT_MS).
                tokio::spawn(async move {
                    match ractor::call_t!(app, AppMsg::RestartAll, crate::app::RESTART_ALL_WAIT_MS)
                    {
                        Ok(outcomes) => {
                            for error in outcomes.into_iter().filter_map(Result::err) {
                                tracing::warn!(app = %name, "[Watch] restart: {error}");
                            }
                        }
                        Err(e) => tracing::warn!(app = %name, "[Watch] restart: {e}"),
                    }
                    let _ = myself.cast(WatchMsg::Restarted);
                });
            }
            Check::Wait(wait) => {
                myself.send_after(wait, || WatchMsg::Check);
            }
            Check::Nothing => {}
        }
    }
}
