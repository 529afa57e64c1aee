//! The Proc's lifecycle against a test double of the operating system (as watchexec's
//! supervisor tests do): every transition is checked without a real process, the "process"
//! ending when the test says so or when a signal it dies of is sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use pm2_protocol::{AppSpec, ExecMode, ProcessInfo, Status};
use ractor::{Actor, ActorRef};

use super::host::{Child, Host, Wiring};
use super::lifecycle::Lifecycle;
use super::{spawn, ProcArgs, ProcMsg, ProcStore, SpecUpdate};
use crate::root::new_record_for_test as new_record;
use crate::supervision::LiveRef;

const SIGINT: i32 = Signal::SIGINT as i32;
const SIGKILL: i32 = Signal::SIGKILL as i32;

/// Processes that exist only here. Their pids are far above any kernel's `pid_max`, and the
/// double never signals anything for real.
#[derive(Debug, Clone, Default)]
struct FakeHost {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: AtomicU32,
    /// Running processes: the record their exit goes to, and their generation.
    running: Mutex<HashMap<u32, (Weak<ProcStore>, u64)>>,
    /// Every signal sent, in order.
    signals: Mutex<Vec<(u32, i32)>>,
    /// The signals the processes die of.
    deadly: Mutex<Vec<i32>>,
}

impl FakeHost {
    /// Processes that stop when asked (SIGINT) or killed.
    fn obedient() -> FakeHost {
        let host = FakeHost::default();
        *host.inner.deadly.lock().unwrap() = vec![SIGINT, SIGKILL];
        host
    }

    /// Processes that ignore SIGINT: only SIGKILL ends them.
    fn stubborn() -> FakeHost {
        let host = FakeHost::default();
        *host.inner.deadly.lock().unwrap() = vec![SIGKILL];
        host
    }

    /// The process `pid` ends: its exit is reported as a waiter task would.
    fn exit(&self, pid: u32, code: Option<i32>, signal: Option<i32>) {
        exit(&self.inner, pid, code, signal);
    }

    fn signals(&self) -> Vec<(u32, i32)> {
        self.inner.signals.lock().unwrap().clone()
    }
}

fn exit(inner: &Inner, pid: u32, code: Option<i32>, signal: Option<i32>) {
    let ended = inner.running.lock().unwrap().remove(&pid);
    if let Some((store, generation)) = ended {
        spawn::report_exit(&store, generation, code, signal);
    }
}

impl Host for FakeHost {
    fn start(
        &self,
        _spec: &AppSpec,
        _env: &std::collections::BTreeMap<String, String>,
        _inherited: &[std::os::fd::RawFd],
    ) -> std::io::Result<(Child, std::os::fd::OwnedFd)> {
        let pid = 100_000_000 + self.inner.next.fetch_add(1, Ordering::SeqCst);
        let (_, stdin) = super::stdin::pipe()?;
        Ok((Child { pid, handle: None }, stdin))
    }

    fn watch(&self, child: Child, wiring: Wiring<'_>) {
        let store = Arc::downgrade(wiring.store);
        let mut running = self.inner.running.lock().unwrap();
        running.insert(child.pid, (store, wiring.generation));
    }

    fn kill(&self, pid: u32, signal: i32, _group: bool) {
        self.inner.signals.lock().unwrap().push((pid, signal));
        if self.inner.deadly.lock().unwrap().contains(&signal) {
            // Reported from a task, as the kernel would: the caller may hold the record.
            let inner = self.inner.clone();
            tokio::spawn(async move { exit(&inner, pid, None, Some(signal)) });
        }
    }
}

fn spec(dir: &std::path::Path) -> AppSpec {
    let mut spec = AppSpec::new("fake", "/bin/true".into(), dir.into(), dir.join("fake.pid"));
    spec.kill_timeout_ms = 50;
    spec
}

async fn proc_with(spec: &AppSpec, host: &FakeHost) -> (ActorRef<ProcMsg>, Arc<ProcStore>) {
    let store = Arc::new(ProcStore::with_host(
        new_record(spec, 0, 0),
        Arc::new(host.clone()),
    ));
    (start_actor(&store).await, store)
}

