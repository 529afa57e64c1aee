//! `pm2 export`: an ecosystem file's apps as Kubernetes manifests, a compose file or systemd
//! units, so that an orchestrator can run them without a process manager.
//!
//! [`plan`] turns each app as written into an [`ExportApp`] (resolved against the ecosystem
//! file's folder, so a missing script is caught here); one generator per target turns the
//! apps into files ([`kubernetes`], [`compose`], [`systemd`]) and names the options the target
//! cannot express, which the command prints as warnings. Generators are pure: no I/O.

pub mod compose;
pub mod kubernetes;
pub mod systemd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pm2_protocol::ecosystem::{
    self, find_in_path, interpreter_for, AppConfig, Instances, ResolveContext, ResolveError,
};

/// What `pm2 export` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One Deployment (or Job) per app, and a Service when it has a port.
    Kubernetes,
    /// One `compose.yaml` with a service per app.
    Compose,
    /// One `.service` unit per app.
    Systemd,
}

impl Target {
    /// Parses the command line's word.
    pub fn parse(word: &str) -> Option<Target> {
        match word {
            "kubernetes" | "k8s" => Some(Target::Kubernetes),
            "compose" | "docker-compose" => Some(Target::Compose),
            "systemd" => Some(Target::Systemd),
            _ => None,
        }
    }

    /// The name used in messages and in the default output folder.
    pub fn name(self) -> &'static str {
        match self {
            Target::Kubernetes => "kubernetes",
            Target::Compose => "compose",
            Target::Systemd => "systemd",
        }
    }
}

/// One app, settled for export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportApp {
    /// The app's name.
    pub name: String,
    /// The command inside a container: interpreter, its args, the script as written, args.
    pub command: Vec<String>,
    /// The command on this machine, with absolute paths (for systemd).
    pub host_command: Vec<String>,
    /// The working directory inside a container (`/app`, or `cwd` under it).
    pub container_dir: String,
    /// The working directory on this machine.
    pub host_dir: PathBuf,
    /// `env` with the chosen `env_<profile>` over it (and `PORT` when a port is set).
    pub env: BTreeMap<String, String>,
    /// Number of instances.
    pub instances: u32,
    /// The port the app serves, if any.
    pub port: Option<u16>,
    /// `max_memory_restart`, in bytes.
    pub max_memory: Option<u64>,
    /// Restart the app when it exits.
    pub autorestart: bool,
    /// `restart_delay`, in ms.
    pub restart_delay_ms: Option<u64>,
    /// `kill_timeout`, in ms.
    pub kill_timeout_ms: Option<u64>,
    /// `kill_signal`.
    pub kill_signal: Option<String>,
    /// `stop_exit_codes`.
    pub stop_exit_codes: Vec<i32>,
    /// Options set in the file that some target may not express (PM2's names).
    pub options: Vec<String>,
}

/// One file to write, relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// File name.
    pub name: String,
    /// Its content.
    pub text: String,
}

/// What a generator produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The files.
    pub files: Vec<File>,
    /// One line each: an option the target cannot express.
    pub warnings: Vec<String>,
}

/// Writes the files for `target`.
pub fn generate(target: Target, apps: &[ExportApp], image: &str) -> Output {
    let (files, unsupported): (Vec<File>, &[&str]) = match target {
        Target::Kubernetes => (kubernetes::files(apps, image), kubernetes::UNSUPPORTED),
        Target::Compose => (compose::files(apps, image), compose::UNSUPPORTED),
        Target::Systemd => (systemd::files(apps), systemd::UNSUPPORTED),
    };
    let mut warnings = Vec::new();
    for app in apps {
        for option in &app.options {
            if unsupported.contains(&option.as_str()) || !KNOWN.contains(&option.as_str()) {
                warnings.push(no_equivalent(app, option, target));
            }
        }
        if target == Target::Systemd && app.instances > 1 {
            warnings.push(format!(
                "app {:?}: instances ({}) has no equivalent in systemd: the unit runs one process",
                app.name, app.instances
            ));
        }
        if target == Target::Kubernetes && !app.autorestart {
            warnings.push(format!(
                "app {:?}: autorestart false is exported as a Job (restartPolicy: Never)",
                app.name
            ));
        }
    }
    Output { files, warnings }
}

