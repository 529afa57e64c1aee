//! `pm2_start_process` inputs turned into app specs, resolved exactly as `pm2 start` does
//! (the same ecosystem reader and option resolution), from the server's directory and
//! environment.

use std::path::{Path, PathBuf};

use pm2_protocol::ecosystem::{self, AppConfig, Instances, ResolveContext};
use pm2_protocol::{AppSpec, Home};

use crate::args::StartArgs;

/// The specs to start, or a message for the agent.
pub fn specs(a: &StartArgs, home: &Home) -> Result<Vec<AppSpec>, String> {
    let cwd = std::env::current_dir()
        .map_err(|e| format!("cannot read the server's current directory: {e}"))?;
    match (&a.script, &a.json_config_file) {
        (Some(_), Some(_)) => Err("give either script or jsonConfigFile, not both".into()),
        (None, None) => Err("give a script to run, or a jsonConfigFile".into()),
        (None, Some(file)) => from_file(&cwd.join(file), home),
        (Some(script), None) => {
            let config = config_of(a, script)?;
            let spec = ecosystem::resolve(&config, &context(cwd, home))
                .map_err(|e| format!("cannot start {script}: {e}"))?;
            Ok(vec![spec])
        }
    }
}

fn context(cwd: PathBuf, home: &Home) -> ResolveContext {
    ResolveContext {
        cwd,
        caller_env: std::env::vars().collect(),
        env_profile: None,
        home: home.clone(),
        cpus: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
    }
}

fn from_file(path: &Path, home: &Home) -> Result<Vec<AppSpec>, String> {
    let file = ecosystem::load(path).map_err(|e| e.to_string())?;
    let dir = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| format!("cannot locate {}", path.display()))?;
    let context = context(dir, home);
    let specs = file
        .apps
        .iter()
        .map(|app| {
            ecosystem::resolve(app, &context).map_err(|e| {
                let name = app.name.clone().unwrap_or_default();
                format!("{}: app {name:?}: {e}", path.display())
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if specs.is_empty() {
        return Err(format!("{}: no app to start", path.display()));
    }
    Ok(specs)
}

fn config_of(a: &StartArgs, script: &str) -> Result<AppConfig, String> {
    let instances = match a.instances {
        None => None,
        Some(0) => Some(Instances::Max),
        Some(n) if n > 0 => Some(Instances::Count(
            u32::try_from(n).map_err(|_| format!("instances {n} is too large"))?,
        )),
        Some(n) => Some(Instances::AllBut(
            u32::try_from(n.unsigned_abs()).map_err(|_| format!("instances {n} is too small"))?,
        )),
    };
    Ok(AppConfig {
        name: a.name.clone(),
        script: Some(script.into()),
        args: a.args.clone().unwrap_or_default(),
        interpreter: a.interpreter.clone(),
        cwd: a.cwd.clone(),
        instances,
        env: a.env.clone().unwrap_or_default(),
        watch: pm2_protocol::WatchConfig {
            paths: (a.watch == Some(true)).then(Vec::new),
            ..Default::default()
        },
        ..AppConfig::default()
    })
}