async fn start_actor(store: &Arc<ProcStore>) -> ActorRef<ProcMsg> {
    let args = ProcArgs {
        store: store.clone(),
        registry: LiveRef::default(),
        sink: LiveRef::default(),
        pm2_home: None,
    };
    Actor::spawn(None, super::Proc, args).await.unwrap().0
}

async fn info(proc: &ActorRef<ProcMsg>) -> ProcessInfo {
    ractor::call_t!(proc, ProcMsg::Info, 2000).unwrap()
}

/// Waits until the row satisfies `check`; answers it.
async fn row_until(
    proc: &ActorRef<ProcMsg>,
    what: &str,
    check: impl Fn(&ProcessInfo) -> bool,
) -> ProcessInfo {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = info(proc).await;
        if check(&row) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_crash_restarts_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let (proc, _store) = proc_with(&spec(dir.path()), &host).await;
    let first = info(&proc).await;
    assert_eq!(first.status, Status::Online);
    let pid = first.pid.expect("started");

    host.exit(pid, Some(1), None);
    let again = row_until(&proc, "a new process", |r| r.pid.is_some_and(|p| p != pid)).await;
    assert_eq!(again.status, Status::Online);
    assert_eq!(again.restart_time, 1);
    assert_eq!(again.unstable_restarts, 1, "it ran less than min_uptime");
    assert!(host.signals().is_empty(), "nothing was signalled");
}

#[tokio::test]
async fn a_stop_signals_the_group_and_stays_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let (proc, store) = proc_with(&spec(dir.path()), &host).await;
    let pid = info(&proc).await.pid.expect("started");

    let stopped = ractor::call_t!(proc, ProcMsg::Stop, 5000).unwrap();
    assert_eq!(stopped.status, Status::Stopped);
    assert_eq!(stopped.pid, None);
    assert_eq!(host.signals(), vec![(pid, SIGINT)]);
    assert_eq!(store.lock().life, Lifecycle::Down { errored: false });
    assert_eq!(stopped.restart_time, 0);
}

#[tokio::test]
async fn a_process_deaf_to_the_signal_is_killed_after_kill_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::stubborn();
    let (proc, _store) = proc_with(&spec(dir.path()), &host).await;
    let pid = info(&proc).await.pid.expect("started");

    let stopped = ractor::call_t!(proc, ProcMsg::Stop, 5000).unwrap();
    assert_eq!(stopped.status, Status::Stopped);
    assert_eq!(host.signals(), vec![(pid, SIGINT), (pid, SIGKILL)]);
}

#[tokio::test]
async fn unstable_exits_end_in_errored() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let mut spec = spec(dir.path());
    spec.max_restarts = 3;
    let (proc, _store) = proc_with(&spec, &host).await;
    for _ in 0..3 {
        let row = row_until(&proc, "a running process", |r| r.pid.is_some()).await;
        host.exit(row.pid.unwrap(), Some(1), None);
        row_until(&proc, "the exit handled", |r| r.pid != row.pid).await;
    }
    let row = info(&proc).await;
    assert_eq!(row.status, Status::Errored);
    assert_eq!(row.pid, None);
    assert_eq!(row.restart_time, 2, "two restarts, then it gave up");
}

#[tokio::test]
async fn stop_exit_codes_and_autorestart_off_stay_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let mut spec = spec(dir.path());
    spec.stop_exit_codes = vec![0];
    let (proc, _store) = proc_with(&spec, &host).await;
    let pid = info(&proc).await.pid.unwrap();
    host.exit(pid, Some(0), None);
    let row = row_until(&proc, "stopped", |r| r.status == Status::Stopped).await;
    assert_eq!((row.pid, row.restart_time), (None, 0));
}

#[tokio::test]
async fn a_restart_delay_waits_then_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let mut spec = spec(dir.path());
    spec.restart_delay_ms = 300;
    let (proc, _store) = proc_with(&spec, &host).await;
    let pid = info(&proc).await.pid.unwrap();
    host.exit(pid, Some(1), None);
    row_until(&proc, "waiting restart", |r| {
        r.status == Status::WaitingRestart
    })
    .await;
    let row = row_until(&proc, "online again", |r| r.status == Status::Online).await;
    assert_ne!(row.pid, Some(pid));
    assert_eq!(row.restart_time, 1);
}

