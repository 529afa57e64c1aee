//! `stop`, `restart`, `reload`, `delete`, `reset`, `sendSignal`.

use std::path::Path;

use anyhow::Result;
use pm2_protocol::ecosystem;
use pm2_protocol::{Action, Request, Target};

use super::start::caller_env;
use super::{ask, processes, show, Context};
use crate::args::TargetArgs;

/// Reads target words: ecosystem files become the names of their apps.
fn targets(words: &[String], only: Option<&str>) -> Result<Vec<Target>> {
    let only: Option<Vec<&str>> =
        only.map(|l| l.split([',', ' ']).filter(|s| !s.is_empty()).collect());
    let mut targets = Vec::new();
    for word in words {
        let path = Path::new(word);
        if ecosystem::is_ecosystem_file(path) && path.exists() {
            for app in ecosystem::load(path)?.apps {
                let Some(name) = app.name.or_else(|| {
                    app.script.as_deref().and_then(|s| {
                        Path::new(s)
                            .file_stem()
                            .and_then(|n| n.to_str())
                            .map(str::to_string)
                    })
                }) else {
                    continue;
                };
                if only.as_ref().is_none_or(|o| o.contains(&name.as_str())) {
                    targets.push(Target::Name(name));
                }
            }
        } else {
            targets.push(Target::parse(word));
        }
    }
    Ok(targets)
}

/// Applies a lifecycle verb and prints PM2's lines and the table.
pub async fn act(ctx: &Context, action: Action, args: TargetArgs) -> Result<()> {
    let mut client = ctx.client().await?;
    let ecosystem_restart = matches!(action, Action::Restart | Action::Reload)
        && args
            .targets
            .iter()
            .any(|t| ecosystem::is_ecosystem_file(Path::new(t)));
    if ecosystem_restart {
        // PM2 restarts the apps of the file with its new settings and starts missing ones.
        let start_args = crate::args::StartArgs {
            targets: args.targets.clone(),
            only: args.only.clone(),
            env: args.env.clone(),
            update_env: true,
            ..Default::default()
        };
        let mode = if action == Action::Reload {
            super::start::Mode::StartOrReload
        } else {
            super::start::Mode::StartOrRestart
        };
        return super::start::start(ctx, start_args, mode).await;
    }
    if matches!(action, Action::Restart | Action::Reload) && !args.update_env {
        ctx.printer
            .text("Use --update-env to update environment variables");
    }
    let targets = targets(&args.targets, args.only.as_deref())?;
    let label: Vec<String> = targets.iter().map(ToString::to_string).collect();
    ctx.printer.info(format!(
        "Applying action {} on app [{}]",
        action.pm2_name(),
        label.join(", ")
    ));
    let done = processes(
        ask(
            &mut client,
            Request::Act {
                action,
                targets,
                update_env: args.update_env.then(caller_env),
            },
        )
        .await?,
    )?;
    for p in &done {
        ctx.printer
            .info(format!("[{}]({}) \u{2713}", p.spec.name, p.pm_id));
    }
    show::print_table(ctx, &mut client).await
}

/// `pm2 scale <app> <number|+N|-N>`.
pub async fn scale(ctx: &Context, name: String, number: String) -> Result<()> {
    let Some(to) = pm2_protocol::ScaleTo::parse(&number) else {
        anyhow::bail!("invalid number of processes {number:?}: expected N, +N or -N");
    };
    let mut client = ctx.client().await?;
    let before = processes(
        ask(
            &mut client,
            Request::Describe {
                targets: vec![pm2_protocol::Target::Name(name.clone())],
                allow_empty: true,
            },
        )
        .await?,
    )?
    .iter()
    .filter(|p| p.spec.name == name)
    .count() as u32;
    let after = to.from(before);
    ask(
        &mut client,
        Request::Scale {
            name: name.clone(),
            to,
        },
    )
    .await?;
    match after.cmp(&before) {
        std::cmp::Ordering::Greater => ctx.printer.info("Scaling up application"),
        std::cmp::Ordering::Less => ctx.printer.info("Scaling down application"),
        std::cmp::Ordering::Equal => ctx
            .printer
            .info(format!("{name} already has {after} processes")),
    }
    show::print_table(ctx, &mut client).await
}

/// `pm2 sendSignal <signal> <targets...>`.
pub async fn signal(ctx: &Context, signal: String, words: Vec<String>) -> Result<()> {
    let mut client = ctx.client().await?;
    let targets = targets(&words, None)?;
    let done = processes(
        ask(
            &mut client,
            Request::Signal {
                signal: signal.clone(),
                targets,
            },
        )
        .await?,
    )?;
    for p in &done {
        ctx.printer.info(format!(
            "successfully sent signal {signal} to process id {}",
            p.pm_id
        ));
    }
    Ok(())
}
