//! Kubernetes: per app, a Deployment (a Job when `autorestart` is false, since a Deployment
//! always restarts) and a Service when the app has a port, in one `<app>.yaml`.

use serde_json::{json, Map, Value};

use super::{dns_label, memory_units, yaml, ExportApp, File};

/// Options set in a file that a pod spec cannot express.
pub const UNSUPPORTED: &[&str] = &[
    "restart_delay",
    "exp_backoff_restart_delay",
    "max_restarts",
    "min_uptime",
    "kill_signal",
    "stop_exit_codes",
    "wait_ready",
    "listen_timeout",
    "out_file",
    "error_file",
    "log_file",
];

/// The image the containers run (`--image`, default [`DEFAULT_IMAGE`]).
pub const DEFAULT_IMAGE: &str = "app:latest";

/// One file per app.
pub fn files(apps: &[ExportApp], image: &str) -> Vec<File> {
    apps.iter()
        .map(|app| {
            let mut text = yaml(&workload(app, image));
            if let Some(service) = service(app) {
                text.push_str("---\n");
                text.push_str(&yaml(&service));
            }
            File {
                name: format!("{}.yaml", dns_label(&app.name)),
                text,
            }
        })
        .collect()
}

fn labels(app: &ExportApp) -> Value {
    json!({ "app.kubernetes.io/name": dns_label(&app.name) })
}

fn container(app: &ExportApp, image: &str) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(dns_label(&app.name)));
    c.insert("image".into(), json!(image));
    c.insert("command".into(), json!(app.command));
    c.insert("workingDir".into(), json!(app.container_dir));
    if !app.env.is_empty() {
        let env: Vec<Value> = app
            .env
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect();
        c.insert("env".into(), Value::Array(env));
    }
    if let Some(port) = app.port {
        c.insert(
            "ports".into(),
            json!([{ "name": "http", "containerPort": port }]),
        );
    }
    if let Some(bytes) = app.max_memory {
        c.insert(
            "resources".into(),
            json!({ "limits": { "memory": memory_units(bytes, "Ki", "Mi", "Gi", "") } }),
        );
    }
    Value::Object(c)
}

fn pod_spec(app: &ExportApp, image: &str) -> Value {
    let mut spec = Map::new();
    spec.insert(
        "restartPolicy".into(),
        json!(if app.autorestart { "Always" } else { "Never" }),
    );
    if let Some(ms) = app.kill_timeout_ms {
        spec.insert(
            "terminationGracePeriodSeconds".into(),
            json!(ms.div_ceil(1000)),
        );
    }
    spec.insert("containers".into(), json!([container(app, image)]));
    Value::Object(spec)
}

fn workload(app: &ExportApp, image: &str) -> Value {
    let template = json!({ "metadata": { "labels": labels(app) }, "spec": pod_spec(app, image) });
    if app.autorestart {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": { "name": dns_label(&app.name), "labels": labels(app) },
            "spec": {
                "replicas": app.instances,
                "selector": { "matchLabels": labels(app) },
                "template": template,
            },
        })
    } else {
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": { "name": dns_label(&app.name), "labels": labels(app) },
            "spec": {
                "parallelism": app.instances,
                "completions": app.instances,
                "backoffLimit": 0,
                "template": template,
            },
        })
    }
}

fn service(app: &ExportApp) -> Option<Value> {
    let port = app.port?;
    Some(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": { "name": dns_label(&app.name), "labels": labels(app) },
        "spec": {
            "selector": labels(app),
            "ports": [{ "name": "http", "port": port, "targetPort": "http" }],
        },
    }))
}
