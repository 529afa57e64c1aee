//! `stop`, `restart`, `reload`, `delete`, `reset`, `sendSignal`.

use anyhow::Result;
use pm2_protocol::{Action, ProcessInfo, Request, Target, WatchChange};

use super::start::caller_env;
use super::targets::{self, Word};
use super::{ask, ask_listing, is_not_found, processes, show, Context, Table};
use crate::args::TargetArgs;
use crate::client::Client;

/// PM2's reminder after a restart or reload without `--update-env`.
const IMMUTABLE: &str = "Use --update-env to update environment variables";

/// Applies a lifecycle verb to each target word in turn, as PM2 does: its lines for each,
/// then the table (not after `reload`, as PM2). The first word that names nothing stops the
/// command with exit 1; the words before it have been acted on.
pub async fn act(ctx: &Context, action: Action, args: TargetArgs) -> Result<()> {
    let options = &ctx.options;
    let words = targets::read(&args.targets, options.only.as_deref())?;
    let reloads = matches!(action, Action::Restart | Action::Reload);
    if reloads && options.env.is_some() && !words.iter().any(|w| matches!(w, Word::File { .. })) {
        anyhow::bail!("Using --env [env] without passing the ecosystem.config.js does not work");
    }
    let mut client = ctx.client().await?;
    // The table the last word's answer carried, printed as is: one round trip per word.
    let mut table = None;
    for (index, word) in words.iter().enumerate() {
        table = None;
        let last = index + 1 == words.len();
        match word {
            Word::File { path, .. } if reloads => {
                // PM2 restarts the file's apps with its new settings and starts missing ones.
                let mode = if action == Action::Reload {
                    super::start::Mode::StartOrReload
                } else {
                    super::start::Mode::StartOrRestart
                };
                super::start::ecosystem(ctx, &mut client, path, mode).await?;
            }
            Word::File { apps, .. } => file_apps(ctx, &mut client, action, apps).await?,
            Word::Target { text, target } => {
                if reloads && !options.update_env {
                    ctx.printer.text(IMMUTABLE);
                }
                if action == Action::Restart && options.watch.is_some() {
                    toggle_watch(&mut client, target).await?;
                }
                let update_env = options.update_env.then(caller_env);
                let attributes = if reloads {
                    super::start::attributes(options, &args.args)?
                } else {
                    None
                };
                let then_list = last && action != Action::Reload;
                let verb = Verb {
                    action,
                    update_env,
                    attributes,
                    then_list,
                };
                table = operate(ctx, &mut client, text, target, verb).await?;
            }
        }
    }
    if action != Action::Reload {
        show::print_carried(ctx, &mut client, table).await?;
    }
    if options.attach && action != Action::Delete {
        let acted = targets::lookup(&mut client, targets::flatten(&words)).await?;
        super::logs::attach_after(ctx, &acted).await?;
    }
    Ok(())
}

/// A verb for one target word, as the daemon is asked it.
struct Verb {
    action: Action,
    update_env: Option<std::collections::BTreeMap<String, String>>,
    attributes: Option<Box<pm2_protocol::Attributes>>,
    /// Ask for the table too (the last word of a verb that prints it).
    then_list: bool,
}

/// One target word: PM2's `_operate` (`Applying action ...`, a `✓` per process), in one
/// round trip: the daemon resolves the word, acts, and answers with what was acted on (and
/// the table, when asked and still current).
async fn operate(
    ctx: &Context,
    client: &mut Client,
    text: &str,
    target: &Target,
    verb: Verb,
) -> Result<Option<Table>> {
    let action = verb.action;
    let request = Request::Act {
        action,
        targets: vec![target.clone()],
        update_env: verb.update_env,
        attributes: verb.attributes,
    };
    let (answer, mut table) = match ask_listing(client, request, verb.then_list).await {
        Err(e) if is_not_found(&e) => return Err(targets::nothing_found(text, target)),
        answered => answered?,
    };
    let acted = processes(answer)?;
    if acted.is_empty() {
        return Err(targets::nothing_found(text, target));
    }
    if action != Action::Reset {
        ctx.printer
            .info(targets::applying(action.pm2_name(), text, target, &acted));
    }
    if matches!(action, Action::Restart | Action::Reload)
        && super::ready::wait_until_ready(client, &acted).await?
    {
        table = None; // taken while they were still launching
    }
    for p in acted {
        print_done(ctx, action, &p);
    }
    Ok(table)
}

