//! Tests of the ecosystem reader: every format, warnings, errors and their lines.

use std::path::{Path, PathBuf};

mod fixture;

use super::convert::split_words;
use super::{is_ecosystem_file, load};
use crate::ecosystem::{Ecosystem, EcosystemError, Instances};
use fixture::{expected_apps, vars, FULL_JSON, FULL_TOML, FULL_YAML};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

fn load_text(name: &str, text: &str) -> Result<Ecosystem, EcosystemError> {
    let dir = tempfile::tempdir().expect("tempdir");
    load(&write(&dir, name, text))
}

/// `(line, message)` of an Invalid error; panics on anything else.
fn invalid(result: Result<Ecosystem, EcosystemError>) -> (usize, String) {
    match result {
        Err(EcosystemError::Invalid { line, message, .. })
        | Err(EcosystemError::Malformed { line, message, .. }) => (line, message),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn toml_full_two_apps_with_env_production() {
    let ecosystem = load_text("ecosystem.toml", FULL_TOML).expect("valid TOML");
    assert_eq!(ecosystem.apps, expected_apps());
    assert!(ecosystem.warnings.is_empty(), "{:?}", ecosystem.warnings);
}

#[test]
fn json_gives_the_same_apps_as_toml() {
    let ecosystem = load_text("ecosystem.json", FULL_JSON).expect("valid JSON");
    assert_eq!(ecosystem.apps, expected_apps());
    assert!(ecosystem.warnings.is_empty(), "{:?}", ecosystem.warnings);
}

#[test]
fn yaml_gives_the_same_apps_as_toml() {
    for name in ["ecosystem.yaml", "ecosystem.yml"] {
        let ecosystem = load_text(name, FULL_YAML).expect("valid YAML");
        assert_eq!(ecosystem.apps, expected_apps());
        assert!(ecosystem.warnings.is_empty(), "{:?}", ecosystem.warnings);
    }
}

fn node_available() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn js_config_evaluated_by_node() {
    if !node_available() {
        eprintln!("node not found in PATH: skipping");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let js = r#"
console.log("noise on stdout");
const base = { autorestart: false, env: { NODE_ENV: "development" } };
module.exports = {
  apps: [
    { ...base, name: "api", script: "server.js", instances: -1, min_uptime: "10s",
      env_production: { NODE_ENV: "production", PORT: 80 } },
    { name: "cron", script: "job.sh", kill_timeout: 5000, onExit() {} },
  ],
};
"#;
    let ecosystem = load(&write(&dir, "ecosystem.config.js", js)).expect("JS config");
    assert_eq!(ecosystem.apps.len(), 2);
    let api = &ecosystem.apps[0];
    assert_eq!(api.name.as_deref(), Some("api"));
    assert_eq!(api.instances, Some(Instances::AllBut(1)));
    assert_eq!(api.min_uptime_ms, Some(10_000));
    assert_eq!(api.autorestart, Some(false));
    assert_eq!(api.env, vars(&[("NODE_ENV", "development")]));
    assert_eq!(
        api.env_profiles.get("production"),
        Some(&vars(&[("NODE_ENV", "production"), ("PORT", "80")]))
    );
    assert_eq!(ecosystem.apps[1].kill_timeout_ms, Some(5_000));

    let mjs = "export default { apps: [{ name: 'esm', script: 'a.mjs' }] };\n";
    let ecosystem = load(&write(&dir, "ecosystem.config.mjs", mjs)).expect("ESM config");
    assert_eq!(ecosystem.apps[0].name.as_deref(), Some("esm"));

    let cjs = "module.exports = [{ script: 'b.js', watch: true }];\n";
    let ecosystem = load(&write(&dir, "ecosystem.config.cjs", cjs)).expect("CJS list");
    assert_eq!(ecosystem.apps[0].script.as_deref(), Some("b.js"));
    assert_eq!(ecosystem.apps[0].watch.paths, Some(Vec::new()));
}

#[test]
fn js_error_is_invalid_at_line_1_with_node_message() {
    if !node_available() {
        eprintln!("node not found in PATH: skipping");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "bad.config.js", "module.exports = {\n  apps: [\n");
    let (line, message) = invalid(load(&path));
    assert_eq!(line, 1);
    assert!(message.starts_with("SyntaxError"), "{message}");

    let path = write(&dir, "throws.config.js", "throw new Error('boom');\n");
    let (line, message) = invalid(load(&path));
    assert_eq!(line, 1);
    assert_eq!(message, "Error: boom");
}

#[test]
fn js_without_node_in_path_is_node_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "ecosystem.config.js", "module.exports = {};\n");
    let result = super::js::evaluate_with(&path, "pm2-test-no-such-node-binary");
    assert!(
        matches!(result, Err(EcosystemError::NodeMissing { .. })),
        "{result:?}"
    );
}

#[test]
fn unknown_key_warns_with_its_line() {
    let toml = "[[apps]]\nname = \"api\"\nscript = \"a.js\"\n\n\n\nscirpt = \"x\"\nvizion = true\n";
    let ecosystem = load_text("ecosystem.toml", toml).expect("valid");
    assert_eq!(
        ecosystem.warnings,
        vec![
            "ecosystem.toml:7: app \"api\": unknown option \"scirpt\" (ignored)".to_string(),
            "ecosystem.toml: app \"api\": vizion only mean something to Node/PM2's SaaS: stored, no effect"
                .to_string(),
        ]
    );
    assert_eq!(
        ecosystem.apps[0]
            .stored_options
            .get("vizion")
            .map(String::as_str),
        Some("true")
    );

    let json = "{\"apps\": [\n {\"name\": \"api\",\n  \"script\": \"a.js\",\n  \"scirpt\": 1}]}";
    let ecosystem = load_text("ecosystem.json", json).expect("valid");
    assert_eq!(
        ecosystem.warnings,
        vec!["ecosystem.json:4: app \"api\": unknown option \"scirpt\" (ignored)".to_string()]
    );

    let yaml = "apps:\n  - name: api\n    script: a.js\n    scirpt: 1\n";
    let ecosystem = load_text("ecosystem.yml", yaml).expect("valid");
    assert_eq!(
        ecosystem.warnings,
        vec!["ecosystem.yml:4: app \"api\": unknown option \"scirpt\" (ignored)".to_string()]
    );
}

#[test]
fn wrong_type_toml_reports_the_key_line() {
    let toml = "[[apps]]\nname = \"api\"\nscript = \"a.js\"\n\n[[apps]]\nname = \"web\"\nscript = \"w.js\"\ninstances = true\n";
    let (line, message) = invalid(load_text("ecosystem.toml", toml));
    assert_eq!(line, 8);
    assert_eq!(
        message,
        "app \"web\": option \"instances\" must be a number or \"max\", got true"
    );
}

#[test]
fn wrong_type_json_reports_the_key_line() {
    let json = r#"{
  "apps": [
    { "name": "api", "script": "a.js" },
    {
      "name": "web",
      "script": "w.js",
      "env": {"A": 1},
      "instances": true
    }
  ]
}"#;
    let (line, message) = invalid(load_text("ecosystem.json", json));
    assert_eq!(line, 8);
    assert_eq!(
        message,
        "app \"web\": option \"instances\" must be a number or \"max\", got true"
    );
}

