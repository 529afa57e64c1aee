//! Dumps written by PM2 itself (7.x, and its format by hand) resurrected by ours.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use super::common::http::{answering_pids, free_port};
use super::common::{alive, canonical, cmdline, pid_of, read, stays, Pm2};
use super::support::*;

#[test]
fn a_dump_written_by_pm2_7_is_resurrected() {
    let Some(pm2_js) = pm2_js() else {
        eprintln!("skipped: PM2 7 not found at {PM2_JS} (set PM2_JS to its bin/pm2)");
        return;
    };
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("worker.sh", WORKER_SH, true);
    pm2.write("api.js", PID_SERVER_JS, false);

    // PM2 itself, in its own home, writes the dump.
    let real = RealPm2::new(pm2_js, pm2.work());
    real.run(
        &["start", "worker.sh", "--name", "worker", "--", "one", "two"],
        &[("GREETING", "hello")],
    );
    real.run(
        &["start", "api.js", "--name", "api", "-i", "2"],
        &[("PORT", &port.to_string())],
    );
    real.run(&["save"], &[]);
    real.run(&["kill"], &[]);
    let text = read(&real.home.path().join("dump.pm2"));
    let parsed: Value = serde_json::from_str(&text).expect("PM2's dump is JSON");
    assert!(
        parsed.as_array().is_some_and(|a| a.len() == 3),
        "PM2 should have saved 3 processes: {text}"
    );
    std::fs::write(pm2.home().join("dump.pm2"), &text).expect("place PM2's dump");

    pm2.run(&["resurrect"]).ok();
    let list = pm2.wait_for("worker and 2 api online", |list| {
        list.len() == 3
            && list
                .iter()
                .all(|p| p["pm2_env"]["status"] == "online" && p["pid"].as_i64() > Some(0))
    });
    let worker: Vec<&Value> = list.iter().filter(|p| p["name"] == "worker").collect();
    let api: Vec<&Value> = list.iter().filter(|p| p["name"] == "api").collect();
    assert_eq!((worker.len(), api.len()), (1, 2), "{list:#?}");
    let ids: BTreeSet<u64> = list.iter().filter_map(|p| p["pm_id"].as_u64()).collect();
    assert_eq!(ids.len(), 3, "one id per process: {list:#?}");

    let work = pm2.work().to_str().expect("utf-8");
    let worker = worker[0];
    assert_eq!(worker["pm2_env"]["args"], json!(["one", "two"]));
    assert_eq!(worker["pm2_env"]["pm_cwd"], work);
    assert_eq!(worker["pm2_env"]["env"]["GREETING"], "hello");
    let pid = pid_of(worker);
    assert_eq!(proc_cwd(pid), canonical(pm2.work()));
    assert_eq!(
        proc_environ(pid).get("GREETING").map(String::as_str),
        Some("hello")
    );
    for p in &api {
        assert_eq!(p["pm2_env"]["pm_cwd"], work);
        assert_eq!(p["pm2_env"]["exec_mode"], "cluster_mode");
    }
    let api_pids: BTreeSet<i32> = api.iter().map(|p| pid_of(p)).collect();
    assert_eq!(
        answering_pids(port, 2),
        api_pids,
        "the api's PORT from PM2's dump should be served by both instances"
    );
}

