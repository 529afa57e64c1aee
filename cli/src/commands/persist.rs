//! `pm2 save` / `dump`, `resurrect`, `cleardump`, `update`: the saved process list.

use anyhow::{Context as _, Result};
use pm2_protocol::dump::{backup_of, Dump, FORMAT};
use pm2_protocol::Request;

use super::{ask, processes, show, Context};

/// `pm2 save [--force]`.
pub async fn save(ctx: &Context, force: bool) -> Result<()> {
    let mut client = ctx.client().await?;
    ctx.printer.info("Saving current process list...");
    let list = processes(ask(&mut client, Request::List).await?)?;
    let path = ctx.home.dump_file();
    // As PM2 (lib/API/Startup.js dump): an empty list does not replace a saved one unless
    // forced (`--force` or `FORCE` in the environment); the warnings go to stdout, exit 0.
    if list.is_empty() && !force && std::env::var_os("FORCE").is_none() {
        if !path.exists() {
            // PM2 creates the empty dump when there is none (its fix for `pm2 update`).
            ctx.home.prepare()?;
            empty_dump().write(&path)?;
        }
        ctx.printer
            .warn_out("PM2 is not managing any process, skipping save...");
        ctx.printer
            .warn_out("To force saving use: pm2 save --force");
        return Ok(());
    }
    Dump::from_processes(&list).write(&path)?;
    ctx.printer
        .info(format!("Successfully saved in {}", path.display()));
    Ok(())
}

/// Reads the dump, or its backup (with a warning) when the dump is unreadable.
fn read_dump(ctx: &Context) -> Result<Dump> {
    let path = ctx.home.dump_file();
    match Dump::read(&path) {
        Ok(dump) => Ok(dump),
        Err(e) => {
            let backup = backup_of(&path);
            let dump = Dump::read(&backup).with_context(|| format!("{e}; and the backup"))?;
            ctx.printer.warn(format!(
                "{e}: restoring the previous list from {}",
                backup.display()
            ));
            Ok(dump)
        }
    }
}

/// `pm2 resurrect`.
pub async fn resurrect(ctx: &Context) -> Result<()> {
    let path = ctx.home.dump_file();
    if !path.exists() && !backup_of(&path).exists() {
        // As PM2: nothing saved is not an error (a boot before the first `pm2 save`).
        let mut client = ctx.client().await?;
        ctx.printer
            .info("No processes saved; dump file doesn't exist");
        return show::print_table(ctx, &mut client).await;
    }
    let dump = read_dump(ctx)?;
    let mut client = ctx.client().await?;
    ctx.printer.info("Resurrecting");
    ctx.printer.info(format!(
        "Restoring processes located in {}",
        ctx.home.dump_file().display()
    ));
    let restore = Request::Restore { apps: dump.apps };
    let (_, table) = super::ask_listing(&mut client, restore, true).await?;
    show::print_carried(ctx, &mut client, table).await
}

/// A dump with no app (what `cleardump` writes).
fn empty_dump() -> Dump {
    Dump {
        format: FORMAT.into(),
        apps: Vec::new(),
    }
}

/// `pm2 cleardump`.
pub fn cleardump(ctx: &Context) -> Result<()> {
    let path = ctx.home.dump_file();
    ctx.home.prepare()?;
    empty_dump().write(&path)?;
    ctx.printer
        .info(format!("Successfully created {}", path.display()));
    Ok(())
}

/// `pm2 update`: the daemon re-executes the installed binary and the new daemon adopts
/// every process (same pids, same pipes, same sockets). If that cannot be done, fall back
/// to PM2's way: save, stop the daemon, start the new one, resurrect; and say so.
pub async fn update(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    let before = processes(ask(&mut client, Request::List).await?)?;
    let running: Vec<(u32, Option<u32>)> = before.iter().map(|p| (p.pm_id, p.pid)).collect();
    match ask(&mut client, Request::Update).await {
        Ok(_) => {
            drop(client);
            let mut client = wait_for_new_daemon(ctx).await?;
            let after = processes(ask(&mut client, Request::List).await?)?;
            let kept = after
                .iter()
                .filter(|p| p.pid.is_some() && running.contains(&(p.pm_id, p.pid)))
                .count();
            ctx.printer.info(format!(
                "Daemon updated to {} in place: {kept} running process{} kept (same pids), none restarted",
                pm2_protocol::VERSION,
                if kept == 1 { "" } else { "es" }
            ));
            show::print_table(ctx, &mut client).await
        }
        Err(e) => {
            ctx.printer.warn(format!(
                "live hand-over not possible ({e}): saving, restarting the daemon and resurrecting"
            ));
            let path = ctx.home.dump_file();
            Dump::from_processes(&before).write(&path)?;
            drop(client);
            super::kill(ctx).await?;
            let mut client = ctx.client().await?;
            let dump = Dump::read(&path)?;
            ask(&mut client, Request::Restore { apps: dump.apps }).await?;
            ctx.printer.info(format!(
                "Daemon updated to {}; the {} process{} restarted",
                pm2_protocol::VERSION,
                before.len(),
                if before.len() == 1 { " was" } else { "es were" }
            ));
            show::print_table(ctx, &mut client).await
        }
    }
}

/// Waits (bounded) until the re-executed daemon answers on the socket again.
async fn wait_for_new_daemon(ctx: &Context) -> Result<crate::client::Client> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        // The old socket answers until the exec; the new daemon binds it again.
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        if let Ok(mut client) = crate::client::Client::connect(&ctx.home, false).await {
            if matches!(
                ask(&mut client, Request::Ping).await,
                Ok(pm2_protocol::Response::Pong { .. })
            ) {
                return Ok(client);
            }
        }
        if std::time::Instant::now() >= deadline {
            anyhow::bail!(
                "the updated daemon did not answer within 15 s; see {}",
                ctx.home.daemon_log().display()
            );
        }
    }
}
