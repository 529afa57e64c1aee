//! The saved process list and surviving daemons: `pm2 save`/`resurrect`/`cleardump`, the
//! `.bak` fallback, dumps written by PM2 itself, recovery after the daemon is SIGKILLed,
//! `pm2 update`, and graceful stops on `pm2 kill` and SIGTERM.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::http::{answering_pids, free_port};
use common::{alive, read, wait_until, Pm2};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

/// The line `pm2.log` has when a daemon finds that its predecessor died.
const RECOVERED: &str = "the previous daemon died: recovering its apps";

// ---------------------------------------------------------------------------------------
// save / resurrect

#[test]
fn save_kill_resurrect_restores_ids_names_env_cwd_args_namespaces_and_instances() {
    let pm2 = Pm2::new();
    let alpha_dir = mkdir(&pm2, "alpha-dir");
    let beta_dir = mkdir(&pm2, "beta-dir");
    pm2.write("beta-dir/app.sh", APP_SH, true);
    let alpha_cwd = alpha_dir.to_str().expect("utf-8 path");
    pm2.run_env(
        &[
            "start",
            "sleep",
            "--name",
            "alpha",
            "--namespace",
            "blue",
            "--cwd",
            alpha_cwd,
            "--",
            "1000",
        ],
        &[("FROM_CALLER", "caller-value")],
    )
    .ok();
    pm2.run(&["start", "sleep", "--name", "doomed", "--", "1000"])
        .ok();
    pm2.write(
        "ecosystem.toml",
        &format!(
            "[[apps]]\nname = \"beta\"\nscript = \"app.sh\"\ncwd = \"{}\"\n\
             args = [\"--flag\", \"two words\"]\ninstances = 2\nnamespace = \"green\"\n\n\
             [apps.env]\nFROM_ECOSYSTEM = \"eco-value\"\n",
            beta_dir.display()
        ),
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    let before = wait_online(
        &pm2,
        &[(0, "alpha"), (1, "doomed"), (2, "beta"), (3, "beta")],
    );

    // A first save with `doomed` still there, then a second one without it: the first list
    // is kept as the backup.
    let dump = pm2.home().join("dump.pm2");
    let backup = pm2.home().join("dump.pm2.bak");
    let run = pm2.run(&["save"]).ok();
    assert!(
        run.stdout
            .contains(&format!("Successfully saved in {}", dump.display())),
        "save should say where it saved, as PM2 does:\n{}",
        run.stdout
    );
    let first = read(&dump);
    assert_eq!(
        saved_names(&dump),
        ["alpha", "doomed", "beta", "beta"],
        "first dump:\n{first}"
    );
    pm2.run(&["delete", "doomed"]).ok();
    pm2.wait_for("doomed to be deleted", |list| {
        list.iter().all(|p| p["name"] != "doomed")
    });
    pm2.run(&["save"]).ok();
    assert_eq!(
        read(&backup),
        first,
        "the second save should keep the first dump as {}",
        backup.display()
    );
    assert_eq!(
        saved_names(&dump),
        ["alpha", "beta", "beta"],
        "second dump:\n{}",
        read(&dump)
    );

    let old_pids: Vec<i32> = before.values().map(pid_of).collect();
    pm2.run(&["kill"]).ok();
    for &pid in &old_pids {
        assert!(!alive(pid), "process {pid} survived pm2 kill");
    }

    let run = pm2.run(&["resurrect"]).ok();
    assert!(
        run.stdout.contains("Restoring processes located in"),
        "{}",
        run.stdout
    );
    let after = wait_online(&pm2, &[(0, "alpha"), (2, "beta"), (3, "beta")]);
    let list = pm2.jlist();
    assert_eq!(
        list.len(),
        3,
        "only the saved processes come back (id 1 was deleted): {list:#?}"
    );
    for (id, p) in &after {
        let pid = pid_of(p);
        assert!(
            !old_pids.contains(&pid),
            "process {id} has the pid {pid} of before the kill"
        );
        assert!(alive(pid), "process {id} (pid {pid}) is not running");
    }

    // alpha: namespace, cwd, args and the caller's environment of the original start.
    let alpha = &after[&0];
    assert_eq!(alpha["pm2_env"]["namespace"], "blue");
    assert_eq!(alpha["pm2_env"]["pm_cwd"], alpha_cwd);
    assert_eq!(alpha["pm2_env"]["args"], json!(["1000"]));
    assert_eq!(
        alpha["pm2_env"]["env"]["FROM_CALLER"], "caller-value",
        "jlist env of alpha"
    );
    let pid = pid_of(alpha);
    assert_eq!(
        proc_cwd(pid),
        canonical(&alpha_dir),
        "cwd of alpha's process"
    );
    assert_eq!(proc_cmdline(pid)[1..], ["1000"], "argv of alpha's process");
    assert_eq!(
        proc_environ(pid).get("FROM_CALLER").map(String::as_str),
        Some("caller-value"),
        "environment of alpha's process"
    );

    // beta: two instances with the ecosystem's env, cwd, args and namespace.
    for id in [2, 3] {
        let beta = &after[&id];
        assert_eq!(beta["pm2_env"]["namespace"], "green");
        assert_eq!(beta["pm2_env"]["pm_cwd"], beta_dir.to_str().expect("utf-8"));
        assert_eq!(beta["pm2_env"]["args"], json!(["--flag", "two words"]));
        assert_eq!(beta["pm2_env"]["env"]["FROM_ECOSYSTEM"], "eco-value");
        let pid = pid_of(beta);
        assert_eq!(proc_cwd(pid), canonical(&beta_dir), "cwd of beta {id}");
        let argv = proc_cmdline(pid);
        assert!(
            argv.ends_with(&["--flag".to_string(), "two words".to_string()]),
            "argv of beta {id}: {argv:?}"
        );
        assert_eq!(
            proc_environ(pid).get("FROM_ECOSYSTEM").map(String::as_str),
            Some("eco-value"),
            "environment of beta {id}"
        );
    }
    let instances: BTreeSet<String> = [2, 3]
        .iter()
        .map(|id| proc_environ(pid_of(&after[id]))["NODE_APP_INSTANCE"].clone())
        .collect();
    assert_eq!(
        instances,
        BTreeSet::from(["0".to_string(), "1".to_string()]),
        "the two instances of beta"
    );
}

#[test]
fn save_without_processes_warns_and_writes_nothing_unless_forced() {
    let pm2 = Pm2::new();
    let dump = pm2.home().join("dump.pm2");
    let run = pm2.run(&["save"]).ok();
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("PM2 is not managing any process, skipping save")
            && said.contains("pm2 save --force"),
        "save with no process should warn as PM2 does:\n{said}"
    );
    assert!(
        !dump.exists(),
        "save with no process wrote {}",
        dump.display()
    );
    assert!(
        !pm2.home().join("dump.pm2.bak").exists(),
        "save with no process wrote a backup"
    );

    let run = pm2.run(&["save", "--force"]).ok();
    assert!(
        run.stdout
            .contains(&format!("Successfully saved in {}", dump.display())),
        "{}",
        run.stdout
    );
    assert!(dump.exists(), "save --force wrote no file");
    assert_eq!(
        saved_names(&dump),
        Vec::<String>::new(),
        "save --force with no process: {}",
        read(&dump)
    );
}

