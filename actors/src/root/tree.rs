//! What a verb needs of the tree, cheap to clone into the task that carries it out: Root
//! hands one to each command and goes back to its mailbox, so a slow stop never holds
//! `pm2 ls` (Root never awaits a child in its handler).
//!
//! Every call made from here has a deadline: table reads [`TABLE_WAIT_MS`], verbs on apps
//! the sum of the processes' own `kill_timeout` and `listen_timeout` plus a margin.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{ProcessInfo, Target};
use ractor::{ActorRef, RpcReplyPort};
use tokio::sync::watch;

use super::command::{Reply, RootCmd};
use crate::app::{ActReply, AppMsg};
use crate::balancer::SocketCell;
use crate::error::{TreeError, TreeResult};
use crate::logsink::LogsMsg;
use crate::proc::SpecUpdate;
use crate::registry::RegistryMsg;
use crate::supervision::LiveRef;

/// Longest wait for the registry (it answers from memory).
pub const TABLE_WAIT_MS: u64 = 5000;
/// Longest wait for an App to spawn new processes (a fork and an exec each), or for Root
/// to start a new App.
pub const SPAWN_WAIT_MS: u64 = 30_000;
/// Added to the processes' own timeouts when waiting for an app to act.
const VERB_MARGIN_MS: u64 = 10_000;

/// One app as Root keeps it: its current incarnation and, for cluster apps, its sockets.
#[derive(Clone, Debug)]
pub struct AppHandle {
    /// The App actor's current incarnation.
    pub live: LiveRef<AppMsg>,
    /// Cluster apps: the listening sockets, bound for as long as the app exists.
    pub sockets: Option<SocketCell>,
}

/// Every app by name, as Root last published it.
pub type Apps = BTreeMap<String, AppHandle>;

/// The references a verb task works with.
#[derive(Clone)]
pub struct Tree {
    /// The process table.
    pub registry: LiveRef<RegistryMsg>,
    /// The log supervisor.
    pub logs: LiveRef<LogsMsg>,
    /// The apps, published by Root whenever one is added or forgotten.
    pub apps: watch::Receiver<Arc<Apps>>,
    /// `pm2:sysmonit`.
    pub sysmonit: watch::Receiver<bool>,
    /// The Monitor's latest host sample.
    pub vitals: watch::Receiver<Option<pm2_protocol::HostVitals>>,
}

impl Tree {
    /// The registry, or why it cannot answer.
    pub fn registry(&self) -> TreeResult<ActorRef<RegistryMsg>> {
        self.registry
            .get()
            .ok_or_else(|| TreeError::restarting("registry"))
    }

    /// The log supervisor, or why it cannot answer.
    pub fn logs(&self) -> TreeResult<ActorRef<LogsMsg>> {
        self.logs
            .get()
            .ok_or_else(|| TreeError::restarting("log supervisor"))
    }

    /// The host's latest vitals while `pm2:sysmonit` is on (a sample taken as it went off
    /// is not shown).
    pub fn vitals(&self) -> Option<pm2_protocol::HostVitals> {
        shown_vitals(*self.sysmonit.borrow(), &self.vitals)
    }

    /// The app called `name`, as last published.
    pub fn app(&self, name: &str) -> Option<AppHandle> {
        self.apps.borrow().get(name).cloned()
    }

    /// Carries out one command that needs no new app (starts go to the Starts actor).
    pub async fn run(&self, command: RootCmd) -> TreeResult<Reply> {
        match command {
            RootCmd::List { brief } => self.list(brief).await.map(Reply::Processes),
            RootCmd::Describe {
                targets,
                allow_empty,
            } => self
                .resolve(targets, allow_empty)
                .await
                .map(Reply::Processes),
            RootCmd::Act {
                action,
                targets,
                update_env,
                attributes,
            } => {
                let update = SpecUpdate {
                    spec: None,
                    base_env: update_env,
                    attributes,
                };
                self.act(action, targets, update).await
            }
            RootCmd::StopAll => {
                self.act(Action::Stop, vec![Target::All], SpecUpdate::default())
                    .await
            }
            RootCmd::Signal { signal, targets } => {
                let replies = self
                    .fan_out(targets, move |ids, reply| {
                        AppMsg::Signal(signal, ids, reply)
                    })
                    .await?;
                collect_signalled(replies)
            }
            RootCmd::SendLine { target, line } => {
                let replies = self
                    .fan_out(vec![target], move |ids, reply| {
                        AppMsg::SendLine(line.clone(), ids, reply)
                    })
                    .await?;
                collect(replies)
            }
            RootCmd::Watch { targets, change } => {
                let replies = self
                    .fan_out(targets, move |_, reply| AppMsg::Watch(change, reply))
                    .await?;
                collect(replies)
            }
            RootCmd::Flush { targets } => self.flush(targets).await,
            RootCmd::RecentLogs {
                targets,
                stream,
                lines,
            } => self.recent_logs(targets, stream, lines).await,
            RootCmd::ReloadLogs
            | RootCmd::Vitals
            | RootCmd::Start { .. }
            | RootCmd::Restore { .. }
            | RootCmd::Scale { .. } => Err(TreeError::failed(
                "internal: this command is answered by Root or the Starts actor",
            )),
        }
    }