#[test]
fn wrong_type_yaml_reports_the_key_line() {
    let yaml = "apps:\n  - name: api\n    script: a.js\n  - name: web\n    script: w.js\n    env:\n      A: 1\n    max_memory_restart: lots\n";
    let (line, message) = invalid(load_text("ecosystem.yaml", yaml));
    assert_eq!(line, 8);
    assert!(
        message.starts_with("app \"web\": option \"max_memory_restart\" must be a size"),
        "{message}"
    );
    assert!(message.ends_with("got \"lots\""), "{message}");
}

#[test]
fn json_files_are_read_as_pm2_reads_them_javascript_included() {
    if !node_available() {
        eprintln!("skipped: node is not installed");
        return;
    }
    // PM2 evaluates .json files as a JavaScript expression: comments, trailing commas,
    // unquoted keys and computed values are all fine.
    let text = "// the apps\n{\n  apps: [{\n    name: 'api', /* inline */\n    cmd: 'a.js',\n    instances: 1 + 1,\n    env: { PORT: 3000 + 1 },\n  },],\n}\n";
    let ecosystem = load_text("ecosystem.json", text).expect("read as JavaScript");
    let app = &ecosystem.apps[0];
    assert_eq!(app.name.as_deref(), Some("api"));
    assert_eq!(app.script.as_deref(), Some("a.js"), "cmd stands for script");
    assert_eq!(app.instances, Some(Instances::Count(2)));
    assert_eq!(app.env.get("PORT").map(String::as_str), Some("3001"));
    let top_level = load_text("ecosystem.json", "[{script: 'b.js', name: 'b'}]").expect("a list");
    assert_eq!(top_level.apps[0].name.as_deref(), Some("b"));
}

