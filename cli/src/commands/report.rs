//! `pm2 report`: PM2's diagnostic report to paste in an issue — the daemon, this CLI, the
//! system, the process list and the daemon's last log lines, in PM2's `fmt` layout.

use std::path::Path;

use anyhow::Result;
use pm2_protocol::{Request, Response};

use super::{ask, show, Context};
use crate::output::emit;

/// Width of PM2's `fmt` separators.
const WIDTH: usize = 79;
/// Lines of `pm2.log` shown, as PM2.
const LOG_LINES: usize = 20;

/// `--- title -----...`, 79 columns.
fn title(text: &str) -> String {
    let head = format!("--- {text} ");
    let dashes = WIDTH.saturating_sub(head.chars().count());
    format!("{head}{}", "-".repeat(dashes))
}

fn sep() -> String {
    "=".repeat(WIDTH)
}

/// `key                  : value`, keys padded to 20 as PM2's `fmt.field`.
fn field(key: &str, value: impl std::fmt::Display) -> String {
    format!("{key:<20} : {value}")
}

/// `pm2 report`.
pub async fn report(ctx: &Context) -> Result<()> {
    let mut client = ctx.client().await?;
    let (pid, version) = match ask(&mut client, Request::Ping).await? {
        Response::Pong { pid, version } => (pid, version),
        other => anyhow::bail!("unexpected answer to ping: {other:?}"),
    };
    let mut out = vec![String::new(), String::new(), String::new(), "```".into()];
    out.push(title("PM2 report"));
    out.push(field(
        "Date",
        pm2_protocol::timestamp::format_now("YYYY-MM-DD HH:mm:ss Z"),
    ));
    out.push(sep());
    out.push(title("Daemon"));
    out.extend(daemon_fields(ctx, pid, &version));
    out.push(sep());
    out.push(title("CLI"));
    out.extend(cli_fields());
    out.push(sep());
    out.push(title("System info"));
    out.extend(system_fields());
    out.push(sep());
    out.push(title("PM2 list"));
    out.push(show::listing(ctx, &mut client, None).await?);
    out.push(sep());
    out.push(title("Daemon logs"));
    out.extend(daemon_log(&ctx.home.daemon_log()));
    out.push("```".into());
    out.push(String::new());
    out.push(String::new());
    out.push("Please copy/paste the above report in your issue".into());
    out.push(String::new());
    emit(&out.join("\n"));
    Ok(())
}

/// The daemon as the kernel sees it (`/proc/<pid>`), with its version and home.
fn daemon_fields(ctx: &Context, pid: u32, version: &str) -> Vec<String> {
    let proc_dir = Path::new("/proc").join(pid.to_string());
    let exe = std::fs::read_link(proc_dir.join("exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "not found".into());
    let argv = std::fs::read(proc_dir.join("cmdline"))
        .map(|raw| {
            raw.split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let status = std::fs::read_to_string(proc_dir.join("status")).unwrap_or_default();
    let id_of = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .unwrap_or("unknown")
            .to_owned()
    };
    // The pid file is written when the daemon starts.
    let uptime = std::fs::metadata(ctx.home.pid_file())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map(|d| format!("{}min", d.as_secs() / 60))
        .unwrap_or_else(|| "unknown".into());
    vec![
        field("pm2d version", version),
        field("pid", pid),
        field("pm2 home", ctx.home.root.display()),
        field("binary", exe),
        field("argv", argv),
        field("uid", id_of("Uid:")),
        field("gid", id_of("Gid:")),
        field("uptime", uptime),
    ]
}

/// This command line process.
fn cli_fields() -> Vec<String> {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "not found".into());
    let user = ["USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .unwrap_or_else(|| "undefined".into());
    vec![
        field("local pm2", pm2_protocol::VERSION),
        field("binary", exe),
        field("argv", std::env::args().collect::<Vec<_>>().join(",")),
        field("user", user),
        field("uid", nix::unistd::geteuid()),
        field("gid", nix::unistd::getegid()),
    ]
}

/// The machine, from sysinfo: OS, kernel, cpus, memory.
fn system_fields() -> Vec<String> {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, System};
    let unknown = || "unknown".to_owned();
    let mut fields = vec![
        field("arch", std::env::consts::ARCH),
        field("platform", std::env::consts::OS),
        field(
            "os",
            System::long_os_version().unwrap_or_else(|_| unknown()),
        ),
        field(
            "kernel",
            System::kernel_version().unwrap_or_else(|_| unknown()),
        ),
    ];
    match System::new() {
        Ok(mut system) => {
            system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
            system.refresh_cpu_list(CpuRefreshKind::nothing());
            let cpu = system
                .cpus()
                .first()
                .map(|c| c.brand().trim().to_owned())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(unknown);
            fields.extend([
                field("cpus", cpu),
                field("cpus nb", system.cpus().len()),
                field("freemem", system.available_memory()),
                field("totalmem", system.total_memory()),
            ]);
        }
        Err(e) => fields.push(field("cpus", format!("unknown ({e})"))),
    }
    fields.push(field(
        "home",
        std::env::var("HOME").unwrap_or_else(|_| unknown()),
    ));
    fields
}

/// The last lines of the daemon's log, prefixed as PM2's `Log.tail` prints them.
fn daemon_log(path: &Path) -> Vec<String> {
    let mut out = vec![format!("{} last {LOG_LINES} lines:", path.display())];
    match pm2_protocol::tail::last_lines(path, LOG_LINES) {
        Ok(lines) => out.extend(
            lines
                .iter()
                .map(|l| format!("PM2        | {}", String::from_utf8_lossy(l))),
        ),
        Err(e) => out.push(format!("cannot read it: {e}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pm2_fmt_layout() {
        assert_eq!(title("Daemon").len(), 79);
        assert!(title("Daemon").starts_with("--- Daemon ---"));
        assert_eq!(
            field("pm2d version", "7.0.4"),
            "pm2d version         : 7.0.4"
        );
        assert_eq!(sep(), "=".repeat(79));
    }
}