#[test]
fn cleardump_empties_the_dump_and_resurrect_then_starts_nothing() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "nap", "--", "1000"])
        .ok();
    pm2.wait_status(0, "online");
    pm2.run(&["save"]).ok();
    let dump = pm2.home().join("dump.pm2");
    assert_eq!(saved_names(&dump), ["nap"]);

    let run = pm2.run(&["cleardump"]).ok();
    assert!(
        run.stdout
            .contains(&format!("Successfully created {}", dump.display())),
        "{}",
        run.stdout
    );
    assert_eq!(
        saved_names(&dump),
        Vec::<String>::new(),
        "after cleardump: {}",
        read(&dump)
    );

    pm2.run(&["kill"]).ok();
    pm2.run(&["resurrect"]).ok();
    let list = pm2.jlist();
    assert!(
        list.is_empty(),
        "resurrect after cleardump started {list:#?}"
    );
}

#[test]
fn a_truncated_dump_falls_back_to_the_backup_with_a_warning() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "keeper", "--", "1000"])
        .ok();
    pm2.wait_status(0, "online");
    pm2.run(&["save"]).ok();
    pm2.run(&["start", "sleep", "--name", "later", "--", "1000"])
        .ok();
    pm2.wait_status(1, "online");
    pm2.run(&["save"]).ok();
    pm2.run(&["kill"]).ok();

    let dump = pm2.home().join("dump.pm2");
    truncate_in_the_middle(&dump);

    let run = pm2.run(&["resurrect"]).ok();
    assert!(
        run.stderr.contains(&dump.display().to_string()) && run.stderr.contains("dump.pm2.bak"),
        "resurrect should warn on stderr naming the broken file and the backup it uses:\n\
         stderr: {}\nstdout: {}",
        run.stderr,
        run.stdout
    );
    assert!(
        run.stderr.contains("[PM2][WARN]"),
        "a warning: {}",
        run.stderr
    );
    wait_online(&pm2, &[(0, "keeper")]);
    let names: Vec<Value> = pm2.jlist().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, ["keeper"], "the backup's apps, and only them");
}

