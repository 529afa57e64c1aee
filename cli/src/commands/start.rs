//! `pm2 start`, `startOrRestart`, `startOrReload`: scripts, binaries, commands and
//! ecosystem files, resolved here against the caller's cwd, PATH and environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use pm2_protocol::ecosystem::{self, AppConfig, CombinedLog, FilterEnv, Instances, ResolveContext};
use pm2_protocol::units::{parse_duration_ms, parse_size_bytes};
use pm2_protocol::watch::parse_watch_delay_ms;
use pm2_protocol::WatchConfig;
use pm2_protocol::{Action, AppSpec, Attributes, ProcessInfo, Request, Target};

use super::{ask, processes, show, targets, Context};
use crate::args::{Pm2Options, StartArgs};
use crate::client::Client;

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
    for target in &args.targets {
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
        acted.extend(script(ctx, &mut client, spec, mode).await?);
    }
    show::print_table(ctx, &mut client).await?;
    if ctx.options.attach {
        super::logs::attach_after(ctx, &acted).await?;
    }
    Ok(())
}

/// `-w`/`--write`: the app's configuration as `<name>-pm2.json` in the current folder,
/// PM2's keys, to start it again from a file (`pm2 start <name>-pm2.json`).
fn write_configuration(ctx: &Context, script: &str, spec: &AppSpec) -> Result<()> {
    let path = current_dir()?.join(format!("{}-pm2.json", spec.name));
    ctx.printer
        .info(format!("Writing configuration to {}", path.display()));
    let mut env = spec.base_env.clone();
    env.extend(spec.env.clone());
    let mut conf = serde_json::json!({
        "script": script,
        "name": spec.name,
        "filter_env": [],
        "namespace": spec.namespace,
    });
    if !spec.args.is_empty() {
        conf["args"] = serde_json::json!(spec.args);
    }
    let rest = serde_json::json!({
        "env": env,
        "merge_logs": spec.merge_logs,
        "vizion": true,
        "autostart": spec.autostart,
        "autorestart": spec.autorestart,
        "watch": spec.watch.enabled,
        "instance_var": spec.instance_var,
        "pmx": true,
        "automation": true,
        "treekill": spec.treekill,
        "username": spec.run_as.as_ref().map_or_else(current_user, |r| r.user.clone()),
        "windowsHide": true,
        "kill_retry_time": 100,
        "write": true,
    });
    if let (Some(conf), serde_json::Value::Object(rest)) = (conf.as_object_mut(), rest) {
        conf.extend(rest);
    }
    for (key, value) in &spec.stored_options {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(value) {
            conf[key.as_str()] = value;
        }
    }
    let text = serde_json::to_string_pretty(&conf)?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The user this CLI runs as, for `username`.
fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".into())
}

/// One warning line for the Node/Keymetrics flags given: PM2 takes them, they mean nothing
/// here, and `jlist` shows them as PM2 stores them.
fn warn_node_internals(ctx: &Context) {
    let flags: Vec<String> = ctx
        .options
        .node_internals()
        .into_iter()
        .map(|(key, value)| match value {
            "false" => format!("--no-{key}"),
            _ => format!("--{}", key.replace('_', "-")),
        })
        .collect();
    if !flags.is_empty() {
        ctx.printer.warn(format!(
            "{} only mean something to Node and PM2's SaaS: stored in pm2_env, no effect",
            flags.join(", ")
        ));
    }
}