#[tokio::test]
async fn an_exit_while_no_actor_runs_is_handled_by_the_next_incarnation() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let (proc, store) = proc_with(&spec(dir.path()), &host).await;
    let pid = info(&proc).await.pid.unwrap();

    proc.kill();
    host.exit(pid, Some(1), None);
    assert_eq!(
        store.lock().exits.len(),
        1,
        "the waiter kept the exit for the next one"
    );
    let next = start_actor(&store).await;
    let row = row_until(&next, "restarted", |r| r.pid.is_some_and(|p| p != pid)).await;
    assert_eq!(row.restart_time, 1);
    assert!(store.lock().exits.is_empty());
}

#[tokio::test]
async fn a_new_incarnation_adopts_a_stop_under_way_and_its_kill_timer() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::stubborn();
    let (proc, store) = proc_with(&spec(dir.path()), &host).await;
    let pid = info(&proc).await.pid.unwrap();
    let stopping = {
        let proc = proc.clone();
        tokio::spawn(async move { ractor::call_t!(proc, ProcMsg::Stop, 5000) })
    };
    row_until(&proc, "stopping", |r| r.status == Status::Stopping).await;
    proc.kill();
    assert!(
        stopping.await.unwrap().is_err(),
        "its caller hears the actor died"
    );
    // The previous incarnation's SIGKILL timer died with it: the new one sets it again.
    let next = start_actor(&store).await;
    let row = row_until(&next, "stopped", |r| r.status == Status::Stopped).await;
    assert_eq!(row.restart_time, 0, "a stop, not a crash");
    assert_eq!(host.signals(), vec![(pid, SIGINT), (pid, SIGKILL)]);
}

fn cluster(dir: &std::path::Path) -> AppSpec {
    let mut spec = spec(dir);
    spec.exec_mode = ExecMode::Cluster;
    spec
}

/// What a reload's caller gets.
type ReloadAnswer = Result<crate::error::TreeResult<ProcessInfo>, ractor::RactorErr<ProcMsg>>;

/// Starts a reload of `proc` in a task; answers it and the row once the new process runs.
async fn reload(
    proc: &ActorRef<ProcMsg>,
    old: u32,
) -> (tokio::task::JoinHandle<ReloadAnswer>, ProcessInfo) {
    let reloading = {
        let proc = proc.clone();
        tokio::spawn(
            async move { ractor::call_t!(proc, ProcMsg::Reload, 5000, SpecUpdate::default()) },
        )
    };
    let new = row_until(proc, "the new process", |r| r.pid != Some(old)).await;
    (reloading, new)
}

#[tokio::test]
async fn a_reload_stops_the_old_process_once_the_new_one_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let (proc, store) = proc_with(&cluster(dir.path()), &host).await;
    let old = info(&proc).await.pid.unwrap();
    let (reloading, new) = reload(&proc, old).await;
    assert!(
        host.signals().is_empty(),
        "the old one serves until the new one is ready"
    );
    assert!(store.lock().retiring.is_some());

    let generation = store.lock().generation;
    proc.cast(ProcMsg::Ready(generation)).unwrap();
    let done = reloading.await.unwrap().unwrap().expect("reloaded");
    assert_eq!(done.pid, new.pid);
    assert_eq!(done.restart_time, 1);
    assert_eq!(host.signals(), vec![(old, SIGINT)]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.lock().retiring.is_some() {
        assert!(
            Instant::now() < deadline,
            "the old process was never reaped"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(info(&proc).await.status, Status::Online);
}

#[tokio::test]
async fn a_reload_whose_new_process_dies_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::obedient();
    let (proc, store) = proc_with(&cluster(dir.path()), &host).await;
    let old = info(&proc).await.pid.unwrap();
    let (reloading, new) = reload(&proc, old).await;
    host.exit(new.pid.unwrap(), Some(1), None);
    let failed = reloading.await.unwrap().unwrap();
    assert!(failed.is_err(), "{failed:?}");
    let row = info(&proc).await;
    assert_eq!((row.pid, row.status), (Some(old), Status::Online));
    assert_eq!(row.restart_time, 0, "no restart happened");
    assert!(host.signals().is_empty());
    assert!(store.lock().retiring.is_none());
}
