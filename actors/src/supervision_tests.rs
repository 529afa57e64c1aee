//! Children that fail on demand, under a test supervisor, for each strategy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};
use tokio::sync::mpsc;

use super::*;

/// A child that counts its incarnations and fails when told.
struct Worker;

enum WorkerMsg {
    Fail,
}

impl Actor for Worker {
    type Msg = WorkerMsg;
    type State = ();
    type Arguments = Arc<AtomicUsize>;

    async fn pre_start(
        &self,
        _myself: ActorRef<WorkerMsg>,
        starts: Arc<AtomicUsize>,
    ) -> Result<(), ActorProcessingErr> {
        starts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<WorkerMsg>,
        msg: WorkerMsg,
        _state: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkerMsg::Fail => Err("told to fail".into()),
        }
    }
}

/// A supervisor that reports each outcome (or its own escalation) to the test.
struct Boss;

struct BossState {
    supervisor: Supervisor,
    outcomes: mpsc::UnboundedSender<Result<Outcome, String>>,
}

impl Actor for Boss {
    type Msg = ();
    type State = BossState;
    type Arguments = (
        Strategy,
        Intensity,
        Vec<ChildSpec>,
        mpsc::UnboundedSender<Result<Outcome, String>>,
    );

    async fn pre_start(
        &self,
        myself: ActorRef<()>,
        (strategy, intensity, specs, outcomes): Self::Arguments,
    ) -> Result<BossState, ActorProcessingErr> {
        let mut supervisor = Supervisor::new(strategy, intensity);
        for spec in specs {
            supervisor.start_child(myself.get_cell(), spec).await?;
        }
        Ok(BossState {
            supervisor,
            outcomes,
        })
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<()>,
        event: SupervisionEvent,
        state: &mut BossState,
    ) -> Result<(), ActorProcessingErr> {
        match state
            .supervisor
            .handle_event(myself.get_cell(), event)
            .await
        {
            Ok(Outcome::Ignored) => Ok(()),
            Ok(outcome) => {
                let _ = state.outcomes.send(Ok(outcome));
                Ok(())
            }
            Err(e) => {
                let _ = state.outcomes.send(Err(e.to_string()));
                Err(e.into())
            }
        }
    }
}

struct Fixture {
    starts: Vec<Arc<AtomicUsize>>,
    workers: Vec<LiveRef<WorkerMsg>>,
    boss: ActorRef<()>,
    outcomes: mpsc::UnboundedReceiver<Result<Outcome, String>>,
}

async fn fixture(strategy: Strategy, intensity: Intensity) -> Fixture {
    let starts: Vec<_> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let workers: Vec<LiveRef<WorkerMsg>> = (0..3).map(|_| LiveRef::default()).collect();
    let specs = (0..3)
        .map(|i| {
            let count = starts[i].clone();
            let live = workers[i].clone();
            ChildSpec {
                key: format!("w{i}"),
                spawn: Arc::new(move |sup: ActorCell| {
                    let count = count.clone();
                    let live = live.clone();
                    Box::pin(async move {
                        let (actor, _) = Actor::spawn_linked(None, Worker, count, sup).await?;
                        live.set(actor.clone());
                        Ok(actor.get_cell())
                    })
                }),
            }
        })
        .collect();
    let (tx, outcomes) = mpsc::unbounded_channel();
    let (boss, _) = Actor::spawn(None, Boss, (strategy, intensity, specs, tx))
        .await
        .expect("boss starts");
    Fixture {
        starts,
        workers,
        boss,
        outcomes,
    }
}

impl Fixture {
    fn starts(&self) -> Vec<usize> {
        self.starts
            .iter()
            .map(|s| s.load(Ordering::SeqCst))
            .collect()
    }

    async fn fail(&mut self, i: usize) -> Result<Outcome, String> {
        self.workers[i].cast(WorkerMsg::Fail);
        tokio::time::timeout(Duration::from_secs(10), self.outcomes.recv())
            .await
            .expect("an outcome within the deadline")
            .expect("boss alive")
    }
}

#[tokio::test]
async fn one_for_one_restarts_only_the_failed_child() {
    let mut f = fixture(Strategy::OneForOne, Intensity::default()).await;
    assert_eq!(f.fail(1).await, Ok(Outcome::Restarted(vec!["w1".into()])));
    assert_eq!(f.starts(), vec![1, 2, 1]);
    f.boss.stop(None);
}

#[tokio::test]
async fn one_for_all_restarts_every_child() {
    let mut f = fixture(Strategy::OneForAll, Intensity::default()).await;
    assert_eq!(
        f.fail(1).await,
        Ok(Outcome::Restarted(vec![
            "w0".into(),
            "w1".into(),
            "w2".into()
        ]))
    );
    assert_eq!(f.starts(), vec![2, 2, 2]);
    f.boss.stop(None);
}

#[tokio::test]
async fn rest_for_one_restarts_the_failed_child_and_those_after_it() {
    let mut f = fixture(Strategy::RestForOne, Intensity::default()).await;
    assert_eq!(
        f.fail(1).await,
        Ok(Outcome::Restarted(vec!["w1".into(), "w2".into()]))
    );
    assert_eq!(f.starts(), vec![1, 2, 2]);
    f.boss.stop(None);
}

#[tokio::test]
async fn exceeding_the_intensity_escalates_to_the_parent() {
    let intensity = Intensity {
        max_restarts: 2,
        period: Duration::from_secs(60),
    };
    let mut f = fixture(Strategy::OneForOne, intensity).await;
    assert!(f.fail(0).await.is_ok());
    assert!(f.fail(0).await.is_ok());
    let third = f.fail(0).await;
    assert!(
        matches!(&third, Err(e) if e.contains("exceeds the restart intensity")),
        "{third:?}"
    );
    // The supervisor itself failed, so its parent hears of it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while f.boss.get_status() != ractor::ActorStatus::Stopped {
        assert!(tokio::time::Instant::now() < deadline, "boss did not stop");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_child_that_stops_normally_is_forgotten_not_restarted() {
    let mut f = fixture(Strategy::OneForAll, Intensity::default()).await;
    f.workers[2].get().expect("started").stop(None);
    let outcome = tokio::time::timeout(Duration::from_secs(10), f.outcomes.recv())
        .await
        .expect("outcome")
        .expect("boss alive");
    assert_eq!(outcome, Ok(Outcome::Forgotten("w2".into())));
    assert_eq!(f.starts(), vec![1, 1, 1]);
    f.boss.stop(None);
}
