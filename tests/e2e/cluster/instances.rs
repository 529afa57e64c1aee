//! Instances sharing one port: the inherited socket (Node preload, `LISTEN_FDS`), the
//! proxy, `-i max`/`-i -1`.

use std::time::Instant;

use super::common::http::{answering_pids, free_port, free_ports, Load};
use super::common::{read, Pm2, DEADLINE};
use super::support::*;

#[test]
fn an_unmodified_node_server_is_served_by_every_instance() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "2");

    let procs = online_processes(&pm2, "web", 2);
    assert_eq!(answering_pids(port, 2), pids(&procs));
    for p in &procs {
        assert_eq!(p["pm2_env"]["exec_mode"], "cluster_mode", "{p:#}");
    }
    let instances: Vec<u64> = procs
        .iter()
        .filter_map(|p| p["pm2_env"]["NODE_APP_INSTANCE"].as_u64())
        .collect();
    assert_eq!(instances, [0, 1]);
}

/// `pm2 start server.js -i 3` with the port only in the code, nothing in the environment:
/// every instance starts at once; the first to listen makes the daemon bind the port, and
/// each gets that socket (as Node's cluster workers get their primary's).
#[test]
fn a_port_known_only_to_the_code_is_shared_by_every_instance() {
    let pm2 = Pm2::new();
    let port = free_port();
    let script = pm2.write("lit.js", &pid_server_js(port), false);
    pm2.command(&["start", script.to_str().expect("utf-8 path"), "-i", "3"])
        .env_remove("PORT")
        .output()
        .expect("run pm2");
    let procs = online_processes(&pm2, "lit", 3);
    assert_eq!(answering_pids(port, 3), pids(&procs));
    for i in 0..3 {
        let errors = read(&pm2.log(&format!("lit-error-{i}.log")));
        assert!(!errors.contains("EADDRINUSE"), "instance {i}: {errors}");
    }
    // A reload keeps serving from the shared socket.
    pm2.run(&["reload", "lit"]).ok();
    let reloaded = online_processes(&pm2, "lit", 3);
    assert!(pids(&reloaded).is_disjoint(&pids(&procs)));
    assert_eq!(answering_pids(port, 3), pids(&reloaded));
}

/// A worker that never listens, `-i 4`: every instance starts at once and is online once
/// spawned, as in PM2. A 60 s listen timeout would make any wait for a port miss the deadline.
#[test]
fn instances_of_an_app_that_never_listens_are_all_online_at_once() {
    let pm2 = Pm2::new();
    let script = pm2.write("worker.js", "setInterval(() => {}, 1000);\n", false);
    let path = script.to_str().expect("utf-8 path");
    pm2.run(&["start", path, "-i", "4", "--listen-timeout", "60000"])
        .ok();
    let procs = online_processes(&pm2, "worker", 4);
    assert_eq!(pids(&procs).len(), 4, "{procs:#?}");
    assert!(procs
        .iter()
        .all(|p| p["pm2_env"]["exec_mode"] == "cluster_mode"));
}

#[test]
fn instances_max_starts_one_process_per_cpu() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "max");
    let procs = online_processes(&pm2, "web", cpus());
    assert!(procs
        .iter()
        .all(|p| p["pm2_env"]["exec_mode"] == "cluster_mode"));
    assert_eq!(answering_pids(port, cpus()), pids(&procs));
}

#[test]
fn instances_minus_one_leaves_one_cpu_free() {
    let pm2 = Pm2::new();
    let port = free_port();
    start_pid_server(&pm2, "web", port, "-1");
    let want = cpus().saturating_sub(1).max(1);
    let procs = online_processes(&pm2, "web", want);
    assert_eq!(answering_pids(port, want), pids(&procs));
}