#[test]
fn options_are_read_under_their_camel_case_names_as_pm2_reads_them() {
    let json = r#"{"apps":[{"script":"a.js","maxMemoryRestart":"100M","killTimeout":5000,
      "ignoreWatch":["tmp"],"mergeLogs":true,"windowsHide":true,"execInterpreter":"bash"}]}"#;
    let ecosystem = load_text("ecosystem.json", json).expect("valid");
    let app = &ecosystem.apps[0];
    assert_eq!(app.max_memory_restart, Some(100 * 1024 * 1024));
    assert_eq!(app.kill_timeout_ms, Some(5000));
    assert_eq!(app.watch.ignore, Some(vec!["tmp".to_string()]));
    assert_eq!(app.merge_logs, Some(true));
    assert_eq!(app.interpreter.as_deref(), Some("bash"));
    assert!(
        ecosystem.warnings.iter().all(|w| !w.contains("unknown")),
        "{:?}",
        ecosystem.warnings
    );
}

#[test]
fn deploy_sections_give_their_env_to_every_app() {
    let json = r#"{"apps":[{"script":"a.js"},{"script":"b.js"}],
      "deploy":{"production":{"user":"u","host":["h"],"env":{"A":"1","N":2}},"staging":{"ref":"x"}}}"#;
    let ecosystem = load_text("ecosystem.json", json).expect("valid");
    assert!(ecosystem.warnings.is_empty(), "{:?}", ecosystem.warnings);
    for app in &ecosystem.apps {
        let production = &app.deploy_env["production"];
        assert_eq!(production.get("A").map(String::as_str), Some("1"));
        assert_eq!(production.get("N").map(String::as_str), Some("2"));
        assert!(!app.deploy_env.contains_key("staging"));
    }
}

#[test]
fn cmd_stands_for_script_only_when_there_is_none() {
    let both = "[[apps]]\ncmd = \"c.js\"\nscript = \"s.js\"\n[[apps]]\nscript = \"t.js\"\ncmd = \"d.js\"\n";
    let ecosystem = load_text("ecosystem.toml", both).expect("valid");
    let scripts: Vec<_> = ecosystem.apps.iter().map(|a| a.script.clone()).collect();
    assert_eq!(scripts, vec![Some("s.js".into()), Some("t.js".into())]);
}

#[test]
fn syntax_errors_carry_their_line() {
    let (line, message) = invalid(load_text(
        "ecosystem.toml",
        "[[apps]]\nname = \"api\"\nscript = \n",
    ));
    assert_eq!(line, 3);
    assert!(message.starts_with("invalid TOML"), "{message}");

    let (line, message) = invalid(load_text(
        "ecosystem.json",
        "{\"apps\": [\n  {\"script\": \"a.js\" \"name\": 1}\n]}",
    ));
    assert_eq!(line, 2);
    assert!(message.starts_with("invalid JSON"), "{message}");

    let (line, message) = invalid(load_text(
        "ecosystem.yaml",
        "apps:\n  - script: a.js\n    name: [x\n",
    ));
    assert!(line >= 3, "line {line}");
    assert!(message.starts_with("invalid YAML"), "{message}");
}

#[test]
fn missing_script_is_an_error_at_the_app_start() {
    let toml =
        "[[apps]]\nname = \"a\"\nscript = \"a.js\"\n\n[[apps]]\nname = \"api\"\ncwd = \"x\"\n";
    let (line, message) = invalid(load_text("ecosystem.toml", toml));
    assert_eq!(line, 5);
    assert_eq!(message, "app \"api\": missing \"script\"");

    let json = "{\n \"apps\": [\n  {\n   \"cwd\": \"x\"\n  }\n ]\n}";
    let (line, message) = invalid(load_text("ecosystem.json", json));
    assert_eq!(line, 3);
    assert_eq!(message, "app #1: missing \"script\"");
}

