//! Ecosystem files: every format, env profiles, `--only`, instances, warnings and errors
//! with `file:line`, and lifecycle verbs that take the file as their target.

use crate::common;

use common::{read, wait_until, Pm2};
use serde_json::Value;

/// Two apps in `project/`: `a` runs in `project/srv` (a relative `cwd`), `b` in `project/`.
const TOML_APPS: &str = r#"
[[apps]]
name = "a"
script = "app.sh"
namespace = "front"
args = ["one", "two"]
cwd = "srv"

[apps.env]
GREETING = "hello"
COLOR = "blue"

[apps.env_production]
GREETING = "bonjour"

[[apps]]
name = "b"
script = "app.sh"
namespace = "back"

[apps.env]
GREETING = "hi-b"
"#;

const JSON_APPS: &str = r#"{
  "apps": [
    {
      "name": "a",
      "script": "app.sh",
      "namespace": "front",
      "args": ["one", "two"],
      "cwd": "srv",
      "env": { "GREETING": "hello", "COLOR": "blue" },
      "env_production": { "GREETING": "bonjour" }
    },
    {
      "name": "b",
      "script": "app.sh",
      "namespace": "back",
      "env": { "GREETING": "hi-b" }
    }
  ]
}
"#;

const YAML_APPS: &str = r#"apps:
  - name: a
    script: app.sh
    namespace: front
    args: [one, two]
    cwd: srv
    env:
      GREETING: hello
      COLOR: blue
    env_production:
      GREETING: bonjour
  - name: b
    script: app.sh
    namespace: back
    env:
      GREETING: hi-b
"#;

const JS_APPS: &str = r#"const greeting = ['hel', 'lo'].join('');
module.exports = {
  apps: [
    {
      name: 'a',
      script: 'app.sh',
      namespace: 'front',
      args: ['one', 'two'],
      cwd: 'srv',
      env: { GREETING: greeting, COLOR: 'blue' },
      env_production: { GREETING: 'bonjour' },
    },
    {
      name: 'b',
      script: 'app.sh',
      namespace: 'back',
      env: { GREETING: 'hi-b' },
    },
  ],
};
"#;

#[test]
fn toml_file_starts_both_apps_with_their_options() {
    check_two_apps_start("ecosystem.toml", TOML_APPS);
}

#[test]
fn json_file_takes_the_same_schema() {
    check_two_apps_start("ecosystem.json", JSON_APPS);
}

#[test]
fn yaml_file_takes_the_same_schema() {
    check_two_apps_start("ecosystem.yaml", YAML_APPS);
}

#[test]
fn yml_file_takes_the_same_schema() {
    check_two_apps_start("ecosystem.yml", YAML_APPS);
}

#[test]
fn config_js_file_is_evaluated_by_node() {
    check_two_apps_start("ecosystem.config.js", JS_APPS);
}

#[test]
fn env_production_values_win_over_env_with_env_flag() {
    let pm2 = project(TOML_APPS);
    pm2.run(&["start", "project/ecosystem.toml", "--env", "production"])
        .ok();
    let a = pm2.wait_status(0, "online");
    assert_eq!(a["name"], "a");
    assert_eq!(a["pm2_env"]["env"]["GREETING"], "bonjour");
    // Keys the profile does not set keep their `env` value.
    assert_eq!(a["pm2_env"]["env"]["COLOR"], "blue");
    let line = wait_log_line(&pm2, "a-out.log", "greeting=");
    assert!(line.contains("greeting=bonjour color=blue"), "{line}");
}

#[test]
fn only_flag_starts_just_the_named_app() {
    let pm2 = project(TOML_APPS);
    pm2.run(&["start", "project/ecosystem.toml", "--only", "b"])
        .ok();
    let list = pm2.wait_for("b online", |l| {
        l.iter()
            .any(|p| p["name"] == "b" && p["pm2_env"]["status"] == "online")
    });
    let names: Vec<&str> = list.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["b"]);
}

