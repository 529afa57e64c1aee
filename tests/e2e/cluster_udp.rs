//! UDP ports in cluster mode (`udp_port`): the daemon binds the socket once and every
//! instance inherits it (`PM2_UDP_FDS`, `LISTEN_FDS`), so datagrams are spread over the
//! instances and the socket outlives reloads, restarts and stops.

use crate::common;

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{Pm2, DEADLINE};
use serde_json::Value;

/// Answers each datagram with `<instance> <pid> <payload>` from the inherited socket, then
/// naps a little so that the other instance takes the next one.
const ECHO: &str = r#"
import os, socket, time
port, fd = os.environ["PM2_UDP_FDS"].split(",")[0].split(":")
sock = socket.socket(fileno=int(fd))
me = f'{os.environ["NODE_APP_INSTANCE"]} {os.getpid()}'
print(f"serving udp {port} on fd {fd} ({os.environ['LISTEN_FDNAMES']})", flush=True)
while True:
    data, peer = sock.recvfrom(2048)
    sock.sendto(f"{me} ".encode() + data, peer)
    time.sleep(0.02)
"#;

/// A UDP port free now.
fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind(("127.0.0.1", 0)).expect("bind udp");
    socket.local_addr().expect("local addr").port()
}

/// Starts `udp` (cluster mode, 2 instances, sharing `port`) and waits for both.
fn start_echo(pm2: &Pm2, port: u16) -> Vec<Value> {
    pm2.write("echo.py", ECHO, false);
    pm2.write(
        "udp.toml",
        &format!(
            "[[apps]]\nname = \"udp\"\nscript = \"echo.py\"\nexec_mode = \"cluster\"\n\
             instances = 2\nudp_port = {port}\nlisten_timeout = 300\n"
        ),
        false,
    );
    pm2.run(&["start", "udp.toml"]).ok();
    online(pm2)
}

fn online(pm2: &Pm2) -> Vec<Value> {
    pm2.wait_for("2 udp instances online", |l| {
        l.len() == 2
            && l.iter()
                .all(|p| p["pm2_env"]["status"] == "online" && p["pid"].as_i64() > Some(0))
    })
}

fn pids(list: &[Value]) -> BTreeSet<i64> {
    list.iter().filter_map(|p| p["pid"].as_i64()).collect()
}

/// A client socket, with a short read timeout so a lost datagram is sent again.
fn client() -> UdpSocket {
    let socket = UdpSocket::bind(("127.0.0.1", 0)).expect("bind client");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    socket
}

/// Sends `payload` until a reply to it comes; returns `(instance, pid)` of the replier.
fn ask(socket: &UdpSocket, port: u16, payload: &str) -> (String, i64) {
    let deadline = Instant::now() + DEADLINE;
    let mut buf = [0u8; 2048];
    loop {
        assert!(Instant::now() < deadline, "no reply to {payload:?}");
        socket
            .send_to(payload.as_bytes(), ("127.0.0.1", port))
            .expect("send");
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
        let fields: Vec<&str> = reply.splitn(3, ' ').collect();
        if fields.len() == 3 && fields[2] == payload {
            return (fields[0].to_string(), fields[1].parse().expect("pid"));
        }
    }
}

/// Asks until both instances have answered; returns the pids that did.
fn both_answer(socket: &UdpSocket, port: u16, tag: &str) -> BTreeSet<i64> {
    let deadline = Instant::now() + DEADLINE;
    let mut instances = BTreeSet::new();
    let mut repliers = BTreeSet::new();
    for n in 0.. {
        let (instance, pid) = ask(socket, port, &format!("{tag}-{n}"));
        instances.insert(instance);
        repliers.insert(pid);
        if instances.len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only instances {instances:?} answered"
        );
    }
    assert_eq!(instances, BTreeSet::from(["0".into(), "1".into()]));
    repliers
}

