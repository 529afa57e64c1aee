//! Starting what is already there: `-f`, a stopped app, by name or id, `startOrRestart`.

use super::common::{pid_of, Pm2};
use super::support::*;

#[test]
fn starting_a_running_script_again_needs_force() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["start", "app.js"]).ok();
    pm2.wait_status(0, "online");

    let again = pm2.run(&["start", "app.js"]).failed();
    assert_one_line_error(&again, &[ALREADY_LAUNCHED]);
    assert_eq!(pm2.jlist().len(), 1, "nothing new was started");

    pm2.run(&["start", "app.js", "-f"]).ok();
    let list = pm2.wait_for("a second online copy", |list| {
        list.len() == 2 && list.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    assert!(list.iter().all(|p| p["name"] == "app"), "{list:#?}");
}

#[test]
fn starting_a_stopped_apps_script_restarts_it() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["start", "app.js"]).ok();
    let before = pid_of(&pm2.wait_status(0, "online"));
    pm2.run(&["stop", "app"]).ok();
    pm2.wait_status(0, "stopped");

    pm2.run(&["start", "app.js"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_ne!(pid_of(&p), before, "a new process runs");
    assert_eq!(pm2.jlist().len(), 1, "the same app, not a new one");
}

#[test]
fn start_by_name_or_id_restarts_the_app() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["start", "app.js", "--name", "api"]).ok();
    let first = pm2.wait_status(0, "online");
    assert_eq!(first["pm2_env"]["restart_time"], 0);

    pm2.run(&["start", "api"]).ok();
    let second = wait_restarted(&pm2, 1);
    assert_ne!(pid_of(&second), pid_of(&first));

    pm2.run(&["start", "0"]).ok();
    let third = wait_restarted(&pm2, 2);
    assert_ne!(pid_of(&third), pid_of(&second));
    assert_eq!(pm2.jlist().len(), 1);
}

#[test]
fn start_or_restart_is_a_command_and_starts_a_script() {
    let pm2 = Pm2::new();
    let help = pm2.run(&["startOrRestart", "--help"]).ok();
    assert!(help.stdout.contains("startOrRestart"), "{}", help.stdout);

    pm2.write("app.js", KEEP_ALIVE, false);
    pm2.run(&["startOrRestart", "app.js"]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["name"], "app");
}
