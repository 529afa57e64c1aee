//! One function per command; each returns an error for the one line the user sees.

mod completion;
mod conf;
mod export;
mod init;
mod logs;
mod manage;
mod persist;
mod ready;
mod report;
mod serve;
mod show;
mod start;
mod startup;
mod stdin;
mod targets;
mod watch;

use anyhow::{bail, Result};
use pm2_protocol::{Home, ProcessInfo, Request, Response};

use crate::args::{Cli, Command, Pm2Options};
use crate::client::{Client, ClientError};
use crate::output::Printer;
use crate::render::SortSpec;
use pm2_protocol::client::ClientError as SocketError;

/// What every command needs: where the daemon lives and how to print.
pub struct Context {
    /// `PM2_HOME`.
    pub home: Home,
    /// Output style.
    pub printer: Printer,
    /// `--sort`: the order of process lists (PM2's default when `None`).
    pub sort: Option<SortSpec>,
    /// `-m`: process lists as PM2's mini list.
    pub mini_list: bool,
    /// PM2's global flags, read by the commands they concern.
    pub options: Pm2Options,
}

impl Context {
    /// A conversation with the daemon, starting it when needed.
    pub async fn client(&self) -> Result<Client> {
        let client = if self.options.no_daemon {
            Client::connect_attached(&self.home).await?
        } else {
            Client::connect(&self.home, true).await?
        };
        if client.spawned_daemon {
            self.printer.info(format!(
                "Spawning PM2 daemon with pm2_home={}",
                self.home.root.display()
            ));
            self.printer.info("PM2 Successfully daemonized");
        }
        Ok(client)
    }
}

/// Sends one request; an error response becomes the command's error.
pub async fn ask(client: &mut Client, request: Request) -> Result<Response> {
    answered(client.request(request).await?)
}

/// An error answer as the command's error (a [`pm2_protocol::Failure`]).
fn answered(response: Response) -> Result<Response> {
    match response {
        Response::Error(failure) => Err(failure.into()),
        response => Ok(response),
    }
}

/// The table a command's answer carried ([`pm2_protocol::ClientFrame::ThenList`]), with
/// the host's vitals.
pub type Table = (Vec<ProcessInfo>, Option<pm2_protocol::HostVitals>);

/// Sends `request`, asking for the table in the same answer when `then_list` (the CLI
/// prints it after a command that changes it): the request's own answer, and the table
/// when it came. An error answer is the command's error (a [`pm2_protocol::Failure`]).
pub async fn ask_listing(
    client: &mut Client,
    request: Request,
    then_list: bool,
) -> Result<(Response, Option<Table>)> {
    let response = match then_list {
        true => client.request_then_list(request).await?,
        false => client.request(request).await?,
    };
    match answered(response)? {
        Response::WithTable {
            answer,
            table,
            vitals,
        } => Ok((*answer, Some((table, vitals)))),
        other => Ok((other, None)),
    }
}

/// True when `error` is the daemon saying a target names no process.
pub fn is_not_found(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<pm2_protocol::Failure>()
        .is_some_and(|f| f.kind == pm2_protocol::FailureKind::NotFound)
}

