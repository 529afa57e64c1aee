//! `ls`, `jlist`, `prettylist`, `describe`, `env`, `pid`, `id`, `ping`.

use anyhow::Result;
use pm2_protocol::clock::now_ms;
use pm2_protocol::{HostVitals, ProcessInfo, Request, Response};

use super::targets::{self, Word};
use super::{ask, processes, Context};
use crate::args::ListArgs;
use crate::client::Client;
use crate::output::{emit, Verbatim};
use crate::render;

/// Prints the process table (after commands that change it, as PM2 does).
pub async fn print_table(ctx: &Context, client: &mut Client) -> Result<()> {
    if ctx.printer.silent {
        return Ok(());
    }
    let text = listing(ctx, client, crate::terminal::columns()).await?;
    // An empty mini list prints nothing, as PM2's.
    if !text.is_empty() {
        emit(&text);
    }
    Ok(())
}

/// Prints the table a command's answer carried ([`super::ask_listing`]), the same text as
/// [`print_table`] without asking the daemon again; asks when none came.
pub async fn print_carried(
    ctx: &Context,
    client: &mut Client,
    table: Option<super::Table>,
) -> Result<()> {
    let Some((rows, vitals)) = table else {
        return print_table(ctx, client).await;
    };
    if ctx.printer.silent {
        return Ok(());
    }
    let text = render_listing(ctx, &rows, vitals.as_ref(), crate::terminal::columns());
    if !text.is_empty() {
        emit(&text);
    }
    Ok(())
}

/// What `pm2 ls` prints, for a terminal `columns` wide (`None`: not a terminal): the table,
/// or the mini list with `-m`, in `--sort` order. `pm2 ls --watch` redraws this text.
pub async fn listing(ctx: &Context, client: &mut Client, columns: Option<usize>) -> Result<String> {
    // The listing shows no environment: the rows come without one (cheaper each second of
    // `--watch`, and for the daemon).
    let list = processes(ask(client, Request::ListBrief).await?)?;
    let vitals = match ctx.mini_list {
        false => match ask(client, Request::Vitals).await {
            Ok(Response::Vitals(vitals)) => vitals,
            _ => None,
        },
        true => None,
    };
    Ok(render_listing(ctx, &list, vitals.as_ref(), columns))
}

/// The table (or mini list) of `rows`, with the host line under it while `pm2:sysmonit`
/// is on, as PM2's.
fn render_listing(
    ctx: &Context,
    rows: &[ProcessInfo],
    vitals: Option<&HostVitals>,
    columns: Option<usize>,
) -> String {
    let style = render::ListStyle {
        sort: ctx.sort,
        mini: ctx.mini_list,
        color: ctx.printer.color,
        columns,
    };
    let mut text = render::list(rows, now_ms(), &style);
    if let (false, Some(vitals)) = (ctx.mini_list, vitals) {
        let host = render::this_host();
        let line = render::host_line(vitals, &host, ctx.printer.color, columns);
        text.push('\n');
        text.push_str(&line);
    }
    text
}

/// `pm2 ls [--watch]`.
pub async fn list(ctx: &Context, args: ListArgs) -> Result<()> {
    let ListArgs {} = args;
    // `-w` is PM2's global `--write`, which means nothing to `ls`: both redraw, as before.
    if ctx.options.watch.is_some() || ctx.options.write {
        return super::watch::watch(ctx).await;
    }
    let mut client = ctx.client().await?;
    print_table(ctx, &mut client).await
}

/// `pm2 jlist`.
pub async fn jlist(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    let list = processes(ask(&mut client, Request::List).await?)?;
    emit(&render::jlist(&list, now_ms()).to_string());
    Ok(())
}

/// `pm2 prettylist`.
pub async fn prettylist(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    let list = processes(ask(&mut client, Request::List).await?)?;
    emit(&render::prettylist(&list, now_ms()));
    Ok(())
}

/// `pm2 describe <targets>`: each word in turn; one naming nothing ends the command with
/// PM2's `[PM2][WARN] x doesn't exist` (exit 1).
pub async fn describe(ctx: &Context, words: Vec<String>) -> Result<()> {
    let words = targets::read(&words, None)?;
    let mut client = ctx.client().await?;
    for word in &words {
        let list = targets::lookup(&mut client, word.targets()).await?;
        if list.is_empty() {
            let text = match word {
                Word::Target { text, .. } => text,
                Word::File { path, .. } => path,
            };
            return Err(Verbatim(format!("[PM2][WARN] {text} doesn't exist")).into());
        }
        for p in &list {
            emit(render::describe(p, now_ms(), ctx.printer.color).trim_end_matches('\n'));
        }
    }
    Ok(())
}

/// `pm2 env <id>`: the process's environment as PM2 lists it. A number is an id, strictly,
/// as in PM2; a name is ours (every process of the app).
pub async fn env(ctx: &Context, id: String) -> Result<()> {
    let mut client = ctx.client().await?;
    let wanted = match id.parse::<u32>() {
        Ok(n) => vec![pm2_protocol::Target::Id(n)],
        // A name, namespace, regex or ecosystem file, as elsewhere.
        Err(_) => targets::flatten(&targets::read(std::slice::from_ref(&id), None)?),
    };
    let list = targets::lookup(&mut client, wanted).await?;
    if list.is_empty() {
        anyhow::bail!("Modules with id {id} not found");
    }
    for p in &list {
        emit(&render::env_listing(p, ctx.printer.color));
    }
    Ok(())
}

async fn named(
    client: &mut Client,
    name: Option<String>,
) -> Result<Vec<pm2_protocol::ProcessInfo>> {
    match name {
        Some(name) => {
            let words = targets::read(&[name], None)?;
            targets::lookup(client, targets::flatten(&words)).await
        }
        None => processes(ask(client, Request::List).await?),
    }
}

/// `pm2 pid [name]`: one pid per line, 0 when not running.
pub async fn pid(ctx: &Context, name: Option<String>) -> Result<()> {
    let mut client = ctx.client().await?;
    let pids: Vec<String> = named(&mut client, name)
        .await?
        .iter()
        .map(|p| p.pid.unwrap_or(0).to_string())
        .collect();
    // As PM2: the pids joined by newlines, so an unknown name prints one empty line.
    emit(&pids.join("\n"));
    Ok(())
}

/// `pm2 id <name>`: the ids as PM2 prints them (`[ 0, 1 ]`).
pub async fn id(ctx: &Context, name: String) -> Result<()> {
    let mut client = ctx.client().await?;
    let ids: Vec<serde_json::Value> = named(&mut client, Some(name))
        .await?
        .iter()
        .map(|p| p.pm_id.into())
        .collect();
    emit(&render::inspect(&serde_json::Value::Array(ids)));
    Ok(())
}

/// `pm2 ping`.
pub async fn ping(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    match ask(&mut client, Request::Ping).await? {
        Response::Pong { .. } => emit("{ msg: 'pong' }"),
        other => anyhow::bail!("unexpected answer to ping: {other:?}"),
    }
    Ok(())
}
