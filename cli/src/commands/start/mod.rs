//! `pm2 start`, `startOrRestart`, `startOrReload`: scripts, binaries, commands and
//! ecosystem files, resolved here against the caller's cwd, PATH and environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use pm2_protocol::ecosystem::{self, AppConfig, ResolveContext};
use pm2_protocol::{Action, AppSpec, ProcessInfo, Request, Target};

use super::{ask, processes, show, targets, Context};
use crate::args::StartArgs;
use crate::client::Client;

mod flags;

pub(super) use flags::attributes;
use flags::{
    apply_watch_flags, config_from_flags, warn_node_internals, watch_config, write_configuration,
};

/// The ecosystem files `pm2 start` looks for when given none, in order.
const DEFAULT_FILES: [&str; 2] = ["ecosystem.toml", "ecosystem.config.js"];

/// Which start command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `pm2 start`.
    Start,
    /// `startOrRestart` (and `restart <ecosystem>`).
    StartOrRestart,
    /// `startOrReload` (and `reload <ecosystem>`).
    StartOrReload,
}

impl Mode {
    /// What happens to apps that already run: PM2 restarts them when a file starts again.
    fn on_existing(self) -> Action {
        match self {
            Mode::StartOrReload => Action::Reload,
            Mode::Start | Mode::StartOrRestart => Action::Restart,
        }
    }
}

/// Runs a start command for each target in turn, with PM2's lines, then the table.
pub async fn start(ctx: &Context, mut args: StartArgs, mode: Mode) -> Result<()> {
    if args.targets.is_empty() {
        // PM2 starts ecosystem.config.js when given nothing; ours looks for TOML first.
        let found = DEFAULT_FILES.iter().find(|f| Path::new(f).is_file());
        let Some(file) = found else {
            bail!("File {} not found", DEFAULT_FILES[1]);
        };
        args.targets.push(file.to_string());
    }
    if args.container.container {
        bail!("docker mode (--container) is not supported: `pm2 export compose` writes a compose file and Dockerfile instead");
    }
    warn_node_internals(ctx);
    let mut client = ctx.client().await?;
    let mut acted = Vec::new();
    // The table the last start's answer carried: printed without asking again.
    let mut table = None;
    for (index, target) in args.targets.iter().enumerate() {
        table = None;
        let last = index + 1 == args.targets.len();
        let path = Path::new(target);
        if ecosystem::is_ecosystem_file(path) {
            acted.extend(ecosystem(ctx, &mut client, target, mode).await?);
            continue;
        }
        if mode == Mode::Start && !path.exists() && is_app_reference(target) {
            let named = Target::parse(target);
            let existing = targets::lookup(&mut client, vec![named.clone()]).await?;
            if !existing.is_empty() {
                ctx.printer.info(targets::applying(
                    Action::Restart.pm2_name(),
                    target,
                    &named,
                    &existing,
                ));
                let request = Request::Act {
                    action: Action::Restart,
                    targets: vec![named],
                    update_env: ctx.options.update_env.then(caller_env),
                    attributes: attributes(&ctx.options, &args.args)?,
                };
                let restarted = processes(ask(&mut client, request).await?)?;
                super::ready::wait_until_ready(&mut client, &restarted).await?;
                for p in restarted {
                    ctx.printer.info(targets::done(&p));
                    acted.push(p);
                }
                ctx.printer.info("Process successfully started");
                continue;
            }
        }
        let config = config_from_flags(target, &args.args, &ctx.options)?;
        let spec = ecosystem::resolve(&config, &resolve_context(current_dir()?, ctx))?;
        if ctx.options.write {
            write_configuration(ctx, target, &spec)?;
        }
        let (started, carried) = script(ctx, &mut client, spec, mode, last).await?;
        acted.extend(started);
        table = carried;
    }
    show::print_carried(ctx, &mut client, table).await?;
    if ctx.options.attach {
        super::logs::attach_after(ctx, &acted).await?;
    }
    Ok(())
}

