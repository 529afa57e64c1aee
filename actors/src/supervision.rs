//! OTP supervision, written once and used by every supervisor of the tree (Root, Logs, App).
//!
//! ractor reports a child's end to its parent but never restarts anything, and its default
//! `handle_supervisor_evt` stops the parent. [`Supervisor`] is the piece each supervising actor
//! keeps in its state and feeds its supervision events to. It knows three strategies
//! ([`Strategy`]): `one_for_one` restarts the failed child, `one_for_all` stops the others
//! (gracefully, in reverse start order) and starts all again, `rest_for_one` does that for
//! the children started after the failed one. Restart intensity ([`Intensity`]) bounds how many
//! restarts happen within a period; past it the supervisor fails too, which escalates to its
//! own parent.
//!
//! Why not `ractor-supervisor`: it stops siblings with `kill()` (no `post_stop`, so an OS child
//! gets no signal), names children in ractor's global registry and waits on names with sleeps.
//! Here siblings are stopped with `stop_and_wait`, children are keyed in our own map, and
//! state that must outlive an incarnation (an OS process, counters) lives in a store captured
//! by the child's spawn function, so a restarted child adopts it instead of starting afresh.
//!
//! Children are *transient*: a child that stops normally is forgotten, one that fails
//! (error, panic or kill) is restarted by the strategy. "Normally" means one of our own
//! [`StopReason`]s (or none): anything else, ractor's `killed` included, is a failure.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use ractor::{ActorCell, ActorId, ActorRef, Message, SpawnErr, SupervisionEvent};

/// How long a supervisor waits for one child to stop gracefully before killing it.
pub const CHILD_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Which children restart when one fails: declared by an app's spec (`strategy`), so it
/// lives in the protocol crate.
pub use pm2_protocol::Strategy;

/// At most `max_restarts` restarts within `period`; one more and the supervisor gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed within the period.
    pub max_restarts: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Default for Intensity {
    /// OTP's default: 3 restarts in 5 seconds.
    fn default() -> Self {
        Self {
            max_restarts: 3,
            period: Duration::from_secs(5),
        }
    }
}

/// Why one of our actors stops on purpose. A child that ends with any other reason (a
/// panic, an error, `kill()`) has failed and its supervisor applies the strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Its supervisor stopped it (removed, or restarting its siblings).
    Supervisor,
    /// Its last process was deleted (an App).
    Deleted,
    /// The daemon or runtime is exiting.
    Shutdown,
}

impl StopReason {
    /// The reason as ractor carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Supervisor => "supervisor",
            StopReason::Deleted => "deleted",
            StopReason::Shutdown => "shutdown",
        }
    }

    /// For `ActorRef::stop` and `stop_and_wait`.
    pub fn reason(self) -> Option<String> {
        Some(self.as_str().to_string())
    }

    /// True when an actor that ended with `reason` stopped on purpose: no reason at all (a
    /// plain `stop(None)`) or one of ours.
    pub fn is_normal(reason: Option<&str>) -> bool {
        match reason {
            None => true,
            Some(text) => [
                StopReason::Supervisor,
                StopReason::Deleted,
                StopReason::Shutdown,
            ]
            .iter()
            .any(|r| r.as_str() == text),
        }
    }
}

/// Starts one incarnation of a child, linked to the given supervisor.
pub type SpawnFn =
    Arc<dyn Fn(ActorCell) -> BoxFuture<'static, Result<ActorCell, SpawnErr>> + Send + Sync>;

/// A child as its supervisor knows it: a key and how to start it (again).
#[derive(Clone)]
pub struct ChildSpec {
    /// Unique among the supervisor's children (`registry`, `proc-3`).
    pub key: String,
    /// Starts an incarnation.
    pub spawn: SpawnFn,
}

impl std::fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildSpec").field("key", &self.key).finish()
    }
}

/// Why a supervisor gave up.
#[derive(Debug, thiserror::Error)]
pub enum SupervisionError {
    /// Too many restarts within the period: escalate to the parent.
    #[error("{restarts} restarts within {period:?} exceeds the restart intensity; escalating")]
    IntensityExceeded {
        /// Restarts counted in the window.
        restarts: usize,
        /// The window.
        period: Duration,
    },
    /// A child could not be started again.
    #[error("cannot restart child {key}: {source}")]
    Spawn {
        /// The child.
        key: String,
        /// The cause.
        source: SpawnErr,
    },
}

/// What happened to a supervision event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not about a current child (or a start notice): nothing done.
    Ignored,
    /// A child stopped normally and was forgotten.
    Forgotten(String),
    /// These children were restarted, in start order.
    Restarted(Vec<String>),
}

struct Child {
    spec: ChildSpec,
    cell: Option<ActorCell>,
}

/// The supervision logic a supervising actor keeps in its state.
pub struct Supervisor {
    strategy: Strategy,
    intensity: Intensity,
    children: Vec<Child>,
    restarts: VecDeque<Instant>,
}

impl Supervisor {
    /// A supervisor with no children yet.
    pub fn new(strategy: Strategy, intensity: Intensity) -> Self {
        Self {
            strategy,
            intensity,
            children: Vec::new(),
            restarts: VecDeque::new(),
        }
    }

    /// The strategy in force.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Starts a child and remembers it (last in start order).
    pub async fn start_child(
        &mut self,
        supervisor: ActorCell,
        spec: ChildSpec,
    ) -> Result<ActorCell, SpawnErr> {
        let cell = (spec.spawn)(supervisor).await?;
        self.children.push(Child {
            spec,
            cell: Some(cell.clone()),
        });
        Ok(cell)
    }

