//! `pm2 save` / `dump`, `resurrect`, `cleardump`, `update`: the saved process list.

use anyhow::{Context as _, Result};
use pm2_protocol::dump::{backup_of, Dump, FORMAT};
use pm2_protocol::Request;

use super::{ask, processes, show, Context};

/// `pm2 save [--force]`.
pub async fn save(ctx: &Context, force: bool) -> Result<()> {
    let mut client = ctx.client().await?;
    let list = processes(ask(&mut client, Request::List).await?)?;
    if list.is_empty() && !force {
        ctx.printer
            .warn("PM2 is not managing any process, skipping save...");
        ctx.printer.warn("To force saving use: pm2 save --force");
        return Ok(());
    }
    ctx.printer.info("Saving current process list...");
    let path = ctx.home.dump_file();
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
        ctx.printer.info("No processes saved; dump file doesn't exist");
        return show::print_table(ctx, &mut client).await;
    }
    let dump = read_dump(ctx)?;
    let mut client = ctx.client().await?;
    ctx.printer.info("Resurrecting");
    ctx.printer.info(format!(
        "Restoring processes located in {}",
        ctx.home.dump_file().display()
    ));
    ask(&mut client, Request::Restore { apps: dump.apps }).await?;
    show::print_table(ctx, &mut client).await
}

/// `pm2 cleardump`.
pub fn cleardump(ctx: &Context) -> Result<()> {
    let path = ctx.home.dump_file();
    ctx.home.prepare()?;
    Dump {
        format: FORMAT.into(),
        apps: Vec::new(),
    }
    .write(&path)?;
    ctx.printer
        .info(format!("Successfully created {}", path.display()));
    Ok(())
}

/// `pm2 update`: save, stop the daemon, start the installed binary's daemon, resurrect.
///
/// The apps are restarted, as with PM2; handing the running processes and their pipes over
/// to the new daemon without a restart is not in this build yet, and the command says so.
pub async fn update(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    let list = processes(ask(&mut client, Request::List).await?)?;
    let path = ctx.home.dump_file();
    Dump::from_processes(&list).write(&path)?;
    drop(client);
    super::kill(ctx).await?;
    let mut client = ctx.client().await?;
    let dump = Dump::read(&path)?;
    ask(&mut client, Request::Restore { apps: dump.apps }).await?;
    ctx.printer.info(format!(
        "Daemon updated to {}; the {} process{} restarted (live hand-over not available in this build)",
        pm2_protocol::VERSION,
        list.len(),
        if list.len() == 1 { " was" } else { "es were" }
    ));
    show::print_table(ctx, &mut client).await
}