#[test]
fn a_python_server_in_an_ecosystem_serves_the_inherited_socket() {
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("shared.py", SHARED_SOCKET_PY, false);
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"py\"\nscript = \"shared.py\"\nexec_mode = \"cluster\"\n\
             instances = 2\nport = {port}\n"
        ),
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();

    let procs = online_processes(&pm2, "py", 2);
    assert_eq!(
        answering_pids(port, 2),
        pids(&procs),
        "error log: {}",
        read(&pm2.log("py-error-0.log"))
    );
    assert!(procs
        .iter()
        .all(|p| p["pm2_env"]["exec_mode"] == "cluster_mode"));
}

#[test]
fn a_proxied_app_gets_a_port_per_instance_behind_the_apps_port() {
    let pm2 = Pm2::new();
    let base = free_ports(3);
    start_proxied(&pm2, "px", "backend.py", OWN_PORT_PY, base);

    let procs = online_processes(&pm2, "px", 2);
    let backend_ports: Vec<String> = procs
        .iter()
        .map(|p| env_value(p, "PORT").unwrap_or_default())
        .collect();
    assert_eq!(
        backend_ports,
        [(base + 1).to_string(), (base + 2).to_string()]
    );
    assert_eq!(answering_pids(base, 2), pids(&procs));
}

/// Each instance binds its own `PORT` (base + 1 + instance): the new process of a reload
/// needs that port while the old one still holds it, yet the reload must replace both.
#[test]
fn reload_of_a_proxied_app_replaces_its_processes_without_failing_requests() {
    let pm2 = Pm2::new();
    let base = free_ports(3);
    start_proxied(&pm2, "px", "backend.py", OWN_PORT_PY, base);
    let old = pids(&online_processes(&pm2, "px", 2));
    assert_eq!(answering_pids(base, 2), old);

    let load = Load::start(&pm2, base, false, 2);
    load.wait_served(20);
    let run = pm2.run(&["reload", "px"]);
    let procs = online_processes(&pm2, "px", 2);
    let report = load.finish();
    assert_eq!(run.code, 0, "reload failed: {}", run.stderr);
    assert!(pids(&procs).is_disjoint(&old), "{old:?} -> {procs:#?}");
    assert_eq!(answering_pids(base, 2), pids(&procs));
    assert_eq!(report.failed, 0, "failed requests: {report:#?}");
}

/// With no instance listening (yet), the proxy must drop each connection. Connecting to a
/// free port of the ephemeral range can pick that same port as the source (a TCP
/// self-connect); forwarded there, the client talks to itself: its request comes back as
/// the answer, and the instance's port stays taken. Bounded: at most 40000 local
/// connections within 20 s (the kernel tries every even source port for one destination
/// within about 14000 connections).
#[test]
fn the_proxy_never_forwards_a_connection_to_itself() {
    let pm2 = Pm2::new();
    let base = (0..50)
        .map(|_| free_ports(3))
        .find(|base| (base + 1) % 2 == 0)
        .expect("a base port whose first backend port is even");
    start_proxied(
        &pm2,
        "deaf",
        "deaf.py",
        "import time\ntime.sleep(1000)\n",
        base,
    );
    online_processes(&pm2, "deaf", 2);

    let deadline = Instant::now() + DEADLINE;
    let mut connections = 0;
    while connections < 40_000 && Instant::now() < deadline {
        connections += 1;
        if let Err(what) = dropped_without_answer(base) {
            panic!(
                "connection {connections} to the proxy (backends {} and {}): {what}",
                base + 1,
                base + 2
            );
        }
    }
}

#[test]
fn a_port_already_taken_is_refused_at_start() {
    let pm2 = Pm2::new();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("address").port();
    let server = pm2.write("web.js", &pid_server_js(port), false);
    let port_text = port.to_string();
    let run = pm2
        .run_env(
            &["start", server.to_str().unwrap(), "-i", "2"],
            &[("PORT", &port_text)],
        )
        .failed();
    assert!(
        run.stderr
            .contains(&format!("cannot listen on port {port}")),
        "stderr: {}",
        run.stderr
    );
    assert!(pm2.jlist().is_empty());
    drop(holder);
}