/// Starts one script: `Starting <path> in fork_mode (1 instance)` and `Done.`, or, when the
/// daemon restarted the stopped app of that name and script instead, PM2's lines for that.
/// With `then_list`, the answer carries the table too (when it is still current).
async fn script(
    ctx: &Context,
    client: &mut Client,
    spec: AppSpec,
    mode: Mode,
    then_list: bool,
) -> Result<(Vec<ProcessInfo>, Option<super::Table>)> {
    let name = spec.name.clone();
    let before = same_name(client, std::slice::from_ref(&name)).await?;
    let starting = starting_line(&spec);
    let request = Request::Start {
        apps: vec![spec],
        force: ctx.options.force,
        existing: (mode != Mode::Start).then(|| mode.on_existing()),
    };
    let (answer, mut table) = super::ask_listing(client, request, then_list).await?;
    let after = processes(answer)?;
    if super::ready::wait_until_ready(client, &after).await? {
        table = None; // taken while they were still launching
    }
    let restarted = !after.is_empty()
        && after
            .iter()
            .all(|p| before.iter().any(|b| b.pm_id == p.pm_id));
    if !restarted {
        ctx.printer.info(starting);
        ctx.printer.info("Done.");
        return Ok((after, table));
    }
    let action = match mode {
        Mode::Start => Action::Restart,
        _ => mode.on_existing(),
    };
    ctx.printer.info(targets::applying(
        action.pm2_name(),
        &name,
        &Target::Name(name.clone()),
        &before,
    ));
    for p in &after {
        ctx.printer.info(targets::done(p));
    }
    ctx.printer.info("Process successfully started");
    Ok((after, table))
}

/// Starts an ecosystem file's apps (`start`, `startOrRestart`, `startOrReload`, and
/// `restart`/`reload` of a file) with PM2's `_startJson` lines: `Applying action ...` and a
/// `✓` per process for the apps that exist (restarted or reloaded with the file's
/// settings), then `Applications x, y not running, starting...` and `App [x] launched (n
/// instances)` for the others.
pub(super) async fn ecosystem(
    ctx: &Context,
    client: &mut Client,
    file: &str,
    mode: Mode,
) -> Result<Vec<ProcessInfo>> {
    let (apps, failed) = load_ecosystem(ctx, Path::new(file))?;
    if apps.is_empty() {
        bail!("{file}: no app of the file could start");
    }
    let action = mode.on_existing();
    let names: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
    let before = same_name(client, &names).await?;
    let of = |list: &[ProcessInfo], name: &str| -> Vec<ProcessInfo> {
        list.iter()
            .filter(|p| p.spec.name == name)
            .cloned()
            .collect()
    };
    let (existing, missing): (Vec<&String>, Vec<&String>) = names
        .iter()
        .partition(|name| before.iter().any(|p| &p.spec.name == *name));
    for name in &existing {
        let target = Target::Name(name.to_string());
        let procs = of(&before, name);
        ctx.printer
            .info(targets::applying(action.pm2_name(), name, &target, &procs));
    }
    let request = Request::Start {
        apps,
        force: ctx.options.force,
        existing: Some(action),
    };
    let after = processes(ask(client, request).await?)?;
    super::ready::wait_until_ready(client, &after).await?;
    for name in &existing {
        for p in of(&after, name) {
            ctx.printer.info(targets::done(&p));
        }
    }
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|n| n.as_str()).collect();
        // PM2 prints this warning on stdout.
        ctx.printer.text(format!(
            "[PM2][WARN] Applications {} not running, starting...",
            list.join(", ")
        ));
    }
    for name in &missing {
        let count = of(&after, name).len();
        ctx.printer
            .info(format!("App [{name}] launched ({count} instances)"));
    }
    if failed > 0 {
        // As PM2 (with its daemon running): a file whose apps did not all start fails.
        bail!("{file}: {failed} app(s) could not start (see above)");
    }
    Ok(after
        .into_iter()
        .filter(|p| names.contains(&p.spec.name))
        .collect())
}

