//! The daemon and its control socket: how it starts, what it leaves in `PM2_HOME`, how it
//! survives clients that speak nonsense, and how `kill` and stale files are handled.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::socket::{connect, handshake, read_frame, send_frame, send_raw};
use common::{alive, read, wait_until, Pm2, Run};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use pm2_protocol::{
    ClientFrame, Hello, Request, Response, ServerFrame, MAX_FRAME_LEN, PROTOCOL_VERSION,
};

#[test]
fn the_first_command_starts_the_daemon_with_a_private_home() {
    let pm2 = Pm2::new();
    // Let the daemon create PM2_HOME itself.
    std::fs::remove_dir(pm2.home()).expect("remove the temp home");
    let run = pm2.run(&["ping"]).ok();
    assert!(
        run.stdout.contains("Spawning PM2 daemon"),
        "the first command should say it starts the daemon:\n{}",
        run.stdout
    );

    assert_eq!(mode(pm2.home()), 0o700, "PM2_HOME mode");
    let socket = pm2.home().join("rpc.sock");
    assert_eq!(mode(&socket), 0o600, "rpc.sock mode");

    let pid = pm2.daemon_pid().expect("pm2.pid holds a pid");
    assert!(alive(pid), "pm2.pid names pid {pid}, which is not running");

    let log = read(&pm2.home().join("pm2.log"));
    assert!(
        log.contains("started") && log.contains(&pid.to_string()),
        "pm2.log should mention the start of daemon {pid}:\n{log}"
    );
}

#[test]
fn an_existing_home_is_made_private() {
    let pm2 = Pm2::new();
    std::fs::set_permissions(pm2.home(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    pm2.run(&["ping"]).ok();
    assert_eq!(mode(pm2.home()), 0o700, "PM2_HOME mode");
}

#[test]
fn a_malformed_frame_gets_an_error_and_the_connection_is_closed() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();

    // Garbage as the very first frame.
    let mut stream = connect(&pm2);
    send_raw(&mut stream, b"\xff\xff\xff\xff\xff not bincode");
    expect_error(&mut stream, "garbage before the hello");
    expect_closed(&mut stream);

    // Garbage after a proper handshake.
    let mut stream = connect(&pm2);
    handshake(&mut stream);
    send_raw(&mut stream, b"\xff\xff\xff\xff\xff not bincode");
    expect_error(&mut stream, "garbage after the hello");
    expect_closed(&mut stream);

    pm2.run(&["ping"]).ok();
}

#[test]
fn a_frame_declaring_a_huge_string_is_refused_without_harm() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let daemon = pm2.daemon_pid().expect("daemon pid");

    // Hello { protocol: 1, version: <a string of 2^40 bytes> }: variant 0, varint 1, then a
    // u64 length (bincode varint marker 253) the body does not contain.
    let mut body = vec![0u8, 1, 253];
    body.extend_from_slice(&(1u64 << 40).to_le_bytes());
    let mut stream = connect(&pm2);
    send_raw(&mut stream, &body);
    expect_error(&mut stream, "a hello with a huge string length");
    expect_closed(&mut stream);

    pm2.run(&["ping"]).ok();
    assert_eq!(pm2.daemon_pid(), Some(daemon), "the daemon was replaced");
}

#[test]
fn an_oversized_frame_length_gets_an_error_and_the_connection_is_closed() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let daemon = pm2.daemon_pid().expect("daemon pid");

    for announced in [MAX_FRAME_LEN as u32 + 1, u32::MAX] {
        let mut stream = connect(&pm2);
        stream
            .write_all(&announced.to_be_bytes())
            .expect("send length");
        expect_error(&mut stream, &format!("a frame of {announced} bytes"));
        expect_closed(&mut stream);
    }

    pm2.run(&["ping"]).ok();
    assert_eq!(pm2.daemon_pid(), Some(daemon), "the daemon was replaced");
    assert!(alive(daemon));
}

#[test]
fn clients_that_hang_up_mid_frame_do_not_hurt_the_daemon() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let daemon = pm2.daemon_pid().expect("daemon pid");

    // Half a length prefix, then gone.
    let mut stream = connect(&pm2);
    stream.write_all(&[0, 0]).expect("send");
    drop(stream);
    // A length announcing more than is sent, then gone.
    let mut stream = connect(&pm2);
    stream.write_all(&100u32.to_be_bytes()).expect("send");
    stream.write_all(b"short").expect("send");
    drop(stream);
    // A request before any hello is refused.
    let mut stream = connect(&pm2);
    send_frame(&mut stream, &ClientFrame::Request(Request::Ping));
    expect_error(&mut stream, "a request before the hello");
    expect_closed(&mut stream);

    pm2.run(&["ping"]).ok();
    assert_eq!(pm2.daemon_pid(), Some(daemon), "the daemon was replaced");
}

