//! `pm2 export kubernetes|compose|systemd`: the files written for an ecosystem file, checked
//! by parsing them, and by the real validators (kubernetes-validate, hadolint,
//! systemd-analyze) when they are installed; those checks skip with a message otherwise.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{read, Pm2};
use serde_json::Value;

const ECOSYSTEM: &str = r#"
[[apps]]
name = "api"
script = "server.sh"
args = ["--listen"]
instances = 3
port = 3000
max_memory_restart = "150M"
cron_restart = "0 * * * *"

[apps.env]
GREETING = "hello"
MODE = "dev"

[apps.env_production]
MODE = "production"

[[apps]]
name = "once"
script = "job.sh"
autorestart = false
max_memory_restart = "1G"
"#;

fn setup() -> Pm2 {
    let pm2 = Pm2::new();
    pm2.write("ecosystem.toml", ECOSYSTEM, false);
    pm2.write("server.sh", "echo serving\n", false);
    pm2.write("job.sh", "echo once\n", false);
    pm2
}

fn out_dir(pm2: &Pm2, target: &str) -> PathBuf {
    pm2.work().join(format!("out-{target}"))
}

fn export(pm2: &Pm2, target: &str) -> common::Run {
    let out = out_dir(pm2, target);
    pm2.run(&[
        "export",
        target,
        "ecosystem.toml",
        "--env",
        "production",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok()
}

fn yaml_docs(path: &Path) -> Vec<Value> {
    read(path)
        .split("---\n")
        .map(|doc| serde_yaml_ng::from_str(doc).expect("valid YAML"))
        .collect()
}

/// Runs a validator when installed; `None` (with a message) when it is not.
fn validator(program: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(program).args(args).output() {
        Ok(output) => Some(output),
        Err(_) => {
            eprintln!("{program} not installed: skipping that validation");
            None
        }
    }
}

fn assert_valid(what: &str, output: Option<std::process::Output>) {
    if let Some(output) = output {
        assert!(
            output.status.success(),
            "{what} rejected:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn kubernetes_manifests_carry_replicas_env_ports_and_limits() {
    let pm2 = setup();
    let run = export(&pm2, "kubernetes");
    let out = out_dir(&pm2, "kubernetes");
    assert!(run
        .stdout
        .contains(&format!("{}", out.join("api.yaml").display())));
    assert!(run.stderr.contains(
        "[PM2][WARN] app \"api\": cron_restart has no equivalent in kubernetes, ignored"
    ));

    let api = yaml_docs(&out.join("api.yaml"));
    assert_eq!(api[0]["kind"], "Deployment");
    assert_eq!(api[0]["spec"]["replicas"], 3);
    let container = &api[0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["command"],
        serde_json::json!(["bash", "server.sh", "--listen"])
    );
    let env: Vec<(String, String)> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().into(),
                e["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(env.contains(&("MODE".into(), "production".into())));
    assert!(env.contains(&("GREETING".into(), "hello".into())));
    assert!(env.contains(&("PORT".into(), "3000".into())));
    assert_eq!(container["ports"][0]["containerPort"], 3000);
    assert_eq!(container["resources"]["limits"]["memory"], "150Mi");
    assert_eq!(api[1]["kind"], "Service");

    let once = yaml_docs(&out.join("once.yaml"));
    assert_eq!(once.len(), 1, "no port, no Service");
    assert_eq!(once[0]["kind"], "Job");
    assert_eq!(
        once[0]["spec"]["template"]["spec"]["restartPolicy"],
        "Never"
    );
    assert_eq!(
        once[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "1Gi"
    );

    for file in ["api.yaml", "once.yaml"] {
        let path = out.join(file);
        assert_valid(
            file,
            validator("kubernetes-validate", &[path.to_str().unwrap()]),
        );
    }
}

#[test]
fn compose_file_carries_replicas_env_ports_and_limits() {
    let pm2 = setup();
    export(&pm2, "compose");
    let doc = &yaml_docs(&out_dir(&pm2, "compose").join("compose.yaml"))[0];
    let api = &doc["services"]["api"];
    assert_eq!(api["deploy"]["replicas"], 3);
    assert_eq!(api["environment"]["MODE"], "production");
    assert_eq!(api["ports"][0], "3000");
    assert_eq!(api["mem_limit"], "150m");
    assert_eq!(api["restart"], "always");
    assert_eq!(doc["services"]["once"]["restart"], "no");
    assert_eq!(doc["services"]["once"]["deploy"]["replicas"], 1);
}

#[test]
fn systemd_units_have_the_right_lines() {
    let pm2 = setup();
    export(&pm2, "systemd");
    let out = out_dir(&pm2, "systemd");
    let work = std::fs::canonicalize(pm2.work()).unwrap();
    let api = read(&out.join("api.service"));
    let has = |text: &str, line: &str| {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing in\n{text}"
        )
    };
    has(&api, &format!("WorkingDirectory={}", work.display()));
    has(&api, "Environment=MODE=production");
    has(&api, "Environment=PORT=3000");
    has(&api, "Restart=always");
    has(&api, &format!("MemoryMax={}", 150 * 1024 * 1024));
    let exec = api.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(exec.ends_with(&format!("{} --listen", work.join("server.sh").display())));
    assert!(
        exec.starts_with("ExecStart=/"),
        "absolute interpreter: {exec}"
    );
    let once = read(&out.join("once.service"));
    has(&once, "Restart=no");
    has(&once, &format!("MemoryMax={}", 1024 * 1024 * 1024));

    if Path::new("/run/systemd/system").exists() || which("systemd-analyze") {
        let output = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(out.join("api.service"))
            .arg(out.join("once.service"))
            .output()
            .expect("systemd-analyze");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Outside a booted systemd, verify may complain about the host; only lines about
        // our units count.
        let ours: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("api.service") || l.contains("once.service"))
            .collect();
        assert!(ours.is_empty(), "systemd-analyze verify:\n{stderr}");
    } else {
        eprintln!("systemd-analyze not installed: skipping unit verification");
    }
}

fn which(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

#[test]
fn bad_inputs_fail_with_one_line_and_write_nothing() {
    let pm2 = setup();
    let run = pm2.run(&["export", "nomad", "ecosystem.toml"]).failed();
    assert!(
        run.stderr.contains("unknown export target \"nomad\""),
        "{}",
        run.stderr
    );
    let run = pm2.run(&["export", "kubernetes", "missing.toml"]).failed();
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
    pm2.write("broken.toml", "[[apps]\nname = ", false);
    pm2.run(&["export", "compose", "broken.toml"]).failed();
    pm2.write(
        "noscript.toml",
        "[[apps]]\nname = \"x\"\nscript = \"nope.sh\"\n",
        false,
    );
    let run = pm2.run(&["export", "systemd", "noscript.toml"]).failed();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    for target in ["nomad", "kubernetes", "compose", "systemd"] {
        assert!(!pm2.work().join(format!("export-{target}")).exists());
    }
}

#[test]
fn default_file_and_folder() {
    let pm2 = setup();
    let run = pm2.run(&["export", "compose"]).ok();
    assert!(run.stdout.contains("compose.yaml"), "{}", run.stdout);
    assert!(pm2.work().join("export-compose/compose.yaml").is_file());
}

#[test]
fn shipped_deploy_assets_validate() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    for file in ["configmap.yaml", "deployment.yaml", "service.yaml"] {
        let path = deploy.join("kubernetes").join(file);
        yaml_docs(&path);
        assert_valid(
            file,
            validator("kubernetes-validate", &[path.to_str().unwrap()]),
        );
    }
    let compose = &yaml_docs(&deploy.join("compose.yaml"))[0];
    assert_eq!(
        compose["services"]["app"]["build"]["dockerfile"],
        "deploy/Dockerfile"
    );
    let dockerfile = read(&deploy.join("Dockerfile"));
    assert!(dockerfile.contains("ENTRYPOINT [\"pm2-runtime\"]"));
    assert_valid(
        "deploy/Dockerfile",
        validator("hadolint", &[deploy.join("Dockerfile").to_str().unwrap()]),
    );
}
