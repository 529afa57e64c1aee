//! An App restarting a failed Proc actor: the OS process is adopted, never lost or doubled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pm2_protocol::{AppSpec, ExecMode, Status};
use ractor::Actor;

use super::*;
use crate::root::new_record_for_test as new_record;

fn sleeper(dir: &std::path::Path) -> AppSpec {
    AppSpec {
        name: "sleeper".into(),
        namespace: "default".into(),
        exec_path: "/bin/sleep".into(),
        args: vec!["30".into()],
        interpreter: None,
        interpreter_args: vec![],
        cwd: dir.to_path_buf(),
        instances: 1,
        exec_mode: ExecMode::Fork,
        env: BTreeMap::new(),
        base_env: BTreeMap::new(),
        instance_var: "NODE_APP_INSTANCE".into(),
        autorestart: true,
        autostart: true,
        max_restarts: 16,
        min_uptime_ms: 1000,
        restart_delay_ms: 0,
        exp_backoff_restart_delay_ms: None,
        kill_timeout_ms: 1600,
        kill_signal: "SIGINT".into(),
        treekill: true,
        stop_exit_codes: vec![],
        out_file: None,
        error_file: None,
        log_file: None,
        pid_file: dir.join("sleeper.pid"),
        merge_logs: true,
        time: false,
        log_date_format: None,
        max_memory_restart: None,
        inert_options: vec![],
    }
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.split(") ").nth(1).unwrap_or("").starts_with('Z'))
        .unwrap_or(false)
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

#[tokio::test]
async fn a_killed_proc_actor_is_restarted_and_adopts_its_process() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(AppStore::default());
    let args = AppArgs {
        store: store.clone(),
        registry: LiveRef::default(),
        sink: LiveRef::default(),
        strategy: Strategy::OneForOne,
        pm2_home: None,
    };
    let (app, _) = Actor::spawn(None, App, args).await.unwrap();
    let infos = ractor::call!(
        app,
        AppMsg::Add,
        vec![new_record(&sleeper(dir.path()), 0, 0)]
    )
    .unwrap();
    let pid = infos[0].pid.expect("spawned");
    assert_eq!(infos[0].status, Status::Online);

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
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(AppStore::default());
    let args = AppArgs {
        store: store.clone(),
        registry: LiveRef::default(),
        sink: LiveRef::default(),
        strategy: Strategy::OneForOne,
        pm2_home: None,
    };
    let (app, handle) = Actor::spawn(None, App, args).await.unwrap();
    let infos = ractor::call!(
        app,
        AppMsg::Add,
        vec![new_record(&sleeper(dir.path()), 0, 0)]
    )
    .unwrap();
    let pid = infos[0].pid.expect("spawned");
    app.kill();
    let _ = handle.await;
    drop(store);
    wait_for("the orphan backstop to kill the process", async || {
        (!alive(pid)).then_some(())
    })
    .await;
}