#[test]
fn fork_instances_get_their_own_ids_instance_vars_and_logs() {
    let pm2 = project(
        r#"
[[apps]]
name = "multi"
script = "app.sh"
instances = 2
exec_mode = "fork"
"#,
    );
    pm2.run(&["start", "project/ecosystem.toml"]).ok();
    let list = pm2.wait_for("two online instances", |l| {
        l.len() == 2 && l.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    for (index, p) in list.iter().enumerate() {
        assert_eq!(p["pm_id"], index as u64);
        assert_eq!(p["name"], "multi");
        assert_eq!(p["pm2_env"]["exec_mode"], "fork_mode");
        assert_eq!(p["pm2_env"]["NODE_APP_INSTANCE"], index as u64);
        // PM2's pm2_env.env holds the app's variables, not the ones PM2 adds.
        assert_eq!(p["pm2_env"]["env"].get("NODE_APP_INSTANCE"), None);
        let log = format!("multi-out-{index}.log");
        assert_eq!(p["pm2_env"]["pm_out_log_path"], path_str(&pm2.log(&log)));
        let line = wait_log_line(&pm2, &log, "instance=");
        assert!(
            line.ends_with(&format!("instance={index}")),
            "{log}: {line}"
        );
    }
    assert_ne!(list[0]["pid"], list[1]["pid"]);
}

#[test]
fn unknown_key_is_warned_about_by_name_and_the_app_still_starts() {
    let pm2 = project(
        r#"
[[apps]]
name = "a"
script = "app.sh"
scirpt_typo = 1
"#,
    );
    let run = pm2.run(&["start", "project/ecosystem.toml"]).ok();
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("scirpt_typo"))
        .collect();
    assert_eq!(warnings.len(), 1, "stderr: {}", run.stderr);
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(warnings[0].contains("ecosystem.toml:5"), "{}", warnings[0]);
    assert_eq!(pm2.wait_status(0, "online")["name"], "a");
}

#[test]
fn wrong_instances_type_is_one_error_line_with_file_and_line() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", APP_SH, false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"a\"\nscript = \"app.sh\"\n# two instances\ninstances = true\n",
        false,
    );
    expect_load_error(&pm2, "ecosystem.toml:5", "instances");
}

#[test]
fn wrong_max_restarts_type_in_second_app_names_its_line() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", APP_SH, false);
    pm2.write(
        "ecosystem.toml",
        concat!(
            "[[apps]]\n",
            "name = \"a\"\n",
            "script = \"app.sh\"\n",
            "\n",
            "[[apps]]\n",
            "name = \"b\"\n",
            "script = \"app.sh\"\n",
            "max_restarts = \"x\"\n",
        ),
        false,
    );
    expect_load_error(&pm2, "ecosystem.toml:8", "max_restarts");
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let pm2 = Pm2::new();
    pm2.write("app.sh", APP_SH, false);
    pm2.write(
        "ecosystem.toml",
        "[[apps]]\nname = \"a\"\nscript = \"app.sh\"\nautorestart = tru\n",
        false,
    );
    expect_load_error(&pm2, "ecosystem.toml:4", "TOML");
}

#[test]
fn starting_the_same_file_again_restarts_with_the_edited_env() {
    let pm2 = project(TOML_APPS);
    pm2.run(&["start", "project/ecosystem.toml"]).ok();
    let first = both_online(&pm2, 0);
    wait_log_line(&pm2, "a-out.log", "greeting=hello");

    let file = pm2.work().join("project/ecosystem.toml");
    std::fs::write(&file, TOML_APPS.replace("\"hello\"", "\"salut\"")).expect("edit");
    pm2.run(&["start", "project/ecosystem.toml"]).ok();
    let second = both_online(&pm2, 1);
    assert_eq!(second.len(), 2, "no duplicates: {second:#?}");
    for (before, after) in first.iter().zip(&second) {
        assert_eq!(before["pm_id"], after["pm_id"]);
        assert_ne!(
            before["pid"], after["pid"],
            "{} was not restarted",
            after["name"]
        );
    }
    assert_eq!(second[0]["pm2_env"]["env"]["GREETING"], "salut");
    wait_log_line(&pm2, "a-out.log", "greeting=salut");
}

#[test]
fn restart_stop_delete_with_the_file_act_only_on_its_apps() {
    let pm2 = project(TOML_APPS);
    pm2.run(&["start", "sleep", "--name", "other", "--", "1000"])
        .ok();
    let other = pm2.wait_status(0, "online");
    pm2.run(&["start", "project/ecosystem.toml"]).ok();
    pm2.wait_for("a and b online", |l| l.len() == 3 && all_online(&l[1..]));

    pm2.run(&["restart", "project/ecosystem.toml"]).ok();
    let list = pm2.wait_for("a and b restarted", |l| {
        l.len() == 3
            && all_online(&l[1..])
            && l[1..].iter().all(|p| p["pm2_env"]["restart_time"] == 1)
    });
    assert_untouched(&other, &list[0]);

    pm2.run(&["stop", "project/ecosystem.toml"]).ok();
    let list = pm2.wait_for("a and b stopped", |l| {
        l.len() == 3 && l[1..].iter().all(|p| p["pm2_env"]["status"] == "stopped")
    });
    assert_untouched(&other, &list[0]);

    pm2.run(&["delete", "project/ecosystem.toml"]).ok();
    let list = pm2.jlist();
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_untouched(&other, &list[0]);
}