#[test]
fn a_dump_and_a_backup_both_unreadable_is_a_one_line_error() {
    let pm2 = Pm2::new();
    let dump = pm2.home().join("dump.pm2");
    std::fs::write(
        &dump,
        "{\"format\": \"pm2-rs/1\", \"apps\": [{\"ids\": [0], \"sp",
    )
    .expect("write dump");
    std::fs::write(
        pm2.home().join("dump.pm2.bak"),
        "[{\"name\": \"api\", \"pm_cw",
    )
    .expect("write backup");

    let run = pm2.run(&["resurrect"]).failed();
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line on stderr:\n{}", run.stderr);
    assert!(
        lines[0].contains(&dump.display().to_string()),
        "the error should name the dump: {}",
        lines[0]
    );
    assert!(
        !run.stderr.contains("panicked"),
        "resurrect panicked: {}",
        run.stderr
    );
    if pm2.home().join("rpc.sock").exists() {
        assert!(pm2.jlist().is_empty(), "something was started");
    }
}

// ---------------------------------------------------------------------------------------
// Dumps written by PM2

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
        assert_eq!(proc_cmdline(pid)[1..], ["1000"], "argv of nap {id}");
        assert_eq!(
            proc_environ(pid).get("NAP_LEVEL").map(String::as_str),
            Some("7"),
            "a number in PM2's env becomes a string in the environment"
        );
    }
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

// ---------------------------------------------------------------------------------------
// The daemon dies