#[test]
fn a_pm2_format_dump_is_resurrected() {
    let pm2 = Pm2::new();
    let dir = mkdir(&pm2, "srv");
    pm2.write("srv/worker.sh", WORKER_SH, true);
    let worker_script = dir.join("worker.sh");
    let mut worker = pm2_env(&pm2, "worker", &worker_script, &dir, None);
    worker["exec_interpreter"] = json!("bash");
    worker["args"] = json!(["one", "two"]);
    worker["namespace"] = json!("jobs");
    worker["env"]["GREETING"] = json!("hello");
    worker["GREETING"] = json!("hello");
    worker["merge_logs"] = json!(true);
    // PM2 gave the worker id 0 and nap ids 1 and 2.
    let nap = |instance: u32| {
        let mut nap = pm2_env(
            &pm2,
            "nap",
            Path::new("/bin/sleep"),
            &dir,
            Some(instance + 1),
        );
        nap["args"] = json!(["1000"]);
        nap["env"]["NAP_LEVEL"] = json!(7);
        nap["NAP_LEVEL"] = json!(7);
        nap["NODE_APP_INSTANCE"] = json!(instance);
        nap
    };
    let dump = json!([worker, nap(0), nap(1)]);
    std::fs::write(pm2.home().join("dump.pm2"), dump.to_string()).expect("write dump");

    pm2.run(&["resurrect"]).ok();
    let list = wait_online(&pm2, &[(0, "worker"), (1, "nap"), (2, "nap")]);
    let worker = &list[&0];
    assert_eq!(worker["pm2_env"]["namespace"], "jobs");
    assert_eq!(worker["pm2_env"]["args"], json!(["one", "two"]));
    assert_eq!(worker["pm2_env"]["pm_cwd"], dir.to_str().expect("utf-8"));
    let pid = pid_of(worker);
    assert_eq!(proc_cwd(pid), canonical(&dir));
    assert_eq!(
        proc_environ(pid).get("GREETING").map(String::as_str),
        Some("hello")
    );
    for id in [1, 2] {
        let pid = pid_of(&list[&id]);
        assert_eq!(cmdline(pid)[1..], ["1000"], "argv of nap {id}");
        assert_eq!(
            proc_environ(pid).get("NAP_LEVEL").map(String::as_str),
            Some("7"),
            "a number in PM2's env becomes a string in the environment"
        );
    }
}

/// PM2's resurrect registers a process saved with `status: "stopped"` without starting it.
#[test]
fn a_process_pm2_saved_stopped_comes_back_stopped() {
    let pm2 = Pm2::new();
    let dir = mkdir(&pm2, "srv");
    let sleeper = |name: &str, status: &str| {
        let mut env = pm2_env(&pm2, name, Path::new("/bin/sleep"), &dir, None);
        env["args"] = json!(["1000"]);
        env["status"] = json!(status);
        env
    };
    let dump = json!([sleeper("up", "online"), sleeper("down", "stopped")]);
    std::fs::write(pm2.home().join("dump.pm2"), dump.to_string()).expect("write dump");

    pm2.run(&["resurrect"]).ok();
    pm2.wait_status(0, "online");
    stays("down stopped", Duration::from_millis(500), || {
        pm2.process(1).is_some_and(|p| {
            p["name"] == "down" && p["pm2_env"]["status"] == "stopped" && p["pid"] == 0
        })
    });
}

/// PM2 writes one log file per instance (`api-out-1.log`, `api-out-2.log`) and saves each
/// instance's own path without `merge_logs`; on resurrect it gives each new process its
/// own file again. Two instances must not be merged into the first one's file.
#[test]
fn a_pm2_dump_of_an_app_with_two_instances_keeps_one_log_file_per_instance() {
    let pm2 = Pm2::new();
    let port = free_port();
    pm2.write("api.js", PID_SERVER_JS, false);
    let script = pm2.work().join("api.js");
    let api = |pm_id: u32| {
        let mut api = pm2_env(&pm2, "api", &script, pm2.work(), Some(pm_id));
        api["NODE_APP_INSTANCE"] = json!(pm_id - 1);
        api["exec_interpreter"] = json!("node");
        api["exec_mode"] = json!("cluster_mode");
        api["env"]["PORT"] = json!(port.to_string());
        api["PORT"] = json!(port.to_string());
        api
    };
    let dump = json!([api(1), api(2)]);
    std::fs::write(pm2.home().join("dump.pm2"), dump.to_string()).expect("write dump");

    pm2.run(&["resurrect"]).ok();
    // PM2 saves no pm_id: the processes get ids in the dump's order.
    let list = wait_online(&pm2, &[(0, "api"), (1, "api")]);
    let out: BTreeSet<String> = list
        .values()
        .map(|p| {
            p["pm2_env"]["pm_out_log_path"]
                .as_str()
                .unwrap_or("")
                .into()
        })
        .collect();
    let err: BTreeSet<String> = list
        .values()
        .map(|p| {
            p["pm2_env"]["pm_err_log_path"]
                .as_str()
                .unwrap_or("")
                .into()
        })
        .collect();
    assert_eq!(
        (out.len(), err.len()),
        (2, 2),
        "each instance should have its own log files, as with PM2: out {out:?}, err {err:?}"
    );
}

