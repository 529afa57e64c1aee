//! Tests of [`super::resolve`]: interpreters, names, paths, logs, instances.
use super::*;

fn ctx(dir: &Path) -> ResolveContext {
    let mut caller_env = BTreeMap::new();
    caller_env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    caller_env.insert("FROM_CALLER".into(), "1".into());
    ResolveContext {
        cwd: dir.to_path_buf(),
        caller_env,
        env_profile: None,
        home: crate::Home::at(dir.join(".pm2")),
        cpus: 4,
    }
}

fn app(script: &str) -> AppConfig {
    AppConfig {
        script: Some(script.into()),
        ..AppConfig::default()
    }
}

#[test]
fn a_js_file_runs_with_node_and_is_named_after_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api.js"), "").unwrap();
    let Ok(spec) = resolve(&app("api.js"), &ctx(dir.path())) else {
        return; // node is not installed on this machine
    };
    assert_eq!(spec.name, "api");
    assert_eq!(spec.interpreter.as_deref(), Some("node"));
    assert_eq!(spec.exec_path, dir.path().join("api.js"));
    assert_eq!(
        spec.out_file,
        Some(dir.path().join(".pm2/logs/api-out.log"))
    );
    assert!(spec.merge_logs, "a single fork app has no -<id> suffix");
    assert_eq!(
        spec.base_env.get("FROM_CALLER").map(String::as_str),
        Some("1")
    );
}

#[test]
fn a_binary_on_path_runs_directly() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = app("sleep");
    config.args = vec!["100".into()];
    let spec = resolve(&config, &ctx(dir.path())).unwrap();
    assert_eq!(spec.name, "sleep");
    assert_eq!(spec.interpreter, None);
    assert!(spec.exec_path.ends_with("sleep"));
    assert_eq!(spec.args, vec!["100"]);
}

#[test]
fn a_command_line_runs_through_bash() {
    let dir = tempfile::tempdir().unwrap();
    let spec = resolve(&app("python3 -m http.server 8080"), &ctx(dir.path())).unwrap();
    assert!(spec.exec_path.ends_with("bash"));
    assert_eq!(spec.args, vec!["-c", "python3 -m http.server 8080"]);
    assert_eq!(spec.name, "python3 -m http.server 8080");
    assert_eq!(
        spec.out_file,
        Some(
            dir.path()
                .join(".pm2/logs/python3--m-http.server-8080-out.log")
        )
    );
}

#[test]
fn missing_scripts_and_plain_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        resolve(&app("./nope.js"), &ctx(dir.path())),
        Err(ResolveError::ScriptNotFound(dir.path().join("./nope.js")))
    );
    std::fs::write(dir.path().join("data.bin"), "x").unwrap();
    assert_eq!(
        resolve(&app("data.bin"), &ctx(dir.path())),
        Err(ResolveError::NotExecutable(dir.path().join("data.bin")))
    );
}

#[test]
fn a_missing_interpreter_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.sh"), "").unwrap();
    let mut config = app("x.sh");
    config.interpreter = Some("no-such-interpreter-xyz".into());
    assert!(matches!(
        resolve(&config, &ctx(dir.path())),
        Err(ResolveError::InterpreterNotFound { .. })
    ));
}

#[test]
fn profiles_instances_and_log_suffix_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.sh"), "").unwrap();
    let mut config = app("w.sh");
    config.env.insert("A".into(), "base".into());
    config
        .env_profiles
        .entry("production".into())
        .or_default()
        .insert("A".into(), "prod".into());
    config.instances = Some(Instances::AllBut(1));
    let mut context = ctx(dir.path());
    context.env_profile = Some("production".into());
    let spec = resolve(&config, &context).unwrap();
    assert_eq!(spec.env.get("A").map(String::as_str), Some("prod"));
    assert_eq!(spec.instances, 3);
    assert!(!spec.merge_logs, "several instances get -<id> suffixes");
    assert_eq!(spec.interpreter.as_deref(), Some("bash"));
}