#[test]
fn a_daemon_killed_with_sigkill_is_recovered_by_the_next_command() {
    let pm2 = Pm2::new();
    let port = free_port();
    // A duration no other test uses, to find this test's sleep among all processes.
    let nap_marker = format!("3600.{port}");
    pm2.run(&["start", "sleep", "--name", "nap", "--", &nap_marker])
        .ok();
    let script = pm2.write("web.js", PID_SERVER_JS, false);
    let script = script.to_str().expect("utf-8 path");
    pm2.run_env(
        &["start", script, "--name", "web", "-i", "2"],
        &[("PORT", &port.to_string())],
    )
    .ok();
    let before = wait_online(&pm2, &[(0, "nap"), (1, "web"), (2, "web")]);
    let old_pids: BTreeSet<i32> = before.values().map(pid_of).collect();
    assert_eq!(
        answering_pids(port, 2),
        [&before[&1], &before[&2]].into_iter().map(pid_of).collect(),
        "web before the crash"
    );

    // The daemon keeps its state every second; crash it once the state holds every pid.
    let state = pm2.home().join("state.pm2");
    wait_until("state.pm2 to list the running processes", || {
        state_pids(&state) == old_pids
    });
    let daemon = pm2.daemon_pid().expect("daemon pid");
    kill(Pid::from_raw(daemon), Signal::SIGKILL).expect("SIGKILL the daemon");
    wait_until("the daemon to die", || !alive(daemon));

    let run = pm2.run(&["ls"]).ok();
    assert!(
        run.stdout.contains("nap") && run.stdout.contains("web"),
        "pm2 ls after the crash should list the recovered apps:\n{}",
        run.stdout
    );
    let new_daemon = pm2.daemon_pid().expect("a new daemon");
    assert_ne!(new_daemon, daemon);

    let after = wait_online(&pm2, &[(0, "nap"), (1, "web"), (2, "web")]);
    let list = pm2.jlist();
    let ids: Vec<u64> = list.iter().filter_map(|p| p["pm_id"].as_u64()).collect();
    assert_eq!(ids.len(), 3, "exactly one entry per id: {list:#?}");
    let new_pids: BTreeSet<i32> = after.values().map(pid_of).collect();
    assert!(
        new_pids.is_disjoint(&old_pids),
        "old pids {old_pids:?}, new pids {new_pids:?}"
    );
    for pid in &old_pids {
        assert!(
            !alive(*pid),
            "process {pid} of the dead daemon still runs next to its replacement"
        );
    }
    // Exactly one OS process per id: no orphan left next to its replacement.
    assert_eq!(
        processes_running(&nap_marker),
        vec![pid_of(&after[&0])],
        "sleep processes of nap"
    );
    let web_pids: BTreeSet<i32> = [&after[&1], &after[&2]].into_iter().map(pid_of).collect();
    assert_eq!(
        processes_running(script)
            .into_iter()
            .collect::<BTreeSet<_>>(),
        web_pids,
        "node processes of web"
    );
    assert_eq!(
        answering_pids(port, 2),
        web_pids,
        "the port should be served by the new web processes only"
    );
    let log = read(&pm2.home().join("pm2.log"));
    assert_eq!(
        log.matches(RECOVERED).count(),
        1,
        "pm2.log should say once that the apps were recovered:\n{log}"
    );

    // A clean kill leaves nothing to recover.
    pm2.run(&["kill"]).ok();
    assert!(
        !state.exists(),
        "state.pm2 left behind by a clean kill: {}",
        read(&state)
    );
    for pid in &new_pids {
        assert!(!alive(*pid), "process {pid} survived pm2 kill");
    }
    let run = pm2.run(&["ls"]).ok();
    assert!(
        run.stdout.contains("Spawning PM2 daemon"),
        "pm2 ls after kill should start a new daemon:\n{}",
        run.stdout
    );
    let list = pm2.jlist();
    assert!(
        list.is_empty(),
        "the daemon after a clean kill started {list:#?}"
    );
    assert!(processes_running(&nap_marker).is_empty());
    let log = read(&pm2.home().join("pm2.log"));
    assert_eq!(
        log.matches(RECOVERED).count(),
        1,
        "no recovery after a clean kill:\n{log}"
    );
}

