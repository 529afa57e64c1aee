//! PM2's environment variables (`paths.js`, `constants.js`) doing what they do in PM2: the
//! path variables move the daemon's files and the apps' logs, the default variables change
//! the options an app gets when it gives none.

use crate::common;

use std::path::PathBuf;

use common::{read, wait_until, Pm2, Run};

/// Runs `kill` with the same variables when dropped, so a failing test leaves no daemon
/// behind even though its files are not where [`Pm2`]'s own clean-up looks.
struct Moved<'a> {
    pm2: &'a Pm2,
    vars: Vec<(&'static str, PathBuf)>,
}

impl Moved<'_> {
    fn run(&self, args: &[&str]) -> Run {
        let vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .map(|(k, v)| (*k, v.to_str().expect("utf-8 path")))
            .collect();
        self.pm2.run_env(args, &vars)
    }
}

impl Drop for Moved<'_> {
    fn drop(&mut self) {
        let _ = self.run(&["kill"]);
    }
}

#[test]
fn path_variables_move_the_socket_the_daemons_files_and_the_logs() {
    let pm2 = Pm2::new();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| elsewhere.path().join(name);
    std::fs::create_dir_all(at("app-logs")).expect("mkdir");
    let moved = Moved {
        pm2: &pm2,
        vars: vec![
            ("PM2_DAEMON_RPC_PORT", at("control.sock")),
            ("PM2_PID_FILE_PATH", at("daemon.pid")),
            ("PM2_LOG_FILE_PATH", at("daemon.log")),
            ("PM2_DEFAULT_LOG_PATH", at("app-logs")),
        ],
    };
    pm2.write("app.sh", "echo hello from app\nexec sleep 1000\n", false);
    moved.run(&["start", "app.sh"]).ok();
    let out_log = at("app-logs").join("app-out.log");
    wait_until("the app's line in the moved log folder", || {
        read(&out_log).contains("hello from app")
    });
    assert!(at("control.sock").exists());
    assert!(at("daemon.log").exists());
    let pid: i32 = read(&at("daemon.pid")).trim().parse().expect("a pid");
    assert!(common::alive(pid));
    for default in ["rpc.sock", "pm2.pid", "pm2.log"] {
        assert!(!pm2.home().join(default).exists(), "{default} in PM2_HOME");
    }
    let listed = moved.run(&["jlist"]).ok();
    assert!(
        listed.stdout.contains(out_log.to_str().unwrap()),
        "{}",
        listed.stdout
    );
    moved.run(&["kill"]).ok();
    wait_until("the daemon to exit", || !common::alive(pid));
}

#[test]
fn default_variables_change_what_an_app_gets_when_it_gives_nothing() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", "exec sleep 1000\n", false);
    let vars = [
        ("PM2_KILL_TIMEOUT", "4321"),
        ("PM2_PROCESS_INSTANCE_VAR", "WORKER_ID"),
    ];
    pm2.run_env(&["start", "app.sh", "--name", "a"], &vars).ok();
    pm2.run_env(
        &["start", "app.sh", "--name", "b", "--kill-timeout", "100"],
        &vars,
    )
    .ok();
    let list = pm2.wait_for("two online apps", |l| {
        l.len() == 2 && l.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    assert_eq!(list[0]["pm2_env"]["kill_timeout"], 4321);
    assert_eq!(list[0]["pm2_env"]["instance_var"], "WORKER_ID");
    assert_eq!(list[0]["pm2_env"]["WORKER_ID"], 0);
    assert_eq!(list[1]["pm2_env"]["kill_timeout"], 100, "an option wins");
}
