//! Generators on hand-made apps: no files, no processes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

fn app(name: &str) -> ExportApp {
    ExportApp {
        name: name.into(),
        command: vec!["node".into(), "server.js".into(), "--fast".into()],
        host_command: vec!["/usr/bin/node".into(), "/srv/api/server.js".into()],
        container_dir: "/app".into(),
        host_dir: PathBuf::from("/srv/api"),
        env: BTreeMap::from([("NODE_ENV".to_string(), "production".to_string())]),
        instances: 3,
        port: Some(3000),
        max_memory: Some(150 * 1024 * 1024),
        autorestart: true,
        restart_delay_ms: None,
        kill_timeout_ms: Some(5000),
        kill_signal: None,
        stop_exit_codes: vec![],
        options: vec!["cron_restart".into(), "restart_delay".into()],
    }
}

fn docs(text: &str) -> Vec<serde_json::Value> {
    text.split("---\n")
        .map(|d| serde_yaml_ng::from_str(d).expect("valid YAML"))
        .collect()
}

#[test]
fn kubernetes_deployment_and_service() {
    let out = generate(Target::Kubernetes, &[app("API_server")], "img:1");
    assert_eq!(out.files[0].name, "api-server.yaml");
    let docs = docs(&out.files[0].text);
    assert_eq!(docs[0]["kind"], "Deployment");
    assert_eq!(docs[0]["spec"]["replicas"], 3);
    let pod = &docs[0]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Always");
    assert_eq!(pod["terminationGracePeriodSeconds"], 5);
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "img:1");
    assert_eq!(c["command"][1], "server.js");
    assert_eq!(c["env"][0]["name"], "NODE_ENV");
    assert_eq!(c["ports"][0]["containerPort"], 3000);
    assert_eq!(c["resources"]["limits"]["memory"], "150Mi");
    assert_eq!(docs[1]["kind"], "Service");
    assert_eq!(docs[1]["spec"]["ports"][0]["port"], 3000);
    assert_eq!(
        out.warnings,
        vec![
            "app \"API_server\": cron_restart has no equivalent in kubernetes, ignored",
            "app \"API_server\": restart_delay has no equivalent in kubernetes, ignored",
        ]
    );
}

#[test]
fn kubernetes_without_autorestart_is_a_job() {
    let mut one = app("once");
    one.autorestart = false;
    one.port = None;
    let out = generate(Target::Kubernetes, &[one], "img");
    let docs = docs(&out.files[0].text);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["kind"], "Job");
    assert_eq!(
        docs[0]["spec"]["template"]["spec"]["restartPolicy"],
        "Never"
    );
}

#[test]
fn compose_services() {
    let mut single = app("web");
    single.instances = 1;
    single.autorestart = false;
    let out = generate(Target::Compose, &[app("api"), single], "img");
    let doc: serde_json::Value = serde_yaml_ng::from_str(&out.files[0].text).unwrap();
    let api = &doc["services"]["api"];
    assert_eq!(api["deploy"]["replicas"], 3);
    assert_eq!(api["restart"], "always");
    assert_eq!(api["ports"][0], "3000");
    assert_eq!(api["mem_limit"], "150m");
    assert_eq!(api["environment"]["NODE_ENV"], "production");
    let web = &doc["services"]["web"];
    assert_eq!(web["restart"], "no");
    assert_eq!(web["ports"][0], "3000:3000");
}

#[test]
fn systemd_unit_lines() {
    let mut a = app("api");
    a.env.insert("MSG".into(), "hello world 100%".into());
    a.host_command.push("$HOME".into());
    a.stop_exit_codes = vec![0, 3];
    let out = generate(Target::Systemd, &[a], "unused");
    let text = &out.files[0].text;
    assert_eq!(out.files[0].name, "api.service");
    for line in [
        "WorkingDirectory=/srv/api",
        "Environment=NODE_ENV=production",
        "Environment=\"MSG=hello world 100%%\"",
        "ExecStart=/usr/bin/node /srv/api/server.js $$HOME",
        "Restart=always",
        "TimeoutStopSec=5000ms",
        "RestartPreventExitStatus=0 3",
        "MemoryMax=157286400",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
    }
    assert!(out.warnings.iter().any(|w| w.contains("instances (3)")));
    assert!(out.warnings.iter().any(|w| w.contains("cron_restart")));
    assert!(!out.warnings.iter().any(|w| w.contains("restart_delay")));
}

#[test]
fn names_become_dns_labels() {
    assert_eq!(dns_label("My_App.v2"), "my-app-v2");
    assert_eq!(dns_label("--"), "app");
    assert_eq!(dns_label(&"x".repeat(80)).len(), 63);
}