/// PM2 saves each process's pid file with its id (`worker-0.pid`); the resurrected
/// process's pid file is named after its new id, as PM2 and this daemon name them
/// (`<name>-<id>.pid`), not with a second suffix (`worker-0-0.pid`).
#[test]
fn a_pm2_dump_keeps_pid_files_named_after_the_ids() {
    let pm2 = Pm2::new();
    let dir = mkdir(&pm2, "srv");
    let nap = |instance: u32| {
        let mut nap = pm2_env(&pm2, "nap", Path::new("/bin/sleep"), &dir, Some(instance));
        nap["args"] = json!(["1000"]);
        nap["NODE_APP_INSTANCE"] = json!(instance);
        nap
    };
    let dump = json!([nap(0), nap(1)]);
    std::fs::write(pm2.home().join("dump.pm2"), dump.to_string()).expect("write dump");

    pm2.run(&["resurrect"]).ok();
    let list = wait_online(&pm2, &[(0, "nap"), (1, "nap")]);
    for (id, p) in &list {
        let path = p["pm2_env"]["pm_pid_path"].as_str().unwrap_or_default();
        assert!(
            path.ends_with(&format!("/nap-{id}.pid")),
            "pid file of process {id}: {path}"
        );
    }
}

/// Where PM2 7 is installed (override with `PM2_JS`).
const PM2_JS: &str = "/opt/pm2js/node_modules/.bin/pm2";

fn pm2_js() -> Option<PathBuf> {
    let path = std::env::var_os("PM2_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(PM2_JS));
    path.exists().then_some(path)
}

/// The real PM2 in a home of its own; `pm2 kill`ed (and its processes killed) on drop.
struct RealPm2 {
    bin: PathBuf,
    home: tempfile::TempDir,
    work: PathBuf,
}

impl RealPm2 {
    fn new(bin: PathBuf, work: &Path) -> RealPm2 {
        RealPm2 {
            bin,
            home: tempfile::Builder::new()
                .prefix("pm2js-home-")
                .tempdir()
                .expect("temp home"),
            work: work.to_path_buf(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .current_dir(&self.work)
            .env("PM2_HOME", self.home.path())
            .env_remove("NODE_OPTIONS");
        command
    }

    /// Runs PM2 with extra variables; panics unless it succeeds within a minute.
    fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        command.envs(vars.iter().copied());
        let output = output_within(command, Duration::from_secs(60))
            .unwrap_or_else(|| panic!("PM2 {args:?} did not finish within a minute"));
        assert!(
            output.status.success(),
            "PM2 {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for RealPm2 {
    fn drop(&mut self) {
        // Only when its daemon still runs (a test failed half-way): its pid files are
        // current then, and nothing else may be killed by mistake.
        let daemon: Option<i32> = read(&self.home.path().join("pm2.pid")).trim().parse().ok();
        let Some(daemon) = daemon.filter(|&pid| alive(pid)) else {
            return;
        };
        let apps: Vec<i32> = std::fs::read_dir(self.home.path().join("pids"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| read(&e.path()).trim().parse().ok())
            .collect();
        let _ = output_within(self.command(&["kill"]), Duration::from_secs(30));
        for pid in apps.into_iter().chain([daemon]) {
            if alive(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}

/// Runs a command; `None` (after killing it) when it has not finished within `limit`.
fn output_within(mut command: Command, limit: Duration) -> Option<Output> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let pid = child.id() as i32;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match receive.recv_timeout(limit) {
        Ok(output) => output.ok(),
        Err(_) => {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            None
        }
    }
}
