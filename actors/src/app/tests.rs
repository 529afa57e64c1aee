//! An App restarting a failed Proc actor: the OS process is adopted, never lost or doubled.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pm2_protocol::{AppSpec, Status};
use ractor::Actor;

use super::*;
use crate::root::new_record_for_test as new_record;

fn sleeper(dir: &std::path::Path) -> AppSpec {
    let mut spec = AppSpec::new(
        "sleeper",
        "/bin/sleep".into(),
        dir.to_path_buf(),
        dir.join("sleeper.pid"),
    );
    spec.args = vec!["30".into()];
    spec
}

fn alive(pid: u32) -> bool {
    pm2_protocol::procfs::running(pid)
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An App (no registry, no sink) running one `sleep 30`.
async fn app_with_a_sleeper() -> (
    tempfile::TempDir,
    Arc<AppStore>,
    ActorRef<AppMsg>,
    ractor::concurrency::JoinHandle<()>,
    u32,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(AppStore::default());
    let args = AppArgs {
        store: store.clone(),
        registry: LiveRef::default(),
        sink: LiveRef::default(),
        strategy: Strategy::OneForOne,
        pm2_home: None,
        sockets: None,
    };
    let (app, handle) = Actor::spawn(None, App, args).await.unwrap();
    let record = new_record(&sleeper(dir.path()), 0, 0);
    let infos = ractor::call!(app, AppMsg::Add, vec![record]).unwrap();
    assert_eq!(infos[0].status, Status::Online);
    let pid = infos[0].pid.expect("spawned");
    (dir, store, app, handle, pid)
}

#[tokio::test]
async fn a_killed_proc_actor_is_restarted_and_adopts_its_process() {
    let (_dir, store, app, _handle, pid) = app_with_a_sleeper().await;

    let first = store.proc_actor(0).expect("proc actor");
    first.kill();
    let second = wait_for("a new proc incarnation", async || {
        store.proc_actor(0).filter(|a| a.get_id() != first.get_id())
    })
    .await;
    let info = ractor::call!(second, ProcMsg::Info).unwrap();
    assert_eq!(info.pid, Some(pid), "the same OS process, adopted");
    assert_eq!(info.status, Status::Online);
    assert_eq!(
        info.restart_time, 0,
        "an actor restart is not a process restart"
    );
    assert!(alive(pid));

    // The adopted process is still managed: stopping it reaches the same pid.
    let stopped = ractor::call!(second, ProcMsg::Stop).unwrap();
    assert_eq!(stopped.status, Status::Stopped);
    wait_for("the process to be reaped", async || {
        (!alive(pid)).then_some(())
    })
    .await;
    app.stop(None);
}

#[tokio::test]
async fn dropping_the_store_kills_a_process_nobody_manages() {
    let (_dir, store, app, handle, pid) = app_with_a_sleeper().await;
    app.kill();
    let _ = handle.await;
    drop(store);
    wait_for("the orphan backstop to kill the process", async || {
        (!alive(pid)).then_some(())
    })
    .await;
}
