//! `pm2 start`'s flags turned into an app's options ([`AppConfig`]), a restart's options
//! ([`Attributes`]), and what PM2 shows of them in `pm2_env`; `--write` and the warning for
//! Node/Keymetrics internals.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context as _, Result};
use pm2_protocol::ecosystem::{AppConfig, CombinedLog, FilterEnv, Instances};
use pm2_protocol::units::{parse_duration_ms, parse_size_bytes};
use pm2_protocol::watch::parse_watch_delay_ms;
use pm2_protocol::{AppSpec, Attributes, WatchConfig};

use super::current_dir;
use crate::args::Pm2Options;
use crate::commands::Context;

/// `-w`/`--write`: the app's configuration as `<name>-pm2.json` in the current folder,
/// PM2's keys, to start it again from a file (`pm2 start <name>-pm2.json`).
pub(super) fn write_configuration(ctx: &Context, script: &str, spec: &AppSpec) -> Result<()> {
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
pub(super) fn warn_node_internals(ctx: &Context) {
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

/// `--max-memory-restart` in bytes.
fn memory_limit(a: &Pm2Options) -> Result<Option<u64>> {
    a.max_memory_restart
        .as_deref()
        .map(|v| {
            parse_size_bytes(v).ok_or_else(|| {
                anyhow!("invalid --max-memory-restart value {v:?}: expected bytes or 512K/150M/1G")
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
pub(super) fn config_from_flags(
    script: &str,
    args: &[String],
    a: &Pm2Options,
) -> Result<AppConfig> {
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
        max_memory_restart: memory_limit(a)?,
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
pub(in crate::commands) fn attributes(
    a: &Pm2Options,
    args: &[String],
) -> Result<Option<Box<Attributes>>> {
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
        max_memory_restart: memory_limit(a)?,
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
pub(super) fn watch_config(a: &Pm2Options) -> Result<WatchConfig> {
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
pub(super) fn apply_watch_flags(app: &mut AppConfig, flags: &WatchConfig) {
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
}