#[test]
fn instances_max_and_all_but() {
    let toml = "[[apps]]\nscript = \"a\"\ninstances = \"max\"\n[[apps]]\nscript = \"b\"\ninstances = -1\n[[apps]]\nscript = \"c\"\ninstances = 0\n[[apps]]\nscript = \"d\"\ninstances = \"-2\"\n";
    let ecosystem = load_text("ecosystem.toml", toml).expect("valid");
    let instances: Vec<_> = ecosystem.apps.iter().map(|a| a.instances).collect();
    assert_eq!(
        instances,
        vec![
            Some(Instances::Max),
            Some(Instances::AllBut(1)),
            Some(Instances::Max),
            Some(Instances::AllBut(2)),
        ]
    );
}

#[test]
fn durations_accept_units() {
    let toml = "[[apps]]\nscript = \"a\"\nmin_uptime = \"10s\"\nrestart_delay = \"1m\"\nkill_timeout = 1600\nexp_backoff_restart_delay = \"100ms\"\n";
    let app = &load_text("ecosystem.toml", toml).expect("valid").apps[0];
    assert_eq!(app.min_uptime_ms, Some(10_000));
    assert_eq!(app.restart_delay_ms, Some(60_000));
    assert_eq!(app.kill_timeout_ms, Some(1_600));
    assert_eq!(app.exp_backoff_restart_delay_ms, Some(100));

    let (line, message) = invalid(load_text(
        "ecosystem.toml",
        "[[apps]]\nscript = \"a\"\nmin_uptime = \"soon\"\n",
    ));
    assert_eq!(line, 3);
    assert!(message.contains("\"min_uptime\""), "{message}");
}

#[test]
fn bad_memory_size_names_option_and_value() {
    let (line, message) = invalid(load_text(
        "ecosystem.toml",
        "[[apps]]\nname = \"api\"\nscript = \"a\"\nmax_memory_restart = \"lots\"\n",
    ));
    assert_eq!(line, 4);
    assert!(message.contains("\"max_memory_restart\""), "{message}");
    assert!(message.contains("\"lots\""), "{message}");
}

#[test]
fn empty_or_appless_files_are_invalid() {
    for (name, text) in [
        ("ecosystem.toml", ""),
        ("ecosystem.toml", "  \n# nothing\n"),
        ("ecosystem.toml", "[[groups]]\napps = []\n"),
        ("ecosystem.json", "{\"apps\": []}"),
        ("ecosystem.json", "[]"),
        ("ecosystem.yaml", "# only a comment\n"),
        ("ecosystem.yaml", "apps:\n"),
    ] {
        let (line, message) = invalid(load_text(name, text));
        assert_eq!(line, 1, "{name}: {text:?}");
        assert!(message.contains("no apps found"), "{name}: {message}");
    }
}

#[test]
fn pm2_shapes_single_app_and_lists() {
    let single = load_text("app.json", "{\"script\": \"a.js\", \"name\": \"x\"}").expect("single");
    assert_eq!(single.apps[0].name.as_deref(), Some("x"));

    let list = load_text(
        "apps.json",
        "[{\"script\": \"a.js\"}, {\"script\": \"b.js\"}]",
    )
    .expect("list");
    assert_eq!(list.apps.len(), 2);

    let apps_table = load_text("e.yaml", "apps:\n  script: a.js\n").expect("apps table");
    assert_eq!(apps_table.apps[0].script.as_deref(), Some("a.js"));

    let pm2_key = load_text("e.json", "{\"pm2\": [{\"script\": \"a.js\"}]}").expect("pm2 key");
    assert_eq!(pm2_key.apps.len(), 1);

    let inline = load_text(
        "e.toml",
        "apps = [{ script = \"a.js\" }, { script = \"b.js\" }]\n",
    )
    .expect("inline tables");
    assert_eq!(inline.apps.len(), 2);
}

#[test]
fn yaml_merge_keys_apply() {
    let yaml =
        "defaults: &defaults\n  autorestart: false\napps:\n  - <<: *defaults\n    script: a.js\n";
    let ecosystem = load_text("e.yaml", yaml).expect("valid");
    assert_eq!(ecosystem.apps[0].autorestart, Some(false));
    // `defaults` is not a PM2 key: said once.
    assert_eq!(ecosystem.warnings.len(), 1, "{:?}", ecosystem.warnings);
}

