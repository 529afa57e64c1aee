//! Graceful stops of the whole daemon: `pm2 kill` and SIGTERM let each app finish within
//! its `kill_timeout`.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::common::{alive, pid_of, read, wait_until, Pm2};
use super::support::*;

#[test]
fn kill_lets_every_app_stop_gracefully_within_its_kill_timeout() {
    let pm2 = Pm2::new();
    let (polite, stubborn) = start_polite_and_stubborn(&pm2);
    let run = pm2.run(&["kill"]).ok();
    check_polite_and_stubborn(&pm2, polite, stubborn, &run.stdout);
}

#[test]
fn sigterm_to_the_daemon_lets_every_app_stop_gracefully_within_its_kill_timeout() {
    let pm2 = Pm2::new();
    let (polite, stubborn) = start_polite_and_stubborn(&pm2);
    let daemon = pm2.daemon_pid().expect("daemon pid");
    kill(Pid::from_raw(daemon), Signal::SIGTERM).expect("SIGTERM the daemon");
    wait_until("the daemon to exit after SIGTERM", || !alive(daemon));
    check_polite_and_stubborn(&pm2, polite, stubborn, "(SIGTERM)");
    assert!(
        !pm2.home().join("state.pm2").exists(),
        "state.pm2 left behind after SIGTERM: the next daemon would recover the apps"
    );
}

/// Starts `polite` (answers SIGINT by writing `bye` after 2.5 s, more than PM2's default
/// kill_timeout of 1.6 s, with `--kill-timeout 8000`) and `stubborn` (ignores SIGINT, with
/// `--kill-timeout 1000`); returns their pids once both said `ready`.
fn start_polite_and_stubborn(pm2: &Pm2) -> (i32, i32) {
    pm2.write("polite.py", POLITE_PY, false);
    pm2.write("stubborn.py", STUBBORN_PY, false);
    pm2.run(&[
        "start",
        "polite.py",
        "--name",
        "polite",
        "--kill-timeout",
        "8000",
    ])
    .ok();
    pm2.run(&[
        "start",
        "stubborn.py",
        "--name",
        "stubborn",
        "--kill-timeout",
        "1000",
    ])
    .ok();
    let procs = wait_online(pm2, &[(0, "polite"), (1, "stubborn")]);
    for name in ["polite", "stubborn"] {
        let log = pm2.log(&format!("{name}-out.log"));
        wait_until(&format!("{name} to be ready"), || {
            read(&log).contains("ready")
        });
    }
    (pid_of(&procs[&0]), pid_of(&procs[&1]))
}

fn check_polite_and_stubborn(pm2: &Pm2, polite: i32, stubborn: i32, said: &str) {
    let log = read(&pm2.log("polite-out.log"));
    assert!(
        log.contains("bye"),
        "polite had 8 s (its kill_timeout) to say bye, but its log is:\n{log}\n{said}"
    );
    assert!(!alive(polite), "polite {polite} survived");
    assert!(
        !alive(stubborn),
        "stubborn {stubborn} ignores SIGINT and should have been SIGKILLed after 1 s"
    );
    assert!(
        !pm2.home().join("rpc.sock").exists(),
        "rpc.sock left behind"
    );
}

/// Answers SIGINT by saying `bye` 2.5 s later, then exits.
const POLITE_PY: &str = "import signal, sys, time
def bye(signum, frame):
    time.sleep(2.5)
    print('bye', flush=True)
    sys.exit(0)
signal.signal(signal.SIGINT, bye)
print('ready', flush=True)
while True:
    time.sleep(1)
";

/// Ignores SIGINT.
const STUBBORN_PY: &str = "import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
print('ready', flush=True)
while True:
    time.sleep(1)
";