/// The processes of exactly these app names (not of namespaces called so).
async fn same_name(client: &mut Client, names: &[String]) -> Result<Vec<ProcessInfo>> {
    let wanted: Vec<Target> = names.iter().cloned().map(Target::Name).collect();
    Ok(targets::lookup(client, wanted)
        .await?
        .into_iter()
        .filter(|p| names.contains(&p.spec.name))
        .collect())
}

/// Starts one app given as options (`pm2 serve`), resolved against the current folder;
/// returns the connection for what the command prints next.
pub async fn start_app(ctx: &Context, config: AppConfig) -> Result<crate::client::Client> {
    let mut client = ctx.client().await?;
    let context = resolve_context(current_dir()?, ctx);
    let spec = ecosystem::resolve(&config, &context)?;
    ctx.printer.info(starting_line(&spec));
    ask(
        &mut client,
        Request::Start {
            apps: vec![spec],
            force: false,
            existing: None,
        },
    )
    .await?;
    ctx.printer.info("Done.");
    Ok(client)
}

/// A word that may name a managed app or id rather than a file (`pm2 start api`, `pm2 start 0`).
fn is_app_reference(word: &str) -> bool {
    !word.contains('/') && !word.contains(' ') && Path::new(word).extension().is_none()
}

fn starting_line(spec: &AppSpec) -> String {
    let count = spec.instances;
    format!(
        "Starting {} in {} ({} instance{})",
        spec.exec_path.display(),
        spec.exec_mode.pm2_name(),
        count,
        if count == 1 { "" } else { "s" }
    )
}

fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().context("cannot read the current directory")
}

/// The caller's environment, which reaches the app as in PM2.
pub fn caller_env() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

fn resolve_context(cwd: PathBuf, ctx: &Context) -> ResolveContext {
    ResolveContext {
        cwd,
        caller_env: caller_env(),
        env_profile: ctx.options.env.clone(),
        home: ctx.home.clone(),
        cpus: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
    }
}

/// The file's apps resolved, and how many could not be (each reported on stderr).
fn load_ecosystem(ctx: &Context, path: &Path) -> Result<(Vec<AppSpec>, usize)> {
    let args = &ctx.options;
    let file = ecosystem::load(path)?;
    for warning in &file.warnings {
        ctx.printer.warn(warning);
    }
    let only: Option<Vec<&str>> = args
        .only
        .as_deref()
        .map(|list| list.split([',', ' ']).filter(|s| !s.is_empty()).collect());
    let dir = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or(current_dir()?);
    let context = resolve_context(dir, ctx);
    let watch_flags = watch_config(args)?;
    let mut specs = Vec::new();
    let mut failed = 0;
    for mut app in file.apps {
        if let (Some(only), Some(name)) = (&only, &app.name) {
            if !only.contains(&name.as_str()) {
                continue;
            }
        }
        if app.namespace.is_none() {
            app.namespace = args.namespace.clone();
        }
        apply_watch_flags(&mut app, &watch_flags);
        if args.append_env_to_name {
            app.append_env_to_name = Some(true);
        }
        if let Some(profile) = &args.env {
            if !app.env_profiles.contains_key(profile) {
                // PM2's warning (on stdout): the profile only applies where it is defined.
                ctx.printer.text(format!(
                    "[PM2][WARN] Environment [{profile}] is not defined in process file"
                ));
            }
        }
        let label = app.name.clone().unwrap_or_default();
        match ecosystem::resolve(&app, &context) {
            Ok(spec) => specs.push(spec),
            // As PM2: an app that cannot start is reported and the others start.
            Err(e) => {
                crate::output::error(format!("{}: app {label:?}: {e}", path.display()));
                failed += 1;
            }
        }
    }
    if specs.is_empty() && failed == 0 {
        bail!("{}: no app to start (check --only)", path.display());
    }
    Ok((specs, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_app_references_files_are_not() {
        assert!(is_app_reference("api"));
        assert!(is_app_reference("0"));
        assert!(!is_app_reference("app.js"));
        assert!(!is_app_reference("./a.out"));
        assert!(!is_app_reference("python3 -m http.server"));
    }
}
