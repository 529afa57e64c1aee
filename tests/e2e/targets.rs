//! Targets wherever a command takes them (ids, names, namespaces, `all`, `/regex/`,
//! ecosystem files, several at once), and PM2's exact lines and exit codes about them:
//! `Applying action ... (ids: [ 0 ])`, `[x](0) ✓`, `Process or Namespace x not found`.

use crate::common;

use common::Pm2;
use serde_json::Value;

const IMMUTABLE: &str = "Use --update-env to update environment variables";

/// `pm2 start talk.sh --name <name> [--namespace ns]`: says hello once, then sleeps.
fn talker(pm2: &Pm2, name: &str, namespace: Option<&str>) {
    pm2.write(
        "talk.sh",
        "echo \"hello from $1\"\nexec sleep 1000\n",
        false,
    );
    let mut args = vec!["start", "talk.sh", "--name", name];
    if let Some(ns) = namespace {
        args.extend(["--namespace", ns]);
    }
    args.extend(["--", name]);
    pm2.run(&args).ok();
}

/// PM2's message lines of a command's stdout (the table left out).
fn messages(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("[PM2]") || *l == IMMUTABLE || l.starts_with("successfully"))
        .collect()
}

/// `(name, status)` of every process, in id order.
fn statuses(pm2: &Pm2) -> Vec<(String, String)> {
    pm2.jlist()
        .iter()
        .map(|p| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (text(&p["name"]), text(&p["pm2_env"]["status"]))
        })
        .collect()
}

fn all_online(pm2: &Pm2, count: usize) -> Vec<Value> {
    pm2.wait_for(&format!("{count} processes online"), |l| {
        l.len() == count && l.iter().all(|p| p["pm2_env"]["status"] == "online")
    })
}

/// a (0), b (1), api-1 (2) and api-2 (3) in namespace `back`.
fn four_apps(pm2: &Pm2) {
    talker(pm2, "a", None);
    talker(pm2, "b", None);
    talker(pm2, "api-1", Some("back"));
    talker(pm2, "api-2", Some("back"));
    all_online(pm2, 4);
}

#[test]
fn lifecycle_verbs_print_pm2s_lines_for_each_target() {
    let pm2 = Pm2::new();
    four_apps(&pm2);

    let run = pm2.run(&["stop", "a", "1"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action stopProcessId on app [a](ids: [ 0 ])",
            "[PM2] [a](0) ✓",
            "[PM2] Applying action stopProcessId on app [1](ids: [ '1' ])",
            "[PM2] [b](1) ✓",
        ]
    );
    assert!(
        run.stdout.contains("stopped"),
        "the table follows:\n{}",
        run.stdout
    );

    let run = pm2.run(&["restart", "back"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            IMMUTABLE,
            "[PM2] Applying action restartProcessId on app [back](ids: [ 2, 3 ])",
            "[PM2] [api-1](2) ✓",
            "[PM2] [api-2](3) ✓",
        ]
    );

    // As PM2: no table after a reload.
    let run = pm2.run(&["reload", "/^api-/"]).ok();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            IMMUTABLE,
            "[PM2] Applying action reloadProcessId on app [/^api-/](ids: [ 2, 3 ])",
            "[PM2] [api-1](2) ✓",
            "[PM2] [api-2](3) ✓",
        ]
    );

    let run = pm2.run(&["reset", "back"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Resetting meta for process id 2",
            "[PM2] Resetting meta for process id 3",
        ]
    );
    let list = pm2.jlist();
    assert!(
        list.iter().all(|p| p["pm2_env"]["restart_time"] == 0),
        "{list:#?}"
    );

    let run = pm2.run(&["delete", "all"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action deleteProcessId on app [all](ids: [ 0, 1, 2, 3 ])",
            "[PM2] [a](0) ✓",
            "[PM2] [b](1) ✓",
            "[PM2] [api-1](2) ✓",
            "[PM2] [api-2](3) ✓",
        ]
    );
    assert!(pm2.jlist().is_empty());
}

