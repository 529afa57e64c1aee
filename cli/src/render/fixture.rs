//! Processes to render in tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pm2_protocol::{AppSpec, Monit, ProcessInfo, Status};

/// "Now" in the tests: 2026-11-26T05:00:00.000Z.
pub(crate) const NOW: i64 = 1_795_669_200_000;

/// When the fixture processes were created: 2026-11-26T04:58:23.649Z.
pub(crate) const CREATED: i64 = 1_795_669_103_649;

/// The spec of a plain fork-mode app running `/usr/bin/sleep 100`.
pub(crate) fn spec(name: &str) -> AppSpec {
    let mut spec = AppSpec::new(
        name,
        PathBuf::from("/usr/bin/sleep"),
        PathBuf::from("/srv/app"),
        PathBuf::from(format!("/home/u/.pm2/pids/{name}.pid")),
    );
    spec.args = vec!["100".to_owned()];
    spec.out_file = Some(PathBuf::from(format!("/home/u/.pm2/logs/{name}-out.log")));
    spec.error_file = Some(PathBuf::from(format!("/home/u/.pm2/logs/{name}-error.log")));
    // Started from the command line, where PM2 always sets `watch`.
    spec.stored_options
        .insert("watch".to_owned(), "false".to_owned());
    spec
}

/// An online process of `spec(name)`, started 5 minutes before [`NOW`], using 12.3 MB.
pub(crate) fn process(pm_id: u32, name: &str) -> ProcessInfo {
    let spec = spec(name);
    let mut env = BTreeMap::new();
    env.insert("HOME".to_owned(), "/home/u".to_owned());
    env.insert("PATH".to_owned(), "/usr/bin:/bin".to_owned());
    // What the daemon adds for the process (PM2's pm2_env.env leaves them out).
    env.insert("pm_id".to_owned(), pm_id.to_string());
    env.insert("name".to_owned(), name.to_owned());
    ProcessInfo {
        pm_id,
        instance: 0,
        out_log: spec.out_file.clone(),
        err_log: spec.error_file.clone(),
        combined_log: None,
        pid_file: PathBuf::from(format!("/home/u/.pm2/pids/{name}-{pm_id}.pid")),
        spec,
        pid: Some(4242 + pm_id),
        status: Status::Online,
        restart_time: 1,
        unstable_restarts: 0,
        prev_restart_delay: None,
        log_error: None,
        pm_uptime: NOW - 5 * 60_000,
        created_at: CREATED,
        exit_code: None,
        env,
        monit: Monit {
            cpu: 0.5,
            memory: 12_897_485,
        },
        username: "u".to_owned(),
        last_error: None,
    }
}

/// A stopped process of `spec(name)`: no pid, stale monit, exit code 0.
pub(crate) fn stopped(pm_id: u32, name: &str) -> ProcessInfo {
    ProcessInfo {
        pid: None,
        status: Status::Stopped,
        exit_code: Some(0),
        ..process(pm_id, name)
    }
}