#[test]
fn a_raw_client_of_this_version_can_ping() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let daemon = pm2.daemon_pid().expect("daemon pid");

    let mut stream = connect(&pm2);
    let welcome = handshake(&mut stream);
    assert_eq!(welcome.pid as i32, daemon, "welcome names the daemon pid");
    send_frame(&mut stream, &ClientFrame::Request(Request::Ping));
    match read_frame(&mut stream) {
        ServerFrame::Response(Response::Pong { pid, .. }) => assert_eq!(pid as i32, daemon),
        other => panic!("expected a pong, got {other:?}"),
    }
}

#[test]
fn a_client_of_another_protocol_version_is_told_to_update_or_kill() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();

    let mut stream = connect(&pm2);
    send_frame(
        &mut stream,
        &ClientFrame::Hello(Hello {
            protocol: PROTOCOL_VERSION + 1,
            version: "99.0.0".into(),
        }),
    );
    match read_frame(&mut stream) {
        ServerFrame::Welcome(welcome) => assert_eq!(welcome.protocol, PROTOCOL_VERSION),
        other => panic!("expected a welcome first, got {other:?}"),
    }
    let message = expect_error(&mut stream, "a hello of another version");
    assert!(
        message.contains("pm2 update") && message.contains("pm2 kill"),
        "the error should tell to run `pm2 update` or `pm2 kill`: {message}"
    );
    expect_closed(&mut stream);

    pm2.run(&["ping"]).ok();
}

#[test]
fn an_unwritable_home_is_one_clear_error_not_a_hang() {
    let pm2 = Pm2::new();
    let file = pm2.work().join("a-file");
    std::fs::write(&file, "").expect("write file");
    let home = file.join("pm2-home");

    let mut command = pm2.command(&["ls"]);
    command.env("PM2_HOME", &home);
    let started = Instant::now();
    let run = run_within(command, Duration::from_secs(10));
    let took = started.elapsed();

    assert_ne!(run.code, 0, "pm2 ls should fail: {run:?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", run.stderr);
    assert!(
        lines[0].contains(&home.display().to_string()) && lines[0].contains("not writable"),
        "the line should name {} and say it is not writable: {}",
        home.display(),
        lines[0]
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn kill_without_a_daemon_succeeds_and_starts_nothing() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["kill"]).ok();
    assert!(
        !run.stdout.trim().is_empty(),
        "kill should say something when no daemon runs"
    );
    assert!(
        !pm2.home().join("rpc.sock").exists(),
        "a daemon was started"
    );
    assert!(pm2.daemon_pid().is_none(), "a daemon was started");
}

#[test]
fn after_kill_the_next_command_starts_a_fresh_daemon() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let first = pm2.daemon_pid().expect("first daemon pid");

    pm2.run(&["kill"]).ok();
    assert!(!alive(first), "daemon {first} survived pm2 kill");
    assert!(
        !pm2.home().join("rpc.sock").exists(),
        "rpc.sock left behind by kill"
    );

    let run = pm2.run(&["ping"]).ok();
    assert!(run.stdout.contains("{ msg: 'pong' }"), "{}", run.stdout);
    let second = pm2.daemon_pid().expect("second daemon pid");
    assert_ne!(first, second, "the same daemon answered after kill");
    assert!(alive(second));
}

#[test]
fn a_stale_socket_of_a_killed_daemon_does_not_block_the_next_start() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let first = pm2.daemon_pid().expect("first daemon pid");
    kill(Pid::from_raw(first), Signal::SIGKILL).expect("SIGKILL the daemon");
    wait_until("the daemon to die", || !alive(first));
    assert!(
        pm2.home().join("rpc.sock").exists(),
        "the test needs the socket file left behind"
    );

    let run = pm2.run(&["ping"]).ok();
    assert!(run.stdout.contains("{ msg: 'pong' }"), "{}", run.stdout);
    let second = pm2.daemon_pid().expect("second daemon pid");
    assert_ne!(first, second);
    assert!(alive(second));
    assert_eq!(mode(&pm2.home().join("rpc.sock")), 0o600, "rpc.sock mode");
}

