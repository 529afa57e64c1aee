//! `cron_restart` (`--cron-restart`, `-c`, `--cron`): restarts at each match, starts a
//! stopped app as PM2 7 does, ends with `pm2 delete`, and a bad expression is refused
//! before anything starts.

use crate::common;

use std::time::Duration;

use common::{read, stays, wait_until, Pm2};

const SLEEPER: &str = "#!/bin/bash\nexec sleep 1000\n";

/// Every two seconds, seconds field first.
const EVERY_TWO_SECONDS: &str = "*/2 * * * * *";

fn restarts(pm2: &Pm2, pm_id: u64) -> u64 {
    pm2.process(pm_id)
        .and_then(|p| p["pm2_env"]["restart_time"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_seconds_field_restarts_an_online_app() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    pm2.run(&["start", "app.sh", "--cron-restart", EVERY_TWO_SECONDS])
        .ok();
    let first = pm2.wait_status(0, "online");
    assert_eq!(first["pm2_env"]["cron_restart"], EVERY_TWO_SECONDS);
    wait_until("two cron restarts", || restarts(&pm2, 0) >= 2);
    let now = pm2.wait_status(0, "online");
    assert_ne!(first["pid"], now["pid"]);
    let log = read(&pm2.home().join("pm2.log"));
    assert!(
        log.contains("[PM2][WORKER] Registering a cron job on: app (*/2 * * * * *)"),
        "{log}"
    );
    let describe = pm2.run(&["describe", "app"]).ok().stdout;
    assert!(
        describe.contains("│ cron restart      │ */2 * * * * *"),
        "{describe}"
    );
}

#[test]
fn a_stopped_app_is_started_at_the_next_match() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    pm2.run(&["start", "app.sh", "-c", EVERY_TWO_SECONDS]).ok();
    pm2.wait_status(0, "online");
    let stop = pm2.run(&["stop", "app"]).ok();
    assert!(
        stop.stderr
            .contains("[PM2][WARN] App app stopped but CRON RESTART is still UP */2 * * * * *"),
        "{}",
        stop.stderr
    );
    pm2.wait_status(0, "online");
}

#[test]
fn delete_ends_the_cron_job() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"job\"\nscript = \"app.sh\"\ncron = \"*/2 * * * * *\"\n",
        false,
    );
    pm2.run(&["start", "ecosystem.toml"]).ok();
    pm2.wait_status(0, "online");
    pm2.run(&["delete", "job"]).ok();
    wait_until("the cron job to go", || {
        read(&pm2.home().join("pm2.log")).contains("[PM2] Deregistering a cron job on: job")
    });
    // Past the next two matches, nothing came back.
    stays("nothing managed", Duration::from_millis(2500), || {
        pm2.jlist().is_empty()
    });
}

#[test]
fn a_bad_expression_is_refused_naming_it() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", SLEEPER, true);
    let run = pm2
        .run(&["start", "app.sh", "--cron-restart", "61 * * * *"])
        .failed();
    let line = run.stderr.trim();
    assert!(line.contains("\"61 * * * *\""), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");

    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"a\"\nscript = \"app.sh\"\n\n[[apps]]\nname = \"b\"\n\
         script = \"app.sh\"\ncron_restart = \"* * *\"\n",
        false,
    );
    let run = pm2.run(&["start", "ecosystem.toml"]).failed();
    let line = run.stderr.trim();
    assert!(line.contains("ecosystem.toml:8:"), "{line}");
    assert!(line.contains("\"* * *\""), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
    // Refused before anything started, not even the good app.
    assert!(pm2.jlist().is_empty());

    // `0` turns cron restarts off, as in PM2.
    pm2.run(&["start", "app.sh", "--cron", "0"]).ok();
    let app = pm2.wait_status(0, "online");
    assert!(app["pm2_env"].get("cron_restart").is_none(), "{app}");
}
