//! Fault injection into a real tree: every supervised actor kind is killed (or made to
//! fail) while real OS processes run, and what must follow is asserted: who restarts and who
//! does not, the OS processes neither lost nor doubled, the intensity limit escalating, and
//! the process list answered throughout.

mod support;

use std::time::Duration;

use pm2_actors::app::AppMsg;
use pm2_actors::cron::CronMsg;
use pm2_actors::logsink::{LogSinkMsg, LogsMsg};
use pm2_actors::monitor::MonitorMsg;
use pm2_actors::proc::ProcMsg;
use pm2_actors::registry::RegistryMsg;
use pm2_actors::watch::WatchMsg;
use pm2_protocol::{Status, Strategy};

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_registry_restarts_alone_and_keeps_the_table() {
    let tree = Tree::boot().await;
    let pids = tree.start(sleeper(&tree, "reg", 2)).await;
    let before = tree.cells();

    let registry = tree.one::<RegistryMsg>();
    let old = tree.seen(&registry).await;
    registry.kill();
    tree.answers_throughout().await;
    let after = tree.wait_for_new::<RegistryMsg>(&old).await;

    assert_ne!(after.get_id(), registry.get_id());
    tree.only_changed(&before, &[&old]);
    assert_eq!(tree.pids_of("reg").await, pids, "the table survived");
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_log_sink_restarts_and_lines_still_reach_the_file() {
    let tree = Tree::boot().await;
    let spec = talker(&tree, "talk");
    let out = spec.out_file.clone().expect("out file");
    let pids = tree.start(spec).await;
    wait_until("a first line", async || lines(&out) >= 1).await;

    let sink = tree.one::<LogSinkMsg>();
    let old = tree.seen(&sink).await;
    sink.kill();
    tree.wait_for_new::<LogSinkMsg>(&old).await;
    let seen = lines(&out);
    wait_until("lines after the sink's restart", async || {
        lines(&out) >= seen + 3
    })
    .await;
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_log_supervisor_restarts_with_its_sinks() {
    let tree = Tree::boot().await;
    let spec = talker(&tree, "talk");
    let out = spec.out_file.clone().expect("out file");
    let pids = tree.start(spec).await;
    let before = tree.cells();

    let logs = tree.one::<LogsMsg>();
    let sink = tree.one::<LogSinkMsg>();
    let (old_logs, old_sink) = (tree.seen(&logs).await, tree.seen(&sink).await);
    logs.kill();
    tree.answers_throughout().await;
    tree.wait_for_new::<LogsMsg>(&old_logs).await;
    tree.wait_for_new::<LogSinkMsg>(&old_sink).await;
    // Registry, Monitor, Starts and the App are untouched (one_for_one at Root).
    tree.only_changed(&before, &[&old_logs, &old_sink]);
    let seen = lines(&out);
    wait_until("lines after the restart", async || lines(&out) >= seen + 3).await;
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_proc_actor_is_restarted_alone_and_adopts_its_process() {
    let tree = Tree::boot().await;
    let pids = tree.start(sleeper(&tree, "one", 3)).await;
    let procs = tree.all::<ProcMsg>();
    let before = tree.cells();

    let old = tree.seen(&procs[1]).await;
    procs[1].kill();
    tree.answers_throughout().await;
    tree.wait_for_new::<ProcMsg>(&old).await;

    tree.only_changed(&before, &[&old]);
    assert_eq!(tree.pids_of("one").await, pids, "the same processes");
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_all_restarts_every_proc_actor_and_no_process() {
    let tree = Tree::boot().await;
    let mut spec = sleeper(&tree, "all", 3);
    spec.strategy = Strategy::OneForAll;
    let pids = tree.start(spec).await;
    let procs = tree.all::<ProcMsg>();
    let app = tree.one::<AppMsg>();
    let before = tree.cells();

    let mut old = Vec::new();
    for proc in &procs {
        old.push(tree.seen(proc).await);
    }
    procs[0].kill();
    for seen in &old {
        tree.wait_for_new::<ProcMsg>(seen).await;
    }
    tree.only_changed(&before, &old.iter().collect::<Vec<_>>());
    assert!(tree.cells().contains(&app.get_id()), "the App itself stays");
    assert_eq!(tree.pids_of("all").await, pids, "no process restarted");
    let restarts = tree.restarts_of("all").await;
    assert_eq!(
        restarts,
        vec![0, 0, 0],
        "an actor restart is not a process restart"
    );
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_for_one_restarts_the_failed_proc_actor_and_those_after_it() {
    let tree = Tree::boot().await;
    let mut spec = sleeper(&tree, "rest", 3);
    spec.strategy = Strategy::RestForOne;
    let pids = tree.start(spec).await;
    let procs = tree.all::<ProcMsg>();
    let before = tree.cells();

    let (second, third) = (tree.seen(&procs[1]).await, tree.seen(&procs[2]).await);
    procs[1].kill();
    tree.wait_for_new::<ProcMsg>(&second).await;
    tree.wait_for_new::<ProcMsg>(&third).await;
    tree.only_changed(&before, &[&second, &third]);
    assert_eq!(tree.pids_of("rest").await, pids);
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_app_restarts_and_its_procs_adopt_their_processes() {
    let tree = Tree::boot().await;
    let pids = tree.start(sleeper(&tree, "app", 2)).await;
    let other = tree.start(sleeper(&tree, "bystander", 1)).await;
    let apps = tree.all::<AppMsg>();
    let before = tree.cells();
    let mut killed = None;
    for cell in &apps {
        if tree.is_app(cell, "app").await {
            killed = Some(cell.clone());
        }
    }
    let killed = killed.expect("the App of app");
    let mut old = vec![tree.seen(&killed).await];
    for proc in tree.children_of::<ProcMsg>(&killed) {
        old.push(tree.seen(&proc).await);
    }

    killed.kill();
    tree.answers_throughout().await;
    let new_app = tree.wait_for_new::<AppMsg>(&old[0]).await;
    for seen in &old[1..] {
        tree.wait_for_new::<ProcMsg>(seen).await;
    }
    assert_eq!(tree.children_of::<ProcMsg>(&new_app).len(), 2);
    tree.only_changed(&before, &old.iter().collect::<Vec<_>>());
    assert_eq!(tree.pids_of("app").await, pids);
    assert_eq!(tree.pids_of("bystander").await, other);
    tree.each_runs_once(&pids);
    tree.each_runs_once(&other);
    // Still managed: a stop reaches the adopted processes.
    let stopped = tree.stop("app").await;
    assert!(stopped.iter().all(|p| p.status == Status::Stopped));
    for pid in &pids {
        wait_until("the adopted process to end", async || !alive(*pid)).await;
    }
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_proc_failures_escalate_to_the_app_and_root_restarts_it() {
    let tree = Tree::boot().await;
    let pids = tree.start(sleeper(&tree, "flaky", 1)).await;
    let app = tree.seen(&tree.one::<AppMsg>()).await;

    // The App allows 3 restarts in 5 s (OTP's default); the 4th failure makes it fail, and
    // Root (one_for_one) restarts it, its Proc adopting the same process.
    for round in 0..4 {
        let proc = tree.wait_for::<ProcMsg>().await;
        let old = tree.seen(&proc).await;
        assert!(old.is_for("0"), "failure {round}: the proc of id 0");
        proc.kill();
        tree.wait_for_new::<ProcMsg>(&old).await;
    }
    // The 4th restart within the period was the App's own: it was restarted by Root.
    tree.wait_for_new::<AppMsg>(&app).await;
    assert_eq!(tree.pids_of("flaky").await, pids);
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_monitor_restarts_and_samples_again() {
    let tree = Tree::boot().await;
    let pids = tree.start(sleeper(&tree, "mon", 1)).await;
    let monitor = tree.one::<MonitorMsg>();
    let before = tree.cells();
    let old = tree.seen(&monitor).await;
    monitor.kill();
    tree.answers_throughout().await;
    tree.wait_for_new::<MonitorMsg>(&old).await;
    tree.only_changed(&before, &[&old]);
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_watch_and_cron_restart_alone() {
    let tree = Tree::boot().await;
    let mut spec = sleeper(&tree, "trig", 1);
    spec.watch.enabled = true;
    spec.watch.paths = vec![tree.dir().join("watched").display().to_string()];
    std::fs::create_dir_all(tree.dir().join("watched")).expect("mkdir watched");
    spec.cron_restart = Some("0 0 1 1 *".into());
    let pids = tree.start(spec).await;
    let watch = tree.wait_for::<WatchMsg>().await;
    let cron = tree.wait_for::<CronMsg>().await;
    let before = tree.cells();

    let (old_watch, old_cron) = (tree.seen(&watch).await, tree.seen(&cron).await);
    watch.kill();
    tree.wait_for_new::<WatchMsg>(&old_watch).await;
    cron.kill();
    tree.wait_for_new::<CronMsg>(&old_cron).await;
    tree.only_changed(&before, &[&old_watch, &old_cron]);
    assert_eq!(tree.pids_of("trig").await, pids);
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_balancer_restarts_and_the_port_serves_again() {
    use pm2_actors::balancer::BalancerMsg;
    let tree = Tree::boot().await;
    let port = free_port();
    let spec = proxied_server(&tree, "web", port, 2);
    let pids = tree.start(spec).await;
    wait_until("the proxy to answer", async || http_ok(port)).await;
    let balancer = tree.one::<BalancerMsg>();
    let before = tree.cells();

    let old = tree.seen(&balancer).await;
    balancer.kill();
    tree.wait_for_new::<BalancerMsg>(&old).await;
    tree.only_changed(&before, &[&old]);
    wait_until("the proxy to answer again", async || http_ok(port)).await;
    assert_eq!(tree.pids_of("web").await, pids);
    tree.each_runs_once(&pids);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_starts_actor_restarts_and_starts_go_on() {
    use pm2_actors::root::StartsMsg;
    let tree = Tree::boot().await;
    let first = tree.start(sleeper(&tree, "before", 1)).await;
    let starts = tree.one::<StartsMsg>();
    let before = tree.cells();
    let old = tree.seen(&starts).await;
    starts.kill();
    tree.wait_for_new::<StartsMsg>(&old).await;
    tree.only_changed(&before, &[&old]);
    let second = tree.start(sleeper(&tree, "after", 1)).await;
    tree.each_runs_once(&first);
    tree.each_runs_once(&second);
    tree.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_stop_never_holds_the_list() {
    let tree = Tree::boot().await;
    // Ignores SIGINT: the stop waits its whole kill_timeout before the SIGKILL.
    let mut spec = sleeper(&tree, "stubborn", 1);
    spec.exec_path = "/bin/sh".into();
    spec.args = vec!["-c".into(), "trap '' INT; sleep 1000 & wait".into()];
    spec.kill_timeout_ms = 3000;
    let pids = tree.start(spec).await;
    // The trap is set once the shell has started its `sleep`.
    wait_until("the shell's child", async || has_children(pids[0])).await;
    let stopping = tree.stop_in_background("stubborn");
    wait_until("the stop to begin", async || {
        tree.status_now("stubborn").await == Some(Status::Stopping)
    })
    .await;
    // Root answers while the stop waits out its grace period.
    for _ in 0..5 {
        tree.list_within(Duration::from_millis(500)).await;
    }
    let stopped = stopping.await.expect("stop task");
    assert!(stopped.iter().all(|p| p.status == Status::Stopped));
    for pid in &pids {
        wait_until("the process to end", async || !alive(*pid)).await;
    }
    tree.shut_down().await;
}
