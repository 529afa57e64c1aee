//! `pm2 save`, `resurrect` and `cleardump`, and the `.bak` fallback.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use super::common::{alive, canonical, cmdline, pid_of, read, stays, Pm2};
use super::support::*;

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
    assert_eq!(cmdline(pid)[1..], ["1000"], "argv of alpha's process");
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
        let argv = cmdline(pid);
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
fn save_without_processes_warns_and_keeps_the_saved_list_unless_forced() {
    let pm2 = Pm2::new();
    let dump = pm2.home().join("dump.pm2");
    let backup = pm2.home().join("dump.pm2.bak");
    // As PM2 (lib/API/Startup.js dump): the warnings on stdout after the first line, exit 0;
    // with no dump yet, an empty one is created (PM2's clearDump), no backup.
    let run = pm2.run(&["save"]).ok();
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.contains("Saving current process list..."))
        .collect();
    assert_eq!(
        lines,
        [
            "[PM2] Saving current process list...",
            "[PM2][WARN] PM2 is not managing any process, skipping save...",
            "[PM2][WARN] To force saving use: pm2 save --force",
        ],
        "save with no process should warn on stdout as PM2 does:\n{}",
        run.stdout
    );
    assert!(!run.stderr.contains("WARN"), "{}", run.stderr);
    assert_eq!(saved_names(&dump), Vec::<String>::new(), "{}", read(&dump));
    assert!(!backup.exists(), "save with no process wrote a backup");

    // A saved list is not replaced by an empty one.
    pm2.run(&["start", "sleep", "--name", "nap", "--", "1000"])
        .ok();
    pm2.run(&["save"]).ok();
    pm2.run(&["delete", "all"]).ok();
    let kept = read(&dump);
    pm2.run(&["save"]).ok();
    assert_eq!(read(&dump), kept, "an empty save replaced the saved list");
    assert_eq!(saved_names(&dump), ["nap"]);

    let run = pm2.run(&["save", "--force"]).ok();
    assert!(
        run.stdout
            .contains(&format!("Successfully saved in {}", dump.display())),
        "{}",
        run.stdout
    );
    assert_eq!(
        saved_names(&dump),
        Vec::<String>::new(),
        "save --force with no process: {}",
        read(&dump)
    );
}

/// As PM2: a process stopped when saved comes back stopped (registered with its id, not
/// started); the others of its app and of other apps start.
#[test]
fn a_process_stopped_when_saved_is_resurrected_stopped() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "up", "--", "1000"])
        .ok();
    pm2.run(&["start", "sleep", "--name", "nap", "-i", "2", "--", "1000"])
        .ok();
    wait_online(&pm2, &[(0, "up"), (1, "nap"), (2, "nap")]);
    pm2.run(&["stop", "2"]).ok();
    pm2.wait_status(2, "stopped");
    pm2.run(&["save"]).ok();
    pm2.run(&["kill"]).ok();

    pm2.run(&["resurrect"]).ok();
    pm2.wait_for("up and nap 1 online", |list| {
        list.len() == 3
            && list
                .iter()
                .filter(|p| p["pm2_env"]["status"] == "online")
                .count()
                == 2
    });
    stays("process 2 stopped", Duration::from_millis(500), || {
        pm2.process(2)
            .is_some_and(|p| p["pm2_env"]["status"] == "stopped" && p["pid"] == 0)
    });
    let list = pm2.jlist();
    let status: Vec<(u64, &str)> = list
        .iter()
        .map(|p| {
            (
                p["pm_id"].as_u64().expect("an id"),
                p["pm2_env"]["status"].as_str().expect("a status"),
            )
        })
        .collect();
    assert_eq!(status, [(0, "online"), (1, "online"), (2, "stopped")]);

    // Stopped, not broken: it starts when asked.
    pm2.run(&["restart", "2"]).ok();
    pm2.wait_status(2, "online");
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