/// `pm2 update` either restarts the apps in a new daemon (PM2's way: save, kill,
/// resurrect) or re-executes the daemon in place, adopting the running processes. Either
/// way the apps keep their names and ids and run once each, the update is not taken for a
/// crash, and the output says which of the two happened, truthfully.
/// `pm2 update` hands the running apps to the re-executed daemon: every pid stays the same,
/// output written before and after lands in the same log files in order, and a cluster
/// app's port keeps answering.
#[test]
fn update_keeps_every_app_running_with_the_same_pids_and_logs() {
    let pm2 = Pm2::new();
    let unique = free_port();
    let marker = format!("3601.{unique}");
    pm2.run(&["start", "sleep", "--name", "one", "--", &marker])
        .ok();
    pm2.write(
        "count.sh",
        "i=0\nwhile true; do i=$((i+1)); echo \"line $i\"; sleep 0.02; done\n",
        false,
    );
    pm2.run(&["start", "count.sh", "--name", "count"]).ok();
    let before = wait_online(&pm2, &[(0, "one"), (1, "count")]);
    let daemon = pm2.daemon_pid().expect("daemon pid");
    let out = pm2.log("count-out.log");
    wait_until("some lines before the update", || {
        read(&out).lines().count() >= 5
    });

    let run = pm2.run(&["update"]).ok();
    assert!(run.stdout.contains("in place"), "{}", run.stdout);
    let after = wait_online(&pm2, &[(0, "one"), (1, "count")]);
    assert_eq!(
        pm2.daemon_pid(),
        Some(daemon),
        "re-executed in place: same daemon pid"
    );
    for id in [0, 1] {
        assert_eq!(
            pid_of(&before[&id]),
            pid_of(&after[&id]),
            "process {id} kept its pid"
        );
    }
    let at_update = read(&out).lines().count();
    wait_until("lines written after the update", || {
        read(&out).lines().count() >= at_update + 10
    });
    let numbers: Vec<u64> = read(&out)
        .lines()
        .filter_map(|l| l.strip_prefix("line ")?.parse().ok())
        .collect();
    let first = numbers[0];
    let expected: Vec<u64> = (first..first + numbers.len() as u64).collect();
    assert_eq!(numbers, expected, "one log, in order, across the update");
    let log = read(&pm2.home().join("pm2.log"));
    assert!(
        log.contains("adopted the previous daemon's processes"),
        "{log}"
    );
    assert!(
        !log.contains(RECOVERED),
        "update was taken for a daemon crash:\n{log}"
    );
    assert_eq!(processes_running(&marker), vec![pid_of(&after[&0])]);

    // The adopted processes are still managed: a crash is restarted, a stop stops.
    let count_pid = pid_of(&after[&1]);
    kill(Pid::from_raw(count_pid), Signal::SIGKILL).expect("kill count");
    wait_until("count restarted after its crash", || {
        pm2.process(1)
            .is_some_and(|p| p["pm2_env"]["status"] == "online" && pid_of(&p) != count_pid)
    });
    pm2.run(&["stop", "one"]).ok();
    pm2.wait_status(0, "stopped");
    assert!(!alive(pid_of(&after[&0])));
}

// ---------------------------------------------------------------------------------------
// Graceful stops of the whole daemon

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

// ---------------------------------------------------------------------------------------
// Helpers

/// Where PM2 7 is installed (override with `PM2_JS`).
const PM2_JS: &str = "/opt/pm2js/node_modules/.bin/pm2";

/// A bash app that stays up with its arguments in its argv.
const APP_SH: &str = "#!/bin/bash\necho \"args=$* cwd=$PWD\"\nsleep 1000 &\nwait\n";

/// A bash worker that prints its arguments and a variable, then sleeps.
const WORKER_SH: &str = "#!/bin/bash\necho \"args: $* GREETING=$GREETING\"\nsleep 1000 &\nwait\n";

/// A Node server on `PORT` answering with its pid.
const PID_SERVER_JS: &str =
    "require('http').createServer((q, s) => s.end(String(process.pid))).listen(process.env.PORT);\n";

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

/// One process as PM2 7 saves it in `dump.pm2`: its `pm2_env` without `pm_id` and
/// `instances`, with the caller's environment both in `env` and at the top level. With
/// `id` (one process of an app with several), the log and pid paths carry that id and
/// `merge_logs` is absent, as PM2 saves them.
fn pm2_env(pm2: &Pm2, name: &str, script: &Path, cwd: &Path, id: Option<u32>) -> Value {
    let logs = pm2.home().join("logs");
    let suffix = id.map(|i| format!("-{i}")).unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    let unique_id = format!("00000000-0000-4000-8000-{:012}", id.unwrap_or(0));
    let mut saved = json!({
        "name": name,
        "filter_env": [],
        "namespace": "default",
        "vizion": true,
        "autostart": true,
        "autorestart": true,
        "watch": false,
        "instance_var": "NODE_APP_INSTANCE",
        "pmx": true,
        "automation": true,
        "treekill": true,
        "username": "root",
        "windowsHide": true,
        "kill_retry_time": 100,
        "node_args": [],
        "pm_exec_path": script,
        "pm_cwd": cwd,
        "exec_interpreter": "none",
        "exec_mode": "fork_mode",
        "pm_out_log_path": logs.join(format!("{name}-out{suffix}.log")),
        "pm_err_log_path": logs.join(format!("{name}-error{suffix}.log")),
        "pm_pid_path": pm2.home().join("pids").join(format!("{name}-{}.pid", id.unwrap_or(0))),
    });
    let more = json!({
        "km_link": false,
        "vizion_running": false,
        "unique_id": unique_id,
        "status": "online",
        "pm_uptime": 1_700_000_000_000u64,
        "axm_actions": [],
        "axm_monitor": {},
        "axm_options": {},
        "axm_dynamic": {},
        "created_at": 1_700_000_000_000u64,
        "restart_time": 0,
        "unstable_restarts": 0,
        "version": "N/A",
        "NODE_APP_INSTANCE": 0,
        "PATH": path,
        "PM2_HOME": pm2.home(),
        "PM2_USAGE": "CLI",
        "env": {
            "PATH": path,
            "PM2_HOME": pm2.home(),
            "PM2_USAGE": "CLI",
            name: {},
            "unique_id": unique_id,
        },
    });
    if let (Some(saved), Value::Object(more)) = (saved.as_object_mut(), more) {
        saved.extend(more);
    }
    saved
}