    /// The current incarnation of a child.
    pub fn child(&self, key: &str) -> Option<&ActorCell> {
        self.children
            .iter()
            .find(|c| c.spec.key == key)
            .and_then(|c| c.cell.as_ref())
    }

    /// Keys of the children, in start order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.children.iter().map(|c| c.spec.key.as_str())
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// True when there are no children.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Forgets a child and stops it gracefully; its end is then not restarted.
    pub async fn remove_child(&mut self, key: &str) {
        if let Some(index) = self.children.iter().position(|c| c.spec.key == key) {
            let child = self.children.remove(index);
            if let Some(cell) = child.cell {
                stop_gracefully(&cell).await;
            }
        }
    }

    /// Stops every child gracefully, last started first, and forgets them.
    pub async fn stop_all(&mut self) {
        while let Some(child) = self.children.pop() {
            if let Some(cell) = child.cell {
                stop_gracefully(&cell).await;
            }
        }
    }

    /// Applies the strategy to a supervision event. An error means the supervisor must fail
    /// (return it from `handle_supervisor_evt`) so that its parent decides.
    pub async fn handle_event(
        &mut self,
        supervisor: ActorCell,
        event: SupervisionEvent,
    ) -> Result<Outcome, SupervisionError> {
        let (id, failed) = match &event {
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                (cell.get_id(), !StopReason::is_normal(reason.as_deref()))
            }
            SupervisionEvent::ActorFailed(cell, _) => (cell.get_id(), true),
            _ => return Ok(Outcome::Ignored),
        };
        drop(event);
        let Some(index) = self.index_of(id) else {
            return Ok(Outcome::Ignored);
        };
        if !failed {
            let child = self.children.remove(index);
            return Ok(Outcome::Forgotten(child.spec.key));
        }
        self.children[index].cell = None;
        self.count_restart()?;
        let affected: Vec<usize> = match self.strategy {
            Strategy::OneForOne => vec![index],
            Strategy::OneForAll => (0..self.children.len()).collect(),
            Strategy::RestForOne => (index..self.children.len()).collect(),
        };
        for &i in affected.iter().rev() {
            if let Some(cell) = self.children[i].cell.take() {
                stop_gracefully(&cell).await;
            }
        }
        let mut restarted = Vec::with_capacity(affected.len());
        for i in affected {
            let spec = self.children[i].spec.clone();
            let cell = (spec.spawn)(supervisor.clone()).await.map_err(|source| {
                SupervisionError::Spawn {
                    key: spec.key.clone(),
                    source,
                }
            })?;
            self.children[i].cell = Some(cell);
            restarted.push(spec.key);
        }
        Ok(Outcome::Restarted(restarted))
    }

    fn index_of(&self, id: ActorId) -> Option<usize> {
        self.children
            .iter()
            .position(|c| c.cell.as_ref().map(|cell| cell.get_id()) == Some(id))
    }

    fn count_restart(&mut self) -> Result<(), SupervisionError> {
        let now = Instant::now();
        while let Some(first) = self.restarts.front() {
            if now.duration_since(*first) > self.intensity.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.push_back(now);
        if self.restarts.len() > self.intensity.max_restarts as usize {
            return Err(SupervisionError::IntensityExceeded {
                restarts: self.restarts.len(),
                period: self.intensity.period,
            });
        }
        Ok(())
    }
}

async fn stop_gracefully(cell: &ActorCell) {
    if cell
        .stop_and_wait(StopReason::Supervisor.reason(), Some(CHILD_STOP_TIMEOUT))
        .await
        .is_err()
    {
        cell.kill();
    }
}

/// The current incarnation of a supervised actor, kept up to date by its spawn function.
///
/// Senders hold a `LiveRef` rather than an `ActorRef`, so that after a restart their
/// messages reach the new incarnation. This replaces ractor's global name registry.
pub struct LiveRef<M: Message> {
    current: Arc<RwLock<Option<ActorRef<M>>>>,
}

impl<M: Message> std::fmt::Debug for LiveRef<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.get().map(|actor| actor.get_id());
        f.debug_struct("LiveRef").field("current", &id).finish()
    }
}

impl<M: Message> Clone for LiveRef<M> {
    fn clone(&self) -> Self {
        Self {
            current: self.current.clone(),
        }
    }
}

impl<M: Message> Default for LiveRef<M> {
    fn default() -> Self {
        Self {
            current: Arc::new(RwLock::new(None)),
        }
    }
}

impl<M: Message> LiveRef<M> {
    /// Records a new incarnation.
    pub fn set(&self, actor: ActorRef<M>) {
        if let Ok(mut slot) = self.current.write() {
            *slot = Some(actor);
        }
    }

    /// The current incarnation, if started and not ended: between a child's death and its
    /// restart there is none, so a caller gets "restarting" at once instead of a message
    /// lost to a dead mailbox.
    pub fn get(&self) -> Option<ActorRef<M>> {
        use ractor::ActorStatus;
        self.current
            .read()
            .ok()
            .and_then(|slot| slot.clone())
            .filter(|actor| {
                !matches!(
                    actor.get_status(),
                    ActorStatus::Stopping | ActorStatus::Stopped
                )
            })
    }

    /// Sends without waiting; a message to an actor between incarnations is dropped.
    pub fn cast(&self, message: M) {
        if let Some(actor) = self.get() {
            let _ = actor.cast(message);
        }
    }
}

#[cfg(test)]
#[path = "supervision_tests.rs"]
mod tests;