/// Starts one script: `Starting <path> in fork_mode (1 instance)` and `Done.`, or, when the
/// daemon restarted the stopped app of that name and script instead, PM2's lines for that.
async fn script(
    ctx: &Context,
    client: &mut Client,
    spec: AppSpec,
    mode: Mode,
) -> Result<Vec<ProcessInfo>> {
    let name = spec.name.clone();
    let before = same_name(client, std::slice::from_ref(&name)).await?;
    let starting = starting_line(&spec);
    let request = Request::Start {
        apps: vec![spec],
        force: ctx.options.force,
        existing: (mode != Mode::Start).then(|| mode.on_existing()),
    };
    let after = processes(ask(client, request).await?)?;
    super::ready::wait_until_ready(client, &after).await?;
    let restarted = !after.is_empty()
        && after
            .iter()
            .all(|p| before.iter().any(|b| b.pm_id == p.pm_id));
    if !restarted {
        ctx.printer.info(starting);
        ctx.printer.info("Done.");
        return Ok(after);
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
    Ok(after)
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

fn ms(flag: &str, value: &Option<String>) -> Result<Option<u64>> {
    value
        .as_deref()
        .map(|v| {
            parse_duration_ms(v).ok_or_else(|| {
                anyhow!("invalid {flag} value {v:?}: expected milliseconds or 10s/1m/1h")
            })
        })
        .transpose()
}

fn instances(value: &str) -> Result<Instances> {
    if value == "max" {
        return Ok(Instances::Max);
    }
    match value.parse::<i64>() {
        Ok(0) => Ok(Instances::Max),
        Ok(n) if n > 0 => Ok(Instances::Count(n as u32)),
        Ok(n) => Ok(Instances::AllBut(n.unsigned_abs() as u32)),
        Err(_) => bail!("invalid --instances value {value:?}: expected a number or \"max\""),
    }
}

fn words(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .map(|t| t.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The app options given as flags.
fn config_from_flags(script: &str, args: &[String], a: &Pm2Options) -> Result<AppConfig> {
    let mut interpreter_args = words(&a.interpreter_args);
    interpreter_args.extend(words(&a.node_args));
    Ok(AppConfig {
        name: a.name.clone(),
        script: Some(script.to_string()),
        args: args.to_vec(),
        interpreter: a.interpreter.clone(),
        // PM2's -x only means fork mode; the interpreter still follows the extension.
        exec_mode: a.execute_command.then_some(pm2_protocol::ExecMode::Fork),
        interpreter_args,
        cwd: a.cwd.clone(),
        instances: a.instances.as_deref().map(instances).transpose()?,
        namespace: a.namespace.clone(),
        autorestart: a.no_autorestart.then_some(false),
        autostart: a.no_autostart.then_some(false),
        max_restarts: a.max_restarts,
        min_uptime_ms: ms("--min-uptime", &a.min_uptime)?,
        restart_delay_ms: ms("--restart-delay", &a.restart_delay)?,
        exp_backoff_restart_delay_ms: ms(
            "--exp-backoff-restart-delay",
            &a.exp_backoff_restart_delay,
        )?,
        kill_timeout_ms: ms("--kill-timeout", &a.kill_timeout)?,
        stop_exit_codes: a.stop_exit_codes.clone(),
        out_file: a.output.clone(),
        error_file: a.error.clone(),
        log_file: a.log.as_deref().map(|path| {
            if path.is_empty() {
                CombinedLog::Default
            } else {
                CombinedLog::Path(path.to_string())
            }
        }),
        merge_logs: a.merge_logs.then_some(true),
        time: a.time.then_some(true),
        log_date_format: a.log_date_format.clone(),
        max_memory_restart: a
            .max_memory_restart
            .as_deref()
            .map(|v| {
                parse_size_bytes(v).ok_or_else(|| {
                    anyhow!(
                        "invalid --max-memory-restart value {v:?}: expected bytes or 512K/150M/1G"
                    )
                })
            })
            .transpose()?,
        force: a.force.then_some(true),
        append_env_to_name: a.append_env_to_name.then_some(true),
        watch: watch_config(a)?,
        cron_restart: a.cron_restart.clone(),
        wait_ready: a.wait_ready.then_some(true),
        listen_timeout_ms: ms("--listen-timeout", &a.listen_timeout)?,
        shutdown_with_message: a.shutdown_with_message.then_some(true),
        disable_logs: a.disable_logs.then_some(true),
        log_type: a.log_type.clone(),
        treekill: a.no_treekill.then_some(false),
        pid_file: a.pid.clone(),
        uid: a.uid.clone().or_else(|| a.user.clone()),
        gid: a.gid.clone(),
        filter_env: filter_env(a),
        stored_options: stored_options(a),
        ..AppConfig::default()
    })
}

/// The options of a restart or reload that change the app (PM2's
/// `_handleAttributeUpdate`): `--node-args`, `--max-memory-restart`, args after `--` ...
pub(super) fn attributes(a: &Pm2Options, args: &[String]) -> Result<Option<Box<Attributes>>> {
    let mut interpreter_args = a
        .interpreter_args
        .as_ref()
        .map(|_| words(&a.interpreter_args));
    if a.node_args.is_some() {
        interpreter_args
            .get_or_insert_with(Vec::new)
            .extend(words(&a.node_args));
    }
    let attributes = Attributes {
        interpreter_args,
        args: (!args.is_empty()).then(|| args.to_vec()),
        max_memory_restart: a
            .max_memory_restart
            .as_deref()
            .map(|v| {
                parse_size_bytes(v).ok_or_else(|| {
                    anyhow!(
                        "invalid --max-memory-restart value {v:?}: expected bytes or 512K/150M/1G"
                    )
                })
            })
            .transpose()?,
        kill_timeout_ms: ms("--kill-timeout", &a.kill_timeout)?,
        listen_timeout_ms: ms("--listen-timeout", &a.listen_timeout)?,
        restart_delay_ms: ms("--restart-delay", &a.restart_delay)?,
        exp_backoff_restart_delay_ms: ms(
            "--exp-backoff-restart-delay",
            &a.exp_backoff_restart_delay,
        )?,
        max_restarts: a.max_restarts,
        min_uptime_ms: ms("--min-uptime", &a.min_uptime)?,
        log_date_format: a
            .log_date_format
            .clone()
            .or_else(|| a.time.then(|| "YYYY-MM-DDTHH:mm:ss".to_string())),
        wait_ready: a.wait_ready.then_some(true),
        shutdown_with_message: a.shutdown_with_message.then_some(true),
    };
    Ok((!attributes.is_empty()).then(|| Box::new(attributes)))
}

/// `--filter-env [name]`: PM2 leaves out the caller's variables whose names contain one of
/// the given strings; given without a value, all of them.
fn filter_env(a: &Pm2Options) -> Option<FilterEnv> {
    let given = a.filter_env.as_ref()?;
    let names: Vec<String> = given.iter().filter(|n| !n.is_empty()).cloned().collect();
    Some(if names.is_empty() {
        FilterEnv::All
    } else {
        FilterEnv::Containing(names)
    })
}

/// What PM2 stores in `pm2_env` for flags that mean nothing here, as JSON text.
fn stored_options(a: &Pm2Options) -> BTreeMap<String, String> {
    let mut stored: BTreeMap<String, String> = a
        .node_internals()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(names) = &a.filter_env {
        let list: Vec<&String> = names.iter().filter(|n| !n.is_empty()).collect();
        let text = if list.is_empty() {
            "true".to_string()
        } else {
            serde_json::to_string(&list).unwrap_or_default()
        };
        stored.insert("filter_env".into(), text);
    }
    // Shown by jlist as PM2 shows them: only when given, and as given.
    let mut given = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            stored.insert(key.to_string(), value);
        }
    };
    given(
        "stop_exit_codes",
        match a.stop_exit_codes.as_slice() {
            [] => None,
            [one] => Some(one.to_string()),
            many => serde_json::to_string(many).ok(),
        },
    );
    given(
        "listen_timeout",
        a.listen_timeout
            .as_deref()
            .and_then(parse_duration_ms)
            .map(|ms| ms.to_string()),
    );
    given(
        "watch_delay",
        a.watch_delay
            .as_deref()
            .and_then(parse_watch_delay_ms)
            .map(|ms| ms.to_string()),
    );
    given("disable_logs", a.disable_logs.then(|| "true".to_string()));
    // PM2's command line always has `watch` (commander's default).
    given("watch", Some(a.watch.is_some().to_string()));
    stored
}

/// `--watch [paths]`, `--ignore-watch`, `--watch-delay`.
fn watch_config(a: &Pm2Options) -> Result<WatchConfig> {
    let paths = a.watch.as_ref().map(|list| {
        list.iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    });
    let ignore = (!a.ignore_watch.is_empty()).then(|| {
        a.ignore_watch
            .iter()
            .flat_map(|s| s.split([',', ' ']))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    let delay_ms = a
        .watch_delay
        .as_deref()
        .map(|v| {
            parse_watch_delay_ms(v).ok_or_else(|| {
                anyhow!("invalid --watch-delay value {v:?}: expected seconds (2, 1.5) or 500ms")
            })
        })
        .transpose()?;
    let extensions = a.ext.as_deref().map(|list| {
        list.split(',')
            .map(|e| e.trim().trim_start_matches('.').to_string())
            .filter(|e| !e.is_empty())
            .collect()
    });
    Ok(WatchConfig {
        paths,
        ignore,
        delay_ms,
        extensions,
        ..WatchConfig::default()
    })
}

/// `--watch` and its companions given with an ecosystem file apply to the apps that set no
/// watch options of their own, as in PM2.
fn apply_watch_flags(app: &mut AppConfig, flags: &WatchConfig) {
    if app.watch.paths.is_none() {
        app.watch.paths = flags.paths.clone();
    }
    if app.watch.ignore.is_none() {
        app.watch.ignore = flags.ignore.clone();
    }
    if app.watch.delay_ms.is_none() {
        app.watch.delay_ms = flags.delay_ms;
    }
    if app.watch.extensions.is_none() {
        app.watch.extensions = flags.extensions.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_counts_as_pm2_reads_them() {
        assert_eq!(instances("max").unwrap(), Instances::Max);
        assert_eq!(instances("0").unwrap(), Instances::Max);
        assert_eq!(instances("4").unwrap(), Instances::Count(4));
        assert_eq!(instances("-1").unwrap(), Instances::AllBut(1));
        assert!(instances("lots").is_err());
    }

    #[test]
    fn names_and_ids_are_app_references_files_are_not() {
        assert!(is_app_reference("api"));
        assert!(is_app_reference("0"));
        assert!(!is_app_reference("app.js"));
        assert!(!is_app_reference("./a.out"));
        assert!(!is_app_reference("python3 -m http.server"));
    }
}