fn mkdir(pm2: &Pm2, name: &str) -> PathBuf {
    let dir = pm2.work().join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).expect("canonical path")
}

fn pid_of(p: &Value) -> i32 {
    p["pid"].as_i64().expect("a pid") as i32
}

/// Waits until the processes are exactly these ids with these names, all online with a
/// pid; returns them by id.
fn wait_online(pm2: &Pm2, want: &[(u64, &str)]) -> BTreeMap<u64, Value> {
    let list = pm2.wait_for(&format!("processes {want:?} online"), |list| {
        list.len() == want.len()
            && want.iter().all(|(id, name)| {
                list.iter().any(|p| {
                    p["pm_id"].as_u64() == Some(*id)
                        && p["name"] == *name
                        && p["pm2_env"]["status"] == "online"
                        && p["pid"].as_i64() > Some(0)
                })
            })
    });
    list.into_iter()
        .filter_map(|p| Some((p["pm_id"].as_u64()?, p)))
        .collect()
}

/// The names of the saved processes, one per process, whatever the format: ours
/// (`{"apps": [{"ids", "spec": {"name"}}]}`) or PM2's (an array of `pm2_env`).
fn saved_names(path: &Path) -> Vec<String> {
    let text = read(path);
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON ({e}):\n{text}", path.display()));
    match &value {
        Value::Array(entries) => entries
            .iter()
            .map(|e| e["name"].as_str().expect("a name").to_string())
            .collect(),
        Value::Object(_) => value["apps"]
            .as_array()
            .unwrap_or_else(|| panic!("no apps in {text}"))
            .iter()
            .flat_map(|app| {
                let name = app["spec"]["name"].as_str().expect("a name").to_string();
                let count = app["ids"].as_array().map_or(1, Vec::len);
                std::iter::repeat_n(name, count)
            })
            .collect(),
        _ => panic!("{} is not a process list:\n{text}", path.display()),
    }
}

/// The pids the daemon's state file says are running.
fn state_pids(path: &Path) -> BTreeSet<i32> {
    let Ok(value) = serde_json::from_str::<Value>(&read(path)) else {
        return BTreeSet::new();
    };
    value["apps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|app| app["running"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["pid"].as_i64().map(|pid| pid as i32))
        .collect()
}

/// Cuts a file in the middle.
fn truncate_in_the_middle(path: &Path) {
    let bytes = std::fs::read(path).expect("read file");
    assert!(bytes.len() > 10, "{} is too short to cut", path.display());
    std::fs::write(path, &bytes[..bytes.len() / 2]).expect("write file");
}

/// The live (not zombie) processes with `needle` as one of their arguments.
fn processes_running(needle: &str) -> Vec<i32> {
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| alive(pid) && proc_cmdline(pid).iter().any(|a| a == needle))
        .collect();
    pids.sort_unstable();
    pids
}

fn proc_cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn proc_environ(pid: i32) -> BTreeMap<String, String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_else(|e| panic!("environment of {pid}: {e}"))
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

fn proc_cwd(pid: i32) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_else(|e| panic!("cwd of {pid}: {e}"))
}