#[test]
fn the_first_unknown_target_stops_the_command_with_exit_1() {
    // PM2 acts on the words in turn and stops at the first that names nothing: `a` is
    // stopped, `b` is not, and the exit code is 1.
    let pm2 = Pm2::new();
    four_apps(&pm2);
    let run = pm2.run(&["stop", "a", "nope", "b"]).failed();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action stopProcessId on app [a](ids: [ 0 ])",
            "[PM2] [a](0) ✓",
        ]
    );
    assert_eq!(
        run.stderr,
        "[PM2][ERROR] Process or Namespace nope not found\n"
    );
    let now = statuses(&pm2);
    assert_eq!(now[0].1, "stopped");
    assert_eq!(
        now[1].1, "online",
        "words after the unknown one are left alone"
    );

    for (args, line) in [
        (&["restart", "42"][..], "[PM2][ERROR] Process 42 not found"),
        (&["delete", "/^zz/"][..], "[PM2][WARN] No process found"),
        (
            &["reset", "nope"][..],
            "[PM2][ERROR] Process or Namespace nope not found",
        ),
        (&["describe", "nope"][..], "[PM2][WARN] nope doesn't exist"),
        (&["describe", "a", "9"][..], "[PM2][WARN] 9 doesn't exist"),
        (
            &["flush", "nope"][..],
            "[PM2][ERROR] Process or Namespace nope not found",
        ),
        (
            &["sendSignal", "SIGUSR2", "nope"][..],
            "[PM2][ERROR] Process or Namespace nope not found",
        ),
    ] {
        let run = pm2.run(args).failed();
        assert_eq!(run.stderr.trim_end(), line, "pm2 {}", args.join(" "));
    }
    assert_eq!(statuses(&pm2)[1].1, "online");

    pm2.run(&["delete", "all"]).ok();
    let run = pm2.run(&["stop", "all"]).failed();
    assert_eq!(run.stderr, "[PM2][WARN] No process found\n");
}

#[test]
fn a_number_is_an_app_name_before_it_is_an_id() {
    // PM2's `_operate` looks a number up as an app name, then a namespace, then an id.
    let pm2 = Pm2::new();
    talker(&pm2, "x", None);
    talker(&pm2, "y", None);
    talker(&pm2, "1", None);
    all_online(&pm2, 3);
    let run = pm2.run(&["stop", "1"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action stopProcessId on app [1](ids: [ 2 ])",
            "[PM2] [1](2) ✓",
        ]
    );
    let now = statuses(&pm2);
    assert_eq!(now[1], ("y".into(), "online".into()));
    assert_eq!(now[2], ("1".into(), "stopped".into()));
}

#[test]
fn an_ecosystem_file_names_its_apps_for_every_command() {
    let pm2 = Pm2::new();
    pm2.write(
        "talk.sh",
        "echo \"hello from $1\"\nexec sleep 1000\n",
        false,
    );
    pm2.write(
        "eco.toml",
        "[[apps]]\nname = \"e1\"\nscript = \"talk.sh\"\nargs = [\"e1\"]\n\n\
         [[apps]]\nname = \"e2\"\nscript = \"talk.sh\"\nargs = [\"e2\"]\ninstances = 2\n",
        false,
    );
    talker(&pm2, "other", None);
    let run = pm2.run(&["start", "eco.toml"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2][WARN] Applications e1, e2 not running, starting...",
            "[PM2] App [e1] launched (1 instances)",
            "[PM2] App [e2] launched (2 instances)",
        ]
    );
    let list = all_online(&pm2, 4);

    let run = pm2.run(&["pid", "eco.toml"]).ok();
    let pids: Vec<&str> = run.stdout.lines().collect();
    let expected: Vec<String> = list[1..].iter().map(|p| p["pid"].to_string()).collect();
    assert_eq!(pids, expected);

    let run = pm2.run(&["env", "eco.toml"]).ok();
    let per_process = run.stdout.lines().filter(|l| l.starts_with("namespace: "));
    assert_eq!(per_process.count(), 3, "e1 and e2's two: {}", run.stdout);

    let run = pm2.run(&["describe", "eco.toml"]).ok();
    assert!(run.stdout.contains("e1") && run.stdout.contains("e2"));
    assert!(!run.stdout.contains("other"), "{}", run.stdout);

    let run = pm2.run(&["restart", "eco.toml"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action restartProcessId on app [e1](ids: [ 1 ])",
            "[PM2] Applying action restartProcessId on app [e2](ids: [ 2, 3 ])",
            "[PM2] [e1](1) ✓",
            "[PM2] [e2](2) ✓",
            "[PM2] [e2](3) ✓",
        ]
    );

    let run = pm2.run(&["stop", "eco.toml"]).ok();
    assert_eq!(
        messages(&run.stdout),
        ["[PM2] [e1](1) ✓", "[PM2] [e2](2) ✓", "[PM2] [e2](3) ✓"]
    );
    let now = statuses(&pm2);
    assert_eq!(now[0], ("other".into(), "online".into()));
    assert!(now[1..].iter().all(|(_, s)| s == "stopped"), "{now:?}");

    pm2.run(&["delete", "eco.toml"]).ok();
    assert_eq!(statuses(&pm2), [("other".into(), "online".into())]);
}

