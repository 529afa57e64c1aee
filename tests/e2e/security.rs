//! Another Unix user gets nothing of a daemon: not its socket, not its home. Run as root
//! (CI is), the probe runs as `nobody`; elsewhere the test skips, except under `CI`.

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::common::Pm2;

/// uid and gid of `nobody`.
const NOBODY: u32 = 65534;

/// What `nobody` manages to do with the home: one line per attempt.
const PROBE: &str = r#"
import os, socket, sys
home = sys.argv[1]
def attempt(what, action):
    try:
        action()
        print(what, "allowed")
    except PermissionError:
        print(what, "denied")
    except OSError as e:
        print(what, "failed", e.errno)
def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(home, "rpc.sock"))
attempt("connect", connect)
attempt("list", lambda: os.listdir(home))
attempt("read", lambda: open(os.path.join(home, "pm2.log")).read())
"#;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn another_user_can_neither_connect_nor_read_the_home() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: this test must run"
        );
        eprintln!("skipped: needs root to run a probe as another user");
        return;
    }
    let pm2 = Pm2::new();
    pm2.run(&["ping"]).ok();
    // Even with every folder above it open to all, the home and the socket stay private.
    let above = pm2.home().parent().expect("parent");
    assert!(above.exists());
    let output = Command::new("python3")
        .arg("-c")
        .arg(PROBE)
        .arg(pm2.home())
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .expect("run the probe as nobody");
    let text = String::from_utf8_lossy(&output.stdout);
    for attempt in ["connect", "list", "read"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(attempt))
            .unwrap_or_else(|| panic!("no {attempt} line: {text}"));
        assert!(line.ends_with("denied"), "{line}");
    }
    // The socket refuses others by its own mode too, not only by the home's.
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(pm2.home()), 0o700);
    assert_eq!(mode(&pm2.home().join("rpc.sock")), 0o600);
}