#[test]
fn unsupported_names_and_missing_files() {
    assert!(matches!(
        load(Path::new("/nonexistent/app.js")),
        Err(EcosystemError::UnsupportedType { .. })
    ));
    assert!(matches!(
        load(Path::new("/nonexistent/ecosystem.toml")),
        Err(EcosystemError::Io { .. })
    ));
    assert!(is_ecosystem_file(Path::new("dir/ecosystem.config.cjs")));
    assert!(is_ecosystem_file(Path::new("e.yml")));
    assert!(!is_ecosystem_file(Path::new("server.js")));
}

#[test]
fn args_split_like_a_shell() {
    assert_eq!(
        split_words(r#"a  'b c' "d \"e\"" f\ g '' x"y"z"#),
        vec!["a", "b c", "d \"e\"", "f g", "", "xyz"]
    );
    assert!(split_words("   ").is_empty());
    assert_eq!(split_words("'unclosed quote"), vec!["unclosed quote"]);
}

#[test]
fn env_values_of_any_scalar_type_become_strings() {
    let toml = "[[apps]]\nscript = \"a\"\n[apps.env]\nI = 1\nF = 1.5\nB = false\nS = \"s\"\nL = [1, \"x\"]\n";
    let app = &load_text("e.toml", toml).expect("valid").apps[0];
    assert_eq!(
        app.env,
        vars(&[
            ("I", "1"),
            ("F", "1.5"),
            ("B", "false"),
            ("S", "s"),
            ("L", "[1,\"x\"]"),
        ])
    );
    let (line, message) = invalid(load_text("e.toml", "[[apps]]\nscript = \"a\"\nenv = 3\n"));
    assert_eq!(line, 3);
    assert!(message.contains("\"env\" must be a table"), "{message}");
}

#[test]
fn never_panics_on_odd_input() {
    let inputs = [
        ("e.toml", "apps = 3"),
        ("e.toml", "[[apps]]\n[[apps.x]]\n"),
        ("e.toml", "apps = [1, 2]"),
        ("e.json", "42"),
        ("e.json", "{\"apps\": [null, 3]}"),
        (
            "e.json",
            "{\"apps\": [{\"script\": \"a\", \"instances\": 1e300}]}",
        ),
        ("e.json", "{\"apps\": [{\"script\": \"a\", \"port\": -1}]}"),
        (
            "e.json",
            "{\"apps\": [{\"script\": \"a\", \"instances\": 99999999999}]}",
        ),
        ("e.yaml", "apps:\n  - ? [a]\n    : b\n"),
        ("e.yaml", "apps: !tag\n  - script: a\n"),
        ("e.yaml", "---\na: 1\n---\nb: 2\n"),
        ("e.yaml", "apps:\n  - script: a\n    env: *nope\n"),
        ("e.yml", "\u{feff}apps: []"),
        ("e.json", "\u{feff}{\"apps\": [{\"script\": \"a\"}]}"),
    ];
    for (name, text) in inputs {
        let _ = load_text(name, text);
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let _ = load_text("e.json", &deep);
    let _ = load_text("e.yaml", &deep);
    let _ = load_text("e.toml", &format!("a = {deep}"));
}

#[test]
fn udp_port_is_one_port_or_a_list() {
    let one = load_text("e.toml", "[[apps]]\nscript = \"a\"\nudp_port = 5000\n").unwrap();
    assert_eq!(one.apps[0].udp_ports, [5000]);
    let json = r#"{"apps": [{"script": "a", "udp_ports": [5000, "5001", 5000]}]}"#;
    let list = load_text("e.json", json).unwrap();
    assert_eq!(list.apps[0].udp_ports, [5000, 5001], "each once, in order");
    assert!(list.warnings.is_empty(), "{:?}", list.warnings);
    for bad in ["0", "70000", "\"x\"", "[5000, -1]", "true"] {
        let text = format!("[[apps]]\nscript = \"a\"\nudp_port = {bad}\n");
        let (line, message) = invalid(load_text("e.toml", &text));
        assert_eq!(line, 3, "udp_port = {bad}");
        assert!(message.contains("udp_port"), "{message}");
    }
}