#[test]
fn regexes_and_namespaces_reach_logs_flush_pid_signals_and_start() {
    let pm2 = Pm2::new();
    four_apps(&pm2);
    for name in ["a", "api-1", "api-2"] {
        let log = pm2.log(&format!("{name}-out.log"));
        common::wait_until(&format!("{name} says hello"), || {
            common::read(&log).contains("hello")
        });
    }

    let run = pm2
        .run(&["logs", "/^api-/", "--nostream", "--lines", "5"])
        .ok();
    assert!(
        run.stdout.contains("hello from api-1") && run.stdout.contains("hello from api-2"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("hello from a\n"), "{}", run.stdout);

    let run = pm2.run(&["pid", "back"]).ok();
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);

    let run = pm2.run(&["flush", "/^api-/"]).ok();
    let out = messages(&run.stdout);
    assert_eq!(out.iter().filter(|l| **l == "[PM2] Flushing:").count(), 2);
    assert!(
        out.iter().any(|l| l.ends_with("api-2-error.log")),
        "{out:?}"
    );
    assert_eq!(out.last(), Some(&"[PM2] Logs flushed"));
    assert_eq!(common::read(&pm2.log("api-1-out.log")), "");
    assert!(common::read(&pm2.log("a-out.log")).contains("hello"));

    // sleep dies of SIGUSR2, so the apps signalled restart.
    let run = pm2.run(&["sendSignal", "SIGUSR2", "/^api-/"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Sending signal to process name /^api-/",
            "successfully sent signal SIGUSR2 to process name /^api-/",
        ]
    );
    pm2.wait_for("api-1 and api-2 to restart", |l| {
        l.len() == 4
            && l.iter().all(|p| {
                let restarted = p["pm2_env"]["restart_time"] == 1;
                let api = p["name"].as_str().is_some_and(|n| n.starts_with("api-"));
                restarted == api && p["pm2_env"]["status"] == "online"
            })
    });

    // `pm2 start <name>` restarts the app of that name, with PM2's lines.
    let run = pm2.run(&["start", "b"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action restartProcessId on app [b](ids: [ 1 ])",
            "[PM2] [b](1) ✓",
            "[PM2] Process successfully started",
        ]
    );
}

#[test]
fn kill_prints_pm2s_lines() {
    let pm2 = Pm2::new();
    talker(&pm2, "a", None);
    talker(&pm2, "b", None);
    all_online(&pm2, 2);
    let run = pm2.run(&["kill"]).ok();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "[PM2] Applying action deleteProcessId on app [all](ids: [ 0, 1 ])",
            "[PM2] [a](0) ✓",
            "[PM2] [b](1) ✓",
            "[PM2] [v] All Applications Stopped",
            "[PM2] [v] PM2 Daemon Stopped",
        ]
    );
}

/// PM2 takes a script's file name or path for the apps running it (`pm2 stop echo.js`,
/// `pm2 restart ./echo.js`), resolved against the caller's folder.
#[test]
fn a_script_file_names_the_apps_that_run_it() {
    let pm2 = Pm2::new();
    pm2.write("echo.sh", "echo up\nexec sleep 1000\n", false);
    pm2.run(&["start", "echo.sh", "--name", "e"]).ok();
    talker(&pm2, "other", None);
    all_online(&pm2, 2);

    let run = pm2.run(&["stop", "echo.sh"]).ok();
    assert_eq!(
        messages(&run.stdout),
        [
            "[PM2] Applying action stopProcessId on app [echo.sh](ids: [ 0 ])",
            "[PM2] [e](0) ✓",
        ]
    );
    assert_eq!(
        statuses(&pm2),
        [
            ("e".to_string(), "stopped".to_string()),
            ("other".to_string(), "online".to_string())
        ]
    );
    pm2.run(&["restart", "./echo.sh"]).ok();
    all_online(&pm2, 2);
    let unknown = pm2.run(&["stop", "nothing.sh"]).failed();
    assert!(
        unknown
            .stderr
            .contains("Process or Namespace nothing.sh not found"),
        "{}",
        unknown.stderr
    );
}

/// `sendSignal` to an app some of whose processes are stopped signals the ones that run,
/// as PM2 does, instead of failing on the others.
#[test]
fn a_signal_reaches_the_processes_that_run_and_skips_the_stopped_ones() {
    let pm2 = Pm2::new();
    pm2.write(
        "trap.sh",
        "trap 'echo got USR2 $NODE_APP_INSTANCE' USR2\necho ready\nwhile true; do sleep 0.1; done\n",
        false,
    );
    pm2.run(&["start", "trap.sh", "-i", "2", "--name", "t"])
        .ok();
    all_online(&pm2, 2);
    for i in 0..2 {
        let log = pm2.log(&format!("t-out-{i}.log"));
        common::wait_until("the trap is set", || common::read(&log).contains("ready"));
    }
    pm2.run(&["stop", "1"]).ok();
    pm2.run(&["sendSignal", "SIGUSR2", "t"]).ok();
    let log = pm2.log("t-out-0.log");
    common::wait_until("instance 0 to get the signal", || {
        common::read(&log).contains("got USR2 0")
    });
    assert!(!common::read(&pm2.log("t-out-1.log")).contains("got USR2"));
    // Every process stopped: nothing to signal is an error, as in PM2.
    pm2.run(&["stop", "0"]).ok();
    pm2.run(&["sendSignal", "SIGUSR2", "t"]).failed();
}