#[test]
fn concurrent_first_commands_share_one_daemon() {
    let pm2 = Pm2::new();
    let children: Vec<_> = (0..4)
        .map(|_| {
            pm2.command(&["ping"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn pm2 ping")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("pm2 ping");
        assert!(
            output.status.success(),
            "a concurrent ping failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let pid = pm2.daemon_pid().expect("daemon pid");
    // Losers of the race exit on their own; give them a moment.
    wait_until("a single daemon for this PM2_HOME", || {
        daemons_of(pm2.home()) == vec![pid]
    });
    pm2.run(&["ping"]).ok();
}

#[test]
fn an_idle_connection_does_not_block_others() {
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    let _silent = connect(&pm2);
    let mut half = connect(&pm2);
    half.write_all(&1000u32.to_be_bytes()).expect("send length");
    let started = Instant::now();
    pm2.run(&["ping"]).ok();
    pm2.run(&["jlist"]).ok();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn kill_stops_the_apps_and_the_daemon() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "nap", "--", "1000"])
        .ok();
    let app = pm2.wait_status(0, "online")["pid"].as_i64().expect("pid") as i32;
    let daemon = pm2.daemon_pid().expect("daemon pid");

    let run = pm2.run(&["kill"]).ok();
    assert!(run.stdout.contains("Stopped"), "{}", run.stdout);
    assert!(!alive(app), "app {app} survived pm2 kill");
    assert!(!alive(daemon), "daemon {daemon} survived pm2 kill");
    assert!(
        !pm2.home().join("rpc.sock").exists(),
        "rpc.sock left behind"
    );
    assert!(pm2.daemon_pid().is_none(), "pm2.pid left behind");
}

#[test]
fn sigterm_to_the_daemon_stops_the_apps_and_cleans_up() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "nap", "--", "1000"])
        .ok();
    let app = pm2.wait_status(0, "online")["pid"].as_i64().expect("pid") as i32;
    let daemon = pm2.daemon_pid().expect("daemon pid");

    kill(Pid::from_raw(daemon), Signal::SIGTERM).expect("SIGTERM the daemon");
    wait_until("the daemon to exit", || !alive(daemon));
    assert!(!alive(app), "app {app} survived the daemon's SIGTERM");
    assert!(
        !pm2.home().join("rpc.sock").exists(),
        "rpc.sock left behind"
    );
    assert!(pm2.daemon_pid().is_none(), "pm2.pid left behind");
}

#[test]
fn ping_answers_pong_as_pm2_prints_it() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["ping"]).ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("{ msg: 'pong' }"),
        "{}",
        run.stdout
    );
    // Once the daemon runs, ping prints only the answer.
    let run = pm2.run(&["ping"]).ok();
    assert_eq!(run.stdout, "{ msg: 'pong' }\n");
}

#[test]
fn version_prints_the_package_version() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["--version"]).ok();
    let version = run.stdout.trim_end_matches('\n');
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "not a x.y.z version: {:?}",
        run.stdout
    );
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert!(pm2.daemon_pid().is_none(), "--version started a daemon");
}

// ---- helpers ----

/// Permission bits of a path.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Reads one frame and expects an error response; returns its text.
fn expect_error(stream: &mut UnixStream, after: &str) -> String {
    match read_frame(stream) {
        ServerFrame::Response(Response::Error(failure)) => {
            assert!(!failure.message.is_empty(), "empty error after {after}");
            failure.message
        }
        other => panic!("expected an error response after {after}, got {other:?}"),
    }
}

/// The daemon hung up: end of stream (or a reset, when our unread bytes were dropped).
fn expect_closed(stream: &mut UnixStream) {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Ok(_) => panic!("the daemon sent more after the error"),
        Err(e) => panic!("the connection was not closed: {e}"),
    }
}

/// Live `pm2 --daemon` processes whose `PM2_HOME` is `home`.
fn daemons_of(home: &Path) -> Vec<i32> {
    let wanted = format!("PM2_HOME={}", home.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        if args.get(1) != Some(&&b"--daemon"[..]) {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ
            .split(|&b| b == 0)
            .any(|var| var == wanted.as_bytes())
            && alive(pid)
        {
            found.push(pid);
        }
    }
    found
}

/// Runs a command, killing it and failing if it takes longer than `limit`.
fn run_within(mut command: Command, limit: Duration) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pm2");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait pm2").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pm2 did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("pm2 output");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