#[test]
fn start_or_restart_starts_when_absent_and_restarts_when_present() {
    let pm2 = project(TOML_APPS);
    pm2.run(&["startOrRestart", "project/ecosystem.toml"]).ok();
    let first = both_online(&pm2, 0);
    pm2.run(&["startOrRestart", "project/ecosystem.toml"]).ok();
    let second = both_online(&pm2, 1);
    assert_eq!(second.len(), 2, "no duplicates: {second:#?}");
    for (before, after) in first.iter().zip(&second) {
        assert_ne!(before["pid"], after["pid"]);
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

/// Prints where it runs and what it was given, then stays up.
const APP_SH: &str = r#"echo "cwd=$(pwd) args=$* greeting=$GREETING color=$COLOR instance=$NODE_APP_INSTANCE"
exec sleep 1000
"#;

/// A work dir with `project/ecosystem.toml` (the given text) and the app script in
/// `project/` and `project/srv/`.
fn project(ecosystem: &str) -> Pm2 {
    let pm2 = Pm2::new();
    pm2.write("project/app.sh", APP_SH, false);
    pm2.write("project/srv/app.sh", APP_SH, false);
    pm2.write("project/ecosystem.toml", ecosystem, false);
    pm2
}

/// Starts `project/<file>` (from the work dir) and checks both apps' options.
fn check_two_apps_start(file: &str, text: &str) {
    let pm2 = Pm2::new();
    pm2.write("project/app.sh", APP_SH, false);
    pm2.write("project/srv/app.sh", APP_SH, false);
    pm2.write(&format!("project/{file}"), text, false);
    let run = pm2.run(&["start", &format!("project/{file}")]).ok();
    assert!(
        !run.stderr.contains("WARN"),
        "unexpected warnings: {}",
        run.stderr
    );
    let list = both_online(&pm2, 0);
    let project = std::fs::canonicalize(pm2.work().join("project")).expect("project dir");
    let srv = project.join("srv");

    let a = &list[0];
    assert_eq!(a["name"], "a");
    assert_eq!(a["pm_id"], 0);
    assert_eq!(a["pm2_env"]["namespace"], "front");
    assert_eq!(a["pm2_env"]["args"], serde_json::json!(["one", "two"]));
    assert_eq!(a["pm2_env"]["pm_cwd"], path_str(&srv));
    assert_eq!(a["pm2_env"]["env"]["GREETING"], "hello");
    assert_eq!(a["pm2_env"]["env"]["COLOR"], "blue");
    let line = wait_log_line(&pm2, "a-out.log", "cwd=");
    let expected = format!(
        "cwd={} args=one two greeting=hello color=blue",
        srv.display()
    );
    assert!(line.starts_with(&expected), "{line}\nexpected: {expected}");

    let b = &list[1];
    assert_eq!(b["name"], "b");
    assert_eq!(b["pm_id"], 1);
    assert_eq!(b["pm2_env"]["namespace"], "back");
    assert_eq!(b["pm2_env"]["pm_cwd"], path_str(&project));
    assert_eq!(b["pm2_env"]["env"]["GREETING"], "hi-b");
    let line = wait_log_line(&pm2, "b-out.log", "cwd=");
    let expected = format!("cwd={} args= greeting=hi-b color=", project.display());
    assert!(line.starts_with(&expected), "{line}\nexpected: {expected}");
}

/// Waits until exactly the apps `a` and `b` are online with `restart_time`; returns them.
fn both_online(pm2: &Pm2, restart_time: u64) -> Vec<Value> {
    pm2.wait_for(
        &format!("a and b online with restart_time {restart_time}"),
        |l| {
            l.len() == 2
                && l[0]["name"] == "a"
                && l[1]["name"] == "b"
                && all_online(l)
                && l.iter()
                    .all(|p| p["pm2_env"]["restart_time"] == restart_time)
        },
    )
}

fn all_online(list: &[Value]) -> bool {
    list.iter()
        .all(|p| p["pm2_env"]["status"] == "online" && p["pid"].as_u64().unwrap_or(0) > 0)
}

/// The separately started app kept its process, status and counters.
fn assert_untouched(before: &Value, now: &Value) {
    assert_eq!(now["name"], "other");
    assert_eq!(now["pid"], before["pid"], "other was restarted: {now:#?}");
    assert_eq!(now["pm2_env"]["status"], "online");
    assert_eq!(now["pm2_env"]["restart_time"], 0);
}

/// Runs `pm2 start ecosystem.toml`, expecting a failure with one stderr line naming
/// `location` and `word`, and nothing started.
fn expect_load_error(pm2: &Pm2, location: &str, word: &str) {
    let run = pm2.run(&["start", "ecosystem.toml"]).failed();
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one error line, got: {}",
        run.stderr
    );
    assert!(
        lines[0].contains(location),
        "expected {location}: {}",
        lines[0]
    );
    assert!(lines[0].contains(word), "expected {word}: {}", lines[0]);
    assert!(pm2.jlist().is_empty(), "nothing may start");
}

/// Waits until the log under `PM2_HOME/logs` has a line containing `needle`; returns the
/// last such line.
fn wait_log_line(pm2: &Pm2, log: &str, needle: &str) -> String {
    let path = pm2.log(log);
    wait_until(&format!("{needle:?} in {log}"), || {
        read(&path).contains(needle)
    });
    read(&path)
        .lines()
        .rfind(|l| l.contains(needle))
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

fn path_str(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}