/// The socket inode behind fd 3 of a process (`socket:[123]`).
fn fd3(pid: i64) -> String {
    std::fs::read_link(format!("/proc/{pid}/fd/3"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

#[test]
fn instances_share_a_udp_port_across_reloads() {
    let pm2 = Pm2::new();
    let port = free_udp_port();
    let first = start_echo(&pm2, port);
    let socket = client();

    let repliers = both_answer(&socket, port, "before");
    assert_eq!(
        repliers,
        pids(&first),
        "each reply carries its instance's pid"
    );
    let inode = fd3(*repliers.first().expect("a pid"));
    assert!(inode.starts_with("socket:["), "{inode}");
    assert!(repliers.iter().all(|&pid| fd3(pid) == inode), "one socket");

    pm2.run(&["reload", "udp"]).ok();
    let second = pm2.wait_for("new udp instances", |l| {
        l.len() == 2
            && l.iter().all(|p| p["pm2_env"]["status"] == "online")
            && pids(l).is_disjoint(&pids(&first))
    });
    let repliers = both_answer(&socket, port, "after");
    assert_eq!(repliers, pids(&second));
    assert!(
        repliers.iter().all(|&pid| fd3(pid) == inode),
        "the same socket after the reload"
    );
}

#[test]
fn datagrams_wait_on_the_socket_while_the_app_is_stopped() {
    let pm2 = Pm2::new();
    let port = free_udp_port();
    start_echo(&pm2, port);
    let socket = client();
    ask(&socket, port, "hello");

    pm2.run(&["stop", "udp"]).ok();
    socket
        .send_to(b"queued", ("127.0.0.1", port))
        .expect("send while stopped");
    pm2.run(&["restart", "udp"]).ok();
    online(&pm2);
    socket.set_read_timeout(Some(DEADLINE)).expect("timeout");
    // (A "hello" sent twice, its first reply late, may be answered twice: skip those.)
    let mut buf = [0u8; 2048];
    loop {
        let n = socket
            .recv(&mut buf)
            .expect("the queued datagram is answered");
        if String::from_utf8_lossy(&buf[..n]).ends_with(" queued") {
            break;
        }
    }
}

#[test]
fn a_taken_udp_port_is_a_one_line_error() {
    let pm2 = Pm2::new();
    let taken = UdpSocket::bind(("0.0.0.0", 0)).expect("bind");
    let port = taken.local_addr().expect("addr").port();
    pm2.write("echo.py", ECHO, false);
    pm2.write(
        "udp.toml",
        &format!(
            "[[apps]]\nname = \"udp\"\nscript = \"echo.py\"\nexec_mode = \"cluster\"\n\
             instances = 2\nudp_port = {port}\n"
        ),
        false,
    );
    let run = pm2.run(&["start", "udp.toml"]).failed();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("cannot bind UDP port {port}")),
        "{}",
        run.stderr
    );
}

#[test]
fn the_udp_socket_survives_pm2_update() {
    // The re-executed daemon keeps the socket (handed over across exec): the same
    // instances answer, and those a reload starts next still inherit the same socket.
    let pm2 = Pm2::new();
    let port = free_udp_port();
    let first = start_echo(&pm2, port);
    let socket = client();
    let inode = fd3(*both_answer(&socket, port, "before").first().expect("a pid"));

    let run = pm2.run(&["update"]).ok();
    assert!(run.stdout.contains("in place"), "{}", run.stdout);
    assert_eq!(
        pids(&online(&pm2)),
        pids(&first),
        "update keeps the instances"
    );
    assert_eq!(both_answer(&socket, port, "updated"), pids(&first));

    pm2.run(&["reload", "udp"]).ok();
    let second = pm2.wait_for("new udp instances", |l| {
        l.len() == 2
            && l.iter().all(|p| p["pm2_env"]["status"] == "online")
            && pids(l).is_disjoint(&pids(&first))
    });
    let repliers = both_answer(&socket, port, "reloaded");
    assert_eq!(repliers, pids(&second));
    assert!(
        repliers.iter().all(|&pid| fd3(pid) == inode),
        "the same socket"
    );
}

#[test]
fn udp_port_outside_cluster_mode_is_refused() {
    let pm2 = Pm2::new();
    pm2.write("echo.py", ECHO, false);
    pm2.write(
        "udp.toml",
        "[[apps]]\nname = \"udp\"\nscript = \"echo.py\"\nudp_port = 5999\n",
        false,
    );
    let run = pm2.run(&["start", "udp.toml"]).failed();
    assert!(
        run.stderr
            .contains("udp_port needs exec_mode = \"cluster\""),
        "{}",
        run.stderr
    );
    assert!(pm2.jlist().is_empty());
}