fn no_equivalent(app: &ExportApp, option: &str, target: Target) -> String {
    format!(
        "app {:?}: {option} has no equivalent in {}, ignored",
        app.name,
        target.name()
    )
}

/// Options [`plan`] records that at least one target expresses; any other recorded option
/// (PM2's `watch`, `cron_restart`...) has no equivalent anywhere.
const KNOWN: &[&str] = &[
    "restart_delay",
    "exp_backoff_restart_delay",
    "max_restarts",
    "min_uptime",
    "kill_timeout",
    "kill_signal",
    "stop_exit_codes",
    "wait_ready",
    "listen_timeout",
    "out_file",
    "error_file",
    "log_file",
];

/// Why an app cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The app does not resolve (no script, script or cwd missing).
    #[error("app {app:?}: {source}")]
    Resolve {
        /// The app's name as written.
        app: String,
        /// The cause.
        source: ResolveError,
    },
}

/// Settles `config` for export against `ctx` (whose `cwd` is the ecosystem file's folder).
/// An interpreter missing on this machine is not an error (the target may have it): it is
/// reported in the returned notes and exported by name.
pub fn plan(
    config: &AppConfig,
    ctx: &ResolveContext,
) -> Result<(ExportApp, Vec<String>), PlanError> {
    let label = config.name.clone().unwrap_or_default();
    let mut notes = Vec::new();
    let spec = match ecosystem::resolve(config, ctx) {
        Ok(spec) => Some(spec),
        Err(ResolveError::InterpreterNotFound { interpreter, .. }) => {
            notes.push(format!(
                "app {label:?}: interpreter {interpreter:?} not found on this machine, exported by name"
            ));
            None
        }
        Err(source) => return Err(PlanError::Resolve { app: label, source }),
    };
    let script = config.script.clone().unwrap_or_default();
    let explicit_none = config.interpreter.as_deref() == Some("none");
    let interpreter = config
        .interpreter
        .clone()
        .filter(|i| i != "none")
        .or_else(|| {
            (!explicit_none)
                .then(|| interpreter_for(Path::new(&script)).map(str::to_string))
                .flatten()
        });

    let mut command = Vec::new();
    if let Some(program) = &interpreter {
        command.push(program.clone());
        command.extend(config.interpreter_args.iter().cloned());
        command.push(script.clone());
    } else if script.contains(' ') {
        command.extend(["bash".to_string(), "-c".to_string(), script.clone()]);
    } else {
        command.push(script.clone());
    }
    command.extend(config.args.iter().cloned());

    let host_command = match &spec {
        Some(spec) => {
            let mut argv = Vec::new();
            if let Some(program) = &spec.interpreter {
                let found = find_in_path(program, &spec.base_env)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| program.clone());
                argv.push(found);
                argv.extend(spec.interpreter_args.iter().cloned());
            }
            argv.push(spec.exec_path.display().to_string());
            argv.extend(spec.args.iter().cloned());
            argv
        }
        None => command.clone(),
    };

    let mut env = config.env.clone();
    if let Some(extra) = ctx
        .env_profile
        .as_ref()
        .and_then(|p| config.env_profiles.get(p))
    {
        env.extend(extra.clone());
    }
    let port = config
        .port
        .or_else(|| env.get("PORT").and_then(|p| p.parse().ok()));
    if let Some(port) = config.port {
        env.insert("PORT".into(), port.to_string());
    }
    if interpreter.as_deref().is_some_and(|i| i.contains("python")) {
        env.entry("PYTHONUNBUFFERED".into())
            .or_insert_with(|| "1".into());
    }

    let container_dir = match config.cwd.as_deref() {
        None | Some(".") => "/app".to_string(),
        Some(dir) if dir.starts_with('/') => dir.to_string(),
        Some(dir) => format!("/app/{}", dir.trim_start_matches("./")),
    };
    let host_dir = spec.as_ref().map(|s| s.cwd.clone()).unwrap_or_else(|| {
        config
            .cwd
            .as_deref()
            .map(|d| ctx.cwd.join(d))
            .unwrap_or_else(|| ctx.cwd.clone())
    });
    let name = spec.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| {
        config.name.clone().unwrap_or_else(|| {
            Path::new(&script)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or(&script)
                .to_string()
        })
    });
    let instances = match config.instances {
        None => 1,
        Some(Instances::Count(0)) | Some(Instances::Max) => ctx.cpus.max(1),
        Some(Instances::Count(n)) => n,
        Some(Instances::AllBut(n)) => ctx.cpus.saturating_sub(n).max(1),
    };

    let mut options: Vec<String> = config.inert_options.clone();
    let set = [
        ("restart_delay", config.restart_delay_ms.is_some()),
        (
            "exp_backoff_restart_delay",
            config.exp_backoff_restart_delay_ms.is_some(),
        ),
        ("max_restarts", config.max_restarts.is_some()),
        ("min_uptime", config.min_uptime_ms.is_some()),
        ("kill_timeout", config.kill_timeout_ms.is_some()),
        ("kill_signal", config.kill_signal.is_some()),
        ("stop_exit_codes", !config.stop_exit_codes.is_empty()),
        ("wait_ready", config.wait_ready == Some(true)),
        ("listen_timeout", config.listen_timeout_ms.is_some()),
        ("out_file", config.out_file.is_some()),
        ("error_file", config.error_file.is_some()),
        ("log_file", config.log_file.is_some()),
        ("watch", config.watch.paths.is_some()),
        ("cron_restart", config.cron_restart.is_some()),
    ];
    options.extend(
        set.iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| name.to_string()),
    );

    let app = ExportApp {
        name,
        command,
        host_command,
        container_dir,
        host_dir,
        env,
        instances,
        port,
        max_memory: config.max_memory_restart,
        autorestart: config.autorestart.unwrap_or(true),
        restart_delay_ms: config.restart_delay_ms,
        kill_timeout_ms: config.kill_timeout_ms,
        kill_signal: config.kill_signal.clone(),
        stop_exit_codes: config.stop_exit_codes.clone(),
        options,
    };
    Ok((app, notes))
}

/// A name Kubernetes and compose accept (RFC 1123 label): lowercase letters, digits and `-`,
/// starting and ending with a letter or digit, at most 63 characters.
pub fn dns_label(name: &str) -> String {
    let mut label: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    label.truncate(63);
    let label = label.trim_matches('-').to_string();
    if label.is_empty() {
        "app".to_string()
    } else {
        label
    }
}

/// A memory size the way Kubernetes and compose like it: `150Mi`-style when whole.
fn memory_units(bytes: u64, kib: &str, mib: &str, gib: &str, plain: &str) -> String {
    const K: u64 = 1024;
    if bytes >= K * K * K && bytes.is_multiple_of(K * K * K) {
        format!("{}{gib}", bytes / (K * K * K))
    } else if bytes >= K * K && bytes.is_multiple_of(K * K) {
        format!("{}{mib}", bytes / (K * K))
    } else if bytes >= K && bytes.is_multiple_of(K) {
        format!("{}{kib}", bytes / K)
    } else {
        format!("{bytes}{plain}")
    }
}

/// Renders a JSON value as YAML (keys in insertion order).
fn yaml(value: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(value).expect("a JSON value always renders as YAML")
}

#[cfg(test)]
mod tests;