/// `stop`/`delete`/`reset` of an ecosystem file: PM2's `actionFromJson`, a `✓` per process
/// of each app; apps of the file that are not running are skipped.
async fn file_apps(
    ctx: &Context,
    client: &mut Client,
    action: Action,
    apps: &[String],
) -> Result<()> {
    for app in apps {
        let ids: Vec<Target> = targets::lookup(client, vec![Target::Name(app.clone())])
            .await?
            .iter()
            .filter(|p| &p.spec.name == app)
            .map(|p| Target::Id(p.pm_id))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let request = Request::Act {
            action,
            targets: ids,
            update_env: None,
            attributes: None,
        };
        for p in processes(ask(client, request).await?)? {
            print_done(ctx, action, &p);
        }
    }
    Ok(())
}

fn print_done(ctx: &Context, action: Action, p: &ProcessInfo) {
    if action == Action::Reset {
        ctx.printer
            .info(format!("Resetting meta for process id {}", p.pm_id));
    } else {
        ctx.printer.info(targets::done(p));
    }
    if let (Action::Stop, Some(cron)) = (action, &p.spec.cron_restart) {
        // PM2's warning: the cron job goes on and will start the app again.
        ctx.printer.warn(format!(
            "App {} stopped but CRON RESTART is still UP {cron}",
            p.spec.name
        ));
    }
}

/// `pm2 restart <app> --watch`: watching is turned over before the restart, as PM2's
/// client does. A target that names nothing is left to the restart to report.
async fn toggle_watch(client: &mut Client, target: &Target) -> Result<()> {
    if targets::lookup(client, vec![target.clone()])
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let request = Request::Watch {
        targets: vec![target.clone()],
        change: WatchChange::Toggle,
    };
    ask(client, request).await?;
    Ok(())
}

/// `pm2 scale <app> <number|+N|-N>`.
pub async fn scale(ctx: &Context, name: String, number: String) -> Result<()> {
    let Some(to) = pm2_protocol::ScaleTo::parse(&number) else {
        anyhow::bail!("invalid number of processes {number:?}: expected N, +N or -N");
    };
    let mut client = ctx.client().await?;
    let request = Request::Scale {
        name: name.clone(),
        to,
    };
    let (answer, table) = ask_listing(&mut client, request, true).await?;
    let changed = processes(answer)?;
    // One round trip: the processes added or removed, and the table after. Added ones are
    // in it, removed ones are not.
    let after = table
        .as_ref()
        .map(|(rows, _)| rows.iter().filter(|p| p.spec.name == name).count())
        .unwrap_or_default();
    let grew = table.as_ref().is_some_and(|(rows, _)| {
        changed
            .iter()
            .all(|c| rows.iter().any(|r| r.pm_id == c.pm_id))
    });
    match (changed.is_empty(), grew) {
        (true, _) => ctx
            .printer
            .info(format!("{name} already has {after} processes")),
        (false, true) => ctx.printer.info("Scaling up application"),
        (false, false) => ctx.printer.info("Scaling down application"),
    }
    show::print_carried(ctx, &mut client, table).await
}

/// `pm2 sendSignal <signal> <targets...>`: PM2's two lines for each word, then the table.
pub async fn signal(ctx: &Context, signal: String, words: Vec<String>) -> Result<()> {
    let words = targets::read(&words, None)?;
    let mut client = ctx.client().await?;
    let mut table = None;
    for (index, word) in words.iter().enumerate() {
        let (kind, text) = match word {
            Word::Target {
                text,
                target: Target::Number(_) | Target::Id(_),
            } => ("id", text),
            Word::Target { text, .. } => ("name", text),
            Word::File { path, .. } => ("name", path),
        };
        ctx.printer
            .info(format!("Sending signal to process {kind} {text}"));
        let request = Request::Signal {
            signal: signal.clone(),
            targets: word.targets(),
        };
        let last = index + 1 == words.len();
        table = ask_listing(&mut client, request, last).await?.1;
        ctx.printer.text(format!(
            "successfully sent signal {signal} to process {kind} {text}"
        ));
    }
    show::print_carried(ctx, &mut client, table).await
}
