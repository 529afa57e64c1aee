//! Reloads that lose no request, keep the old processes when the new code crashes, and
//! reload in fork mode.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::common::http::{answering_pids, free_port};
use super::common::{alive, pid_of, wait_until, Pm2, DEADLINE};
use super::support::*;

#[test]
fn reload_under_keep_alive_load_loses_no_request() {
    reload_twice_under_load(true);
}

#[test]
fn reload_under_connection_close_load_loses_no_request() {
    reload_twice_under_load(false);
}

#[test]
fn a_reload_whose_new_code_crashes_leaves_the_old_processes_serving() {
    let pm2 = Pm2::new();
    let port = free_port();
    let server = start_pid_server(&pm2, "web", port, "2");
    let old = pids(&online_processes(&pm2, "web", 2));
    assert_eq!(answering_pids(port, 2), old);

    std::fs::write(&server, "throw new Error('boom at start-up');\n").expect("rewrite");
    let run = pm2.run(&["reload", "web"]).failed();
    assert!(
        run.stderr.contains("failed") && run.stderr.contains("the old process keeps serving"),
        "stderr: {}",
        run.stderr
    );

    let after = online_processes(&pm2, "web", 2);
    assert_eq!(pids(&after), old, "the old processes are kept");
    assert!(old.iter().all(|&pid| alive(pid)));
    assert_eq!(answering_pids(port, 2), old);
}

#[test]
fn reload_waits_for_the_new_process_to_say_ready() {
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("ready-server.js", &ready_server_js(port), false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"web\"\nscript = \"ready-server.js\"\nexec_mode = \"cluster\"\n\
             instances = 1\nport = {port}\nwait_ready = true\nlisten_timeout = 30000\n"
        ),
        false,
    );
    let go = pm2.write("go", "", false);
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let old = pid_of(&online_processes(&pm2, "web", 1)[0]);

    std::fs::remove_file(&go).expect("remove go");
    let mut reload = pm2
        .command(&["reload", "web"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run pm2 reload");
    let mut new = 0;
    wait_until("the new process to start", || {
        new = started_pids(&pm2)
            .into_iter()
            .find(|&pid| pid != old)
            .unwrap_or(0);
        new != 0
    });
    assert!(
        alive(old),
        "the old process serves until the new one is ready"
    );
    assert!(
        reload.try_wait().expect("poll reload").is_none(),
        "reload returned before the new process was ready"
    );
    assert!(answering_pids(port, 1).is_subset(&BTreeSet::from([old, new])));

    std::fs::write(&go, "").expect("write go");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = reload.try_wait().expect("poll reload") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = reload.kill();
            panic!("reload did not finish once the new process was ready");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "reload: {status}");
    wait_until("the old process to stop", || !alive(old));
    let procs = online_processes(&pm2, "web", 1);
    assert_eq!(pid_of(&procs[0]), new);
    assert_eq!(answering_pids(port, 1), BTreeSet::from([new]));
}

#[test]
fn fork_mode_reload_is_a_restart() {
    let pm2 = Pm2::new();
    pm2.write("idle.js", "setInterval(() => {}, 1000);\n", false);
    pm2.run(&["start", "idle.js"]).ok();
    let before = online_processes(&pm2, "idle", 1).remove(0);
    assert_eq!(before["pm2_env"]["exec_mode"], "fork_mode");

    pm2.run(&["reload", "idle"]).ok();
    let after = pm2.wait_for("a new process", |list| {
        list.iter().any(|p| {
            p["pm2_env"]["status"] == "online" && p["pid"] != before["pid"] && p["pid"] != 0
        })
    });
    let after = &after[0];
    assert_eq!(after["pm2_env"]["restart_time"], 1);
    assert_eq!(after["pm2_env"]["exec_mode"], "fork_mode");
    assert!(!alive(pid_of(&before)));
}