    /// Every row, in id order.
    pub async fn list(&self, brief: bool) -> TreeResult<Vec<ProcessInfo>> {
        let registry = self.registry()?;
        let answer = if brief {
            ractor::call_t!(registry, RegistryMsg::ListBrief, TABLE_WAIT_MS)
        } else {
            ractor::call_t!(registry, RegistryMsg::List, TABLE_WAIT_MS)
        };
        answer.map_err(|e| TreeError::no_answer("registry", e))
    }

    /// The rows the targets name; an unknown target is [`ErrorKind::NotFound`] unless
    /// `allow_empty`.
    ///
    /// [`ErrorKind::NotFound`]: crate::error::ErrorKind::NotFound
    pub async fn resolve(
        &self,
        targets: Vec<Target>,
        allow_empty: bool,
    ) -> TreeResult<Vec<ProcessInfo>> {
        let registry = self.registry()?;
        ractor::call_t!(
            registry,
            RegistryMsg::Resolve,
            TABLE_WAIT_MS,
            targets,
            allow_empty
        )
        .map_err(|e| TreeError::no_answer("registry", e))?
    }

    /// A lifecycle verb on the processes the targets name.
    pub async fn act(
        &self,
        action: Action,
        targets: Vec<Target>,
        update: SpecUpdate,
    ) -> TreeResult<Reply> {
        let replies = self
            .fan_out(targets, move |ids, reply| AppMsg::Act {
                action,
                ids,
                update: update.clone(),
                reply,
            })
            .await?;
        collect(replies)
    }

    /// Resolves the targets, asks each app concerned with `message` (at once), and gathers
    /// the per-process outcomes.
    async fn fan_out<F>(&self, targets: Vec<Target>, message: F) -> TreeResult<Vec<ActReply>>
    where
        F: Fn(Vec<u32>, RpcReplyPort<ActReply>) -> AppMsg + Send + Sync + 'static,
    {
        let procs = self.resolve(targets, false).await?;
        let message = Arc::new(message);
        let calls = self
            .by_app(procs)
            .into_iter()
            .map(|(name, app, ids, wait)| {
                let message = message.clone();
                async move {
                    let Some(app) = app.get() else {
                        return vec![Err(TreeError::restarting(format!("app {name}")))];
                    };
                    ractor::call_t!(app, |port| message(ids, port), wait).unwrap_or_else(|e| {
                        vec![Err(TreeError::no_answer(format!("app {name}"), e))]
                    })
                }
            });
        Ok(join_all(calls).await)
    }

    /// Resolved processes grouped by app, in id order, with how long the app may take.
    fn by_app(&self, procs: Vec<ProcessInfo>) -> Vec<(String, LiveRef<AppMsg>, Vec<u32>, u64)> {
        let mut groups: BTreeMap<String, Vec<ProcessInfo>> = BTreeMap::new();
        for info in procs {
            groups.entry(info.spec.name.clone()).or_default().push(info);
        }
        let apps = self.apps.borrow().clone();
        groups
            .into_iter()
            .filter_map(|(name, procs)| {
                let live = apps.get(&name)?.live.clone();
                let wait = verb_deadline(&procs).as_millis() as u64;
                let ids = procs.iter().map(|p| p.pm_id).collect();
                Some((name, live, ids, wait))
            })
            .collect()
    }
}

/// The latest sample while `on` (`pm2:sysmonit`); none when off.
pub fn shown_vitals(
    on: bool,
    vitals: &watch::Receiver<Option<pm2_protocol::HostVitals>>,
) -> Option<pm2_protocol::HostVitals> {
    on.then(|| vitals.borrow().clone()).flatten()
}

/// How long a verb on these processes may take before its caller stops waiting.
pub fn verb_deadline(procs: &[ProcessInfo]) -> Duration {
    let own: u64 = procs
        .iter()
        .map(|p| p.spec.kill_timeout_ms + p.spec.listen_timeout_ms)
        .sum();
    Duration::from_millis(own + VERB_MARGIN_MS)
}

/// A signal's outcomes, as PM2 sends signals: to the processes that run, the others (between
/// restarts, stopped) skipped; an error only when none could be signalled.
fn collect_signalled(outcomes: Vec<ActReply>) -> TreeResult<Reply> {
    let (sent, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().flatten().partition(Result::is_ok);
    match (sent.is_empty(), failed.into_iter().find_map(Result::err)) {
        (true, Some(error)) => Err(error),
        _ => collect(vec![sent]),
    }
}

/// Flattens per-app outcomes into one answer: the processes in id order, or the first error.
pub fn collect(outcomes: Vec<ActReply>) -> TreeResult<Reply> {
    let mut procs = outcomes
        .into_iter()
        .flatten()
        .collect::<TreeResult<Vec<_>>>()?;
    procs.sort_by_key(|p| p.pm_id);
    Ok(Reply::Processes(procs))
}