/// Expects a process list.
pub fn processes(response: Response) -> Result<Vec<ProcessInfo>> {
    match response {
        Response::Processes(list) => Ok(list),
        other => bail!("unexpected answer from the daemon: {other:?}"),
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Context {
        home: Home::from_env()?,
        // PM2_SILENT (any value, as PM2's determineSilentCLI) is -s for every command.
        printer: Printer::new(
            cli.silent || std::env::var_os("PM2_SILENT").is_some_and(|v| !v.is_empty()),
            cli.no_color,
        ),
        sort: cli.sort,
        mini_list: cli.mini_list,
        options: cli.options,
    };
    let Some(command) = cli.command else {
        bail!("no command given (see `pm2 --help`)");
    };
    // PM2's speedList: with --no-daemon, these commands go on streaming every log line
    // until the daemon (in this terminal) exits.
    let streams_after = ctx.options.no_daemon
        && matches!(
            command,
            Command::Start(_)
                | Command::StartOrRestart(_)
                | Command::StartOrReload(_)
                | Command::Stop(_)
                | Command::Restart(_)
                | Command::Reload(_)
                | Command::Delete(_)
        );
    run_command(&ctx, command).await?;
    if streams_after {
        logs::follow_daemon(&ctx).await?;
    }
    Ok(())
}

/// Runs one command.
async fn run_command(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Start(args) => start::start(ctx, args, start::Mode::Start).await,
        Command::StartOrRestart(args) => start::start(ctx, args, start::Mode::StartOrRestart).await,
        Command::StartOrReload(args) => start::start(ctx, args, start::Mode::StartOrReload).await,
        Command::Stop(args) => manage::act(ctx, pm2_protocol::Action::Stop, args).await,
        Command::Restart(args) => manage::act(ctx, pm2_protocol::Action::Restart, args).await,
        Command::Reload(args) => manage::act(ctx, pm2_protocol::Action::Reload, args).await,
        Command::Delete(args) => manage::act(ctx, pm2_protocol::Action::Delete, args).await,
        Command::Reset(args) => manage::act(ctx, pm2_protocol::Action::Reset, args).await,
        Command::SendSignal { signal, targets } => manage::signal(ctx, signal, targets).await,
        Command::List(args) => show::list(ctx, args).await,
        Command::Jlist => show::jlist(ctx).await,
        Command::Prettylist => show::prettylist(ctx).await,
        Command::Describe { targets } => show::describe(ctx, targets).await,
        Command::Pid { name } => show::pid(ctx, name).await,
        Command::Id { name } => show::id(ctx, name).await,
        Command::Ping => show::ping(ctx).await,
        Command::Env { id } => show::env(ctx, id).await,
        Command::Report => report::report(ctx).await,
        Command::Ecosystem { mode } => init::ecosystem(ctx, mode),
        Command::Completion { shell } => completion::completion(shell),
        Command::Send { target, line } => stdin::send(ctx, target, line).await,
        Command::Attach { target, separator } => stdin::attach(ctx, target, separator).await,
        Command::Serve(args) => serve::serve(ctx, args).await,
        Command::ServeRun(args) => crate::serve::run(args).await,
        Command::Logs(args) => logs::logs(ctx, args).await,
        Command::Monit => crate::monit::run(ctx.home.clone()).await,
        Command::Flush { targets } => logs::flush(ctx, targets).await,
        Command::ReloadLogs => logs::reload(ctx).await,
        Command::Scale { name, number } => manage::scale(ctx, name, number).await,
        Command::Kill => kill(ctx).await,
        Command::Save => persist::save(ctx, ctx.options.force).await,
        Command::Resurrect => persist::resurrect(ctx).await,
        Command::Cleardump => persist::cleardump(ctx),
        Command::Update => persist::update(ctx).await,
        Command::Set { key, value } => conf::set(ctx, key, value).await,
        Command::Get { key } => conf::get(ctx, key).await,
        Command::Unset { key } => conf::unset(ctx, key).await,
        Command::Conf {
            key: Some(key),
            value: Some(value),
        } => conf::set(ctx, key, value).await,
        Command::Conf { key, .. } => conf::conf(ctx, key).await,
        Command::Startup(args) => startup::startup(ctx, args),
        Command::Unstartup(args) => startup::unstartup(ctx, args),
        Command::Export(args) => export::export(ctx, args),
    }
}

/// `pm2 kill`: stops every app and the daemon.
pub async fn kill(ctx: &Context) -> Result<()> {
    let mut client = match Client::connect(&ctx.home, false).await {
        Ok(client) => client,
        Err(ClientError::Socket(SocketError::NotRunning(_))) => {
            ctx.printer.info("PM2 daemon is not running");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let pid = match ask(&mut client, Request::Ping).await? {
        Response::Pong { pid, .. } => pid,
        _ => 0,
    };
    // PM2's lines: its kill deletes `all` first (a warning when there is nothing).
    let all = processes(ask(&mut client, Request::List).await?)?;
    if all.is_empty() {
        ctx.printer.warn("No process found");
    } else {
        let target = pm2_protocol::Target::All;
        let line = targets::applying("deleteProcessId", "all", &target, &all);
        ctx.printer.info(line);
    }
    ask(&mut client, Request::Kill).await?;
    for p in &all {
        ctx.printer.info(targets::done(p));
    }
    ctx.printer.info("[v] All Applications Stopped");
    wait_for_exit(pid, &ctx.home).await;
    ctx.printer.info("[v] PM2 Daemon Stopped");
    Ok(())
}

/// Waits (bounded) until the old daemon is gone, so the next command starts a fresh one.
async fn wait_for_exit(pid: u32, home: &Home) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    // A daemon that exited but is not reaped yet is a zombie: gone for our purpose.
    let alive = || pid != 0 && pm2_protocol::procfs::running(pid);
    while (alive() || home.socket().exists()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
