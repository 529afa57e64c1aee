//! File watching: `--watch`, `ignore_watch`, `watch_delay`, watch paths in an ecosystem
//! file, `pm2 stop` and `pm2 restart --watch`, the `watching` column, and a tree of ten
//! thousand files.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{cpu_ticks, read, rss_bytes, stays, wait_until, Pm2};
use serde_json::Value;

/// Long enough for a restart the watch wrongly decided to show up (delay 200 ms, then the
/// stop and start).
const QUIET_WINDOW: Duration = Duration::from_millis(1500);

const SLEEPER: &str = "#!/bin/bash\nexec sleep 1000\n";

fn restarts(pm2: &Pm2, pm_id: u64) -> u64 {
    pm2.process(pm_id)
        .and_then(|p| p["pm2_env"]["restart_time"].as_u64())
        .unwrap_or(u64::MAX)
}

fn watch_of(pm2: &Pm2, pm_id: u64) -> Value {
    pm2.process(pm_id).expect("process")["pm2_env"]["watch"].clone()
}

/// How many times `pm2.log` says `needle`.
fn log_count(pm2: &Pm2, needle: &str) -> usize {
    read(&pm2.home().join("pm2.log")).matches(needle).count()
}

/// Waits until the app's watch has been set up `times` times (every folder has its watch).
fn wait_watching(pm2: &Pm2, app: &str, times: usize) {
    let line = format!("[Watch] Start watching {app}\n");
    wait_until(&format!("{app} to be watched"), || {
        log_count(pm2, &line) >= times
    });
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

#[test]
fn a_burst_of_fifty_writes_restarts_once() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    pm2.write("src/config.json", "{}", false);
    pm2.run(&["start", "app.sh", "--watch", "--watch-delay", "300ms"])
        .ok();
    let before = pm2.wait_status(0, "online");
    assert_eq!(before["pm2_env"]["watch"], true);
    wait_watching(&pm2, "app", 1);

    let config = pm2.work().join("src/config.json");
    for i in 0..50 {
        write(&config, &format!("{{\"n\": {i}}}"));
    }
    wait_until("one restart", || restarts(&pm2, 0) == 1);
    stays("a single restart", QUIET_WINDOW, || restarts(&pm2, 0) == 1);
    let after = pm2.wait_status(0, "online");
    assert_ne!(before["pid"], after["pid"], "a new process");
    assert_eq!(
        log_count(
            &pm2,
            "Change detected on path src/config.json for app app - restarting"
        ),
        1,
        "{}",
        read(&pm2.home().join("pm2.log"))
    );
}

#[test]
fn default_ignores_and_the_apps_own_logs_restart_nothing() {
    let pm2 = Pm2::new();
    pm2.write("src/app.js", "", false);
    // An app that writes a line every 20 ms to a log file inside its watched folder.
    pm2.write(
        "chatty.sh",
        "#!/bin/bash\nwhile true; do echo tick; sleep 0.02; done\n",
        true,
    );
    pm2.run(&[
        "start",
        "chatty.sh",
        "--watch",
        "--watch-delay",
        "200ms",
        "-o",
        "logs/out.log",
        "-e",
        "logs/err.log",
    ])
    .ok();
    pm2.wait_status(0, "online");
    wait_watching(&pm2, "chatty", 1);

    let work = pm2.work();
    write(&work.join("node_modules/lib/index.js"), "x");
    write(&work.join(".git/HEAD"), "ref: refs/heads/main");
    write(&work.join("src/.app.js.swp"), "x");
    let out = work.join("logs/out.log");
    wait_until("the app to log inside its folder", || {
        read(&out).lines().count() >= 20
    });
    stays("no restart", QUIET_WINDOW, || restarts(&pm2, 0) == 0);

    // The watch is alive: a real change restarts.
    write(&work.join("src/app.js"), "x");
    wait_until("a restart for src/app.js", || restarts(&pm2, 0) == 1);
}

#[test]
fn ignore_watch_globs_and_watch_paths_from_an_ecosystem_file() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    // Folders are there first: a folder appearing is a change.
    for folder in ["src", "deep/er", "data", "sub/cache"] {
        std::fs::create_dir_all(pm2.work().join(folder)).expect("mkdir");
    }
    pm2.write(
        "ecosystem.toml",
        r#"
[[apps]]
name = "everything"
script = "app.sh"
watch = true
ignore_watch = ["*.tmp", "data", "sub/cache"]
watch_delay = 200

[[apps]]
name = "only-src"
script = "app.sh"
watch = ["src"]
watch_delay = 200
"#,
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    pm2.wait_status(0, "online");
    pm2.wait_status(1, "online");
    wait_watching(&pm2, "everything", 1);
    wait_watching(&pm2, "only-src", 1);
    assert_eq!(watch_of(&pm2, 1), serde_json::json!(["src"]));

    let work = pm2.work();
    write(&work.join("notes.tmp"), "x");
    write(&work.join("deep/er/notes.tmp"), "x");
    write(&work.join("data/x.json"), "x");
    write(&work.join("sub/cache/y.json"), "x");
    stays("no restart of everything", QUIET_WINDOW, || {
        restarts(&pm2, 0) == 0
    });
    assert_eq!(restarts(&pm2, 1), 0, "nothing changed under src");

    write(&work.join("src/main.js"), "x");
    wait_until("both apps restarted", || {
        restarts(&pm2, 0) == 1 && restarts(&pm2, 1) == 1
    });
    write(&work.join("README.md"), "x");
    wait_until("everything restarted again", || restarts(&pm2, 0) == 2);
    stays("only-src left alone", QUIET_WINDOW, || {
        restarts(&pm2, 1) == 1
    });
}

#[test]
fn stop_turns_watching_off_and_restart_watch_toggles_it() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    pm2.run(&["start", "app.sh", "--watch", "--watch-delay", "200ms"])
        .ok();
    pm2.wait_status(0, "online");
    wait_watching(&pm2, "app", 1);
    let ls = pm2.run(&["ls"]).ok().stdout;
    assert!(ls.contains("│ watching │"), "{ls}");
    assert!(ls.contains(" enabled "), "{ls}");
    assert!(pm2
        .run(&["ls", "-m"])
        .ok()
        .stdout
        .contains("watching : yes"));

    pm2.run(&["stop", "app", "--watch"]).ok();
    assert_eq!(watch_of(&pm2, 0), false);
    let ls = pm2.run(&["ls"]).ok().stdout;
    assert!(ls.contains(" disabled "), "{ls}");
    wait_until("the watch to stop", || {
        log_count(&pm2, "[Watch] Stop watching app\n") == 1
    });
    let file = pm2.work().join("config.json");
    write(&file, "1");
    stays("stopped and unwatched", QUIET_WINDOW, || {
        pm2.process(0).expect("process")["pm2_env"]["status"] == "stopped"
    });

    // On again: the restart starts the stopped app, then a change restarts it.
    pm2.run(&["restart", "app", "--watch"]).ok();
    pm2.wait_status(0, "online");
    assert_eq!(watch_of(&pm2, 0), true);
    assert!(pm2.run(&["ls"]).ok().stdout.contains(" enabled "));
    wait_watching(&pm2, "app", 2);
    let before = restarts(&pm2, 0);
    write(&file, "2");
    wait_until("a restart after the change", || {
        restarts(&pm2, 0) == before + 1
    });

    // Off again: the restart happens, changes no longer restart.
    pm2.run(&["restart", "app", "--watch"]).ok();
    assert_eq!(watch_of(&pm2, 0), false);
    let now = restarts(&pm2, 0);
    assert_eq!(now, before + 2);
    write(&file, "3");
    stays("no restart while unwatched", QUIET_WINDOW, || {
        restarts(&pm2, 0) == now
    });
    let describe = pm2.run(&["describe", "app"]).ok().stdout;
    assert!(describe.contains("│ watch & reload    │ ✘"), "{describe}");
}

/// Ten thousand files in a hundred folders: the daemon's memory and idle CPU stay flat, and
/// rewriting every file restarts the app once.
#[test]
fn ten_thousand_files_cost_little_and_restart_once() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    let tree = pm2.work().join("tree");
    for folder in 0..100 {
        let dir = tree.join(format!("d{folder:03}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for file in 0..100 {
            std::fs::write(dir.join(format!("f{file:03}.txt")), "x").expect("write");
        }
    }
    pm2.run(&["start", "app.sh", "--name", "plain"]).ok();
    pm2.wait_status(0, "online");
    let daemon = pm2.daemon_pid().expect("daemon pid");
    let baseline = rss_bytes(daemon).expect("rss");
    let idle_before = cpu_percent(daemon, Duration::from_secs(2));

    pm2.run(&[
        "start",
        "app.sh",
        "--name",
        "big",
        "--watch",
        "tree",
        "--watch-delay",
        "300ms",
    ])
    .ok();
    pm2.wait_status(1, "online");
    wait_watching(&pm2, "big", 1);
    let watching = rss_bytes(daemon).expect("rss");
    let idle = cpu_percent(daemon, Duration::from_secs(2));

    let started = Instant::now();
    for folder in 0..100 {
        for file in 0..100 {
            let path = tree.join(format!("d{folder:03}/f{file:03}.txt"));
            std::fs::write(path, "changed").expect("write");
        }
    }
    let written = started.elapsed();
    wait_until("one restart for the whole tree", || restarts(&pm2, 1) == 1);
    stays("a single restart", QUIET_WINDOW, || restarts(&pm2, 1) == 1);
    let after = rss_bytes(daemon).expect("rss");
    assert_eq!(restarts(&pm2, 0), 0, "the unwatched app is left alone");

    eprintln!(
        "10,000 files: daemon rss {} KiB before watching, {} KiB watching, {} KiB after \
         rewriting them all ({written:?}); idle cpu {idle_before:.2}% before watching, \
         {idle:.2}% while watching",
        baseline / 1024,
        watching / 1024,
        after / 1024
    );
    assert!(
        watching < baseline + 16 * 1024 * 1024,
        "watching grew the daemon from {baseline} to {watching} bytes"
    );
    assert!(
        after < baseline + 24 * 1024 * 1024,
        "a burst grew the daemon from {baseline} to {after} bytes"
    );
    assert!(
        idle < 5.0,
        "the daemon used {idle}% cpu idle while watching"
    );
}

/// The daemon's CPU use over `window`, in percent of one core.
fn cpu_percent(pid: i32, window: Duration) -> f64 {
    let before = cpu_ticks(pid).expect("cpu");
    let start = Instant::now();
    // The measurement itself: the daemon is left alone for the window.
    std::thread::sleep(window);
    let ticks = cpu_ticks(pid).expect("cpu") - before;
    ticks as f64 / start.elapsed().as_secs_f64()
}
