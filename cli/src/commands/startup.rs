//! `pm2 startup [platform]` and `pm2 unstartup [platform]`: install or remove the boot
//! script that runs `pm2 resurrect` at boot, printing what PM2 prints.
//!
//! Not root: print the one command to run as root (PM2's exit code 1, nothing touched).
//! Root: write the script from its template and run the init system's commands.
//! With `PM2_STARTUP_ROOT=<dir>` (ours, for tests and packaging) every file goes under
//! `<dir>` instead of `/`, no root is needed, and the init system's commands are printed,
//! never run: the machine is left alone.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value;

use super::Context;
use crate::args::StartupArgs;
use crate::output;
use crate::startup::service::{self, Environment};
use crate::startup::template::{Template, Values};
use crate::startup::{plan, Plan, Platform, Service, ServiceOptions, StartupError, Step};

/// The variable that puts every file under a directory and runs no command.
pub const ROOT_VAR: &str = "PM2_STARTUP_ROOT";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Setup,
    Unsetup,
}

impl Mode {
    fn command(self) -> &'static str {
        match self {
            Mode::Setup => "startup",
            Mode::Unsetup => "unstartup",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Mode::Setup => "setup",
            Mode::Unsetup => "unsetup",
        }
    }
}

/// `pm2 startup [platform] [-u user] [--hp home] [--service-name name] [--wait-ip]`.
pub fn startup(ctx: &Context, args: StartupArgs) -> Result<()> {
    run(ctx, args, Mode::Setup)
}

/// `pm2 unstartup [platform] [-u user] [--hp home] [--service-name name]`.
pub fn unstartup(ctx: &Context, args: StartupArgs) -> Result<()> {
    run(ctx, args, Mode::Unsetup)
}

fn run(ctx: &Context, args: StartupArgs, mode: Mode) -> Result<()> {
    let platform = choose_platform(ctx, args.platform.as_deref())?;
    let options = ServiceOptions {
        user: ctx.options.user.clone(),
        home: ctx.options.hp.clone(),
        service_name: ctx.options.service_name.clone(),
    };
    let env = Environment::current(Some(ctx.home.root.clone()));
    let service = service::resolve(platform, &options, &env, service::home_of)?;
    let binary = std::env::current_exe().map_err(StartupError::NoBinary)?;
    let root = startup_root(&env.cwd);
    if root.is_none() && !nix::unistd::geteuid().is_root() {
        print_root_command(ctx, mode, &service, &binary);
        return Err(StartupError::NotRoot.into());
    }
    let target = Target {
        root: root.clone().unwrap_or_else(|| PathBuf::from("/")),
        dry: root.is_some(),
    };
    match mode {
        Mode::Setup => install(ctx, &service, ctx.options.wait_ip, &binary, &target),
        Mode::Unsetup => uninstall(ctx, &service, &target),
    }
}

/// Where files go and whether commands run.
struct Target {
    root: PathBuf,
    /// `PM2_STARTUP_ROOT` is set: print the init system's commands instead of running them.
    dry: bool,
}

/// `PM2_STARTUP_ROOT`, made absolute; `None` when unset or empty.
fn startup_root(cwd: &Path) -> Option<PathBuf> {
    let dir = std::env::var_os(ROOT_VAR).filter(|d| !d.is_empty())?;
    Some(cwd.join(dir))
}

/// The named platform (checked before anything else), or the detected one; PM2's notice
/// when they differ.
fn choose_platform(ctx: &Context, given: Option<&str>) -> Result<Platform, StartupError> {
    let given = given.map(Platform::parse).transpose()?;
    let detected = Platform::detect();
    if let Some(found) = detected {
        ctx.printer.info(format!("Init System found: {found}"));
    }
    match (given, detected) {
        (Some(given), Some(found)) if given != found => {
            let rule = "-----------------------------------------------------------";
            ctx.printer.text(rule);
            ctx.printer
                .text(format!(" PM2 detected {found} but you precised {given}"));
            ctx.printer
                .text(" Please verify that your choice is indeed your init system");
            ctx.printer
                .text(" If you arent sure, just run : pm2 startup");
            ctx.printer.text(rule);
            Ok(given)
        }
        (Some(given), _) => Ok(given),
        (None, Some(found)) => Ok(found),
        (None, None) => Err(StartupError::NotFound),
    }
}

/// PM2's advice to a user who is not root: the exact command to paste.
fn print_root_command(ctx: &Context, mode: Mode, service: &Service, binary: &Path) {
    ctx.printer.info(format!(
        "To {} the Startup Script, copy/paste the following command:",
        mode.verb()
    ));
    let dir = binary.parent().unwrap_or(Path::new("/"));
    let mut line = format!(
        "sudo env PATH=$PATH:{} {} {} {} -u {} --hp {}",
        shell_quote(&dir.to_string_lossy()),
        shell_quote(&binary.to_string_lossy()),
        mode.command(),
        service.platform,
        shell_quote(&service.user),
        shell_quote(&service.home.to_string_lossy()),
    );
    if let Some(name) = &ctx.options.service_name {
        line.push_str(&format!(" --service-name {}", shell_quote(name)));
    }
    if ctx.options.wait_ip && mode == Mode::Setup {
        line.push_str(" --wait-ip");
    }
    // PM2 prints this line even with --silent: it is the command's whole point.
    output::emit(&line);
}

/// `value` as one shell word: unchanged when it is plain, else single-quoted.
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=%".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `PATH` for the daemon and its apps: the caller's, plus the binary's directory (PM2 adds
/// node's).
fn service_path(binary: &Path) -> String {
    let dir = binary.parent().unwrap_or(Path::new("/"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if !dirs.iter().any(|d| d == dir) {
        dirs.push(dir.to_path_buf());
    }
    dirs.retain(|d| !d.as_os_str().is_empty());
    std::env::join_paths(dirs)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| dir.to_string_lossy().into_owned())
}

fn install(
    ctx: &Context,
    service: &Service,
    wait_ip: bool,
    binary: &Path,
    target: &Target,
) -> Result<()> {
    let values = Values {
        pm2_path: binary.to_string_lossy().into_owned(),
        path: service_path(binary),
        user: service.user.clone(),
        pm2_home: service.pm2_home.to_string_lossy().into_owned(),
        service_name: service.name.clone(),
    };
    let text = Template::for_platform(service.platform, wait_ip).render(&values);
    let plan = plan::install(service, &target.root);
    let p = &ctx.printer;
    p.text(format!("Platform {}", service.platform));
    p.text("Template");
    p.text(&text);
    p.text("Target path");
    p.text(plan.destination.display());
    p.text("Command list");
    p.text(command_list(&plan));
    p.info(format!(
        "Writing init configuration in {}",
        plan.destination.display()
    ));
    write_script(&plan, &text)?;
    p.info("Making script booting at startup...");
    for step in &plan.steps {
        perform(ctx, step, target)?;
    }
    p.text("+---------------------------------------+");
    p.info("Freeze a process list on reboot via:");
    p.text("$ pm2 save");
    p.text("");
    p.info("Remove init script via:");
    p.text(format!("$ pm2 unstartup {}", service.platform));
    Ok(())
}

fn uninstall(ctx: &Context, service: &Service, target: &Target) -> Result<()> {
    let plan = plan::uninstall(service, &target.root);
    if !plan.destination.exists() {
        return Err(StartupError::NotInstalled {
            path: plan.destination,
            platform: service.platform,
        }
        .into());
    }
    for step in &plan.steps {
        perform(ctx, step, target)?;
    }
    ctx.printer.info("Init file disabled.");
    Ok(())
}

/// PM2 prints its command list as Node prints an array: `[ 'systemctl enable pm2-root' ]`.
fn command_list(plan: &Plan) -> String {
    let steps = plan
        .steps
        .iter()
        .map(|s| Value::String(s.to_string()))
        .collect();
    crate::render::inspect(&Value::Array(steps))
}

fn file_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StartupError {
    let path = path.to_path_buf();
    move |source| StartupError::File {
        action,
        path,
        source,
    }
}

/// Writes the boot script with its mode, creating its directory.
fn write_script(plan: &Plan, text: &str) -> Result<(), StartupError> {
    use std::os::unix::fs::PermissionsExt;
    let path = &plan.destination;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(file_error("cannot create", dir))?;
    }
    std::fs::write(path, text).map_err(file_error("cannot write", path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(plan.mode))
        .map_err(file_error("cannot chmod", path))
}

/// Performs one step and says so as PM2 does; with `PM2_STARTUP_ROOT`, commands are only
/// printed.
fn perform(ctx: &Context, step: &Step, target: &Target) -> Result<(), StartupError> {
    let p = &ctx.printer;
    if target.dry && step.is_command() {
        p.info(format!("[-] Not executing ({ROOT_VAR} is set): {step}"));
        return Ok(());
    }
    p.info(format!("[-] Executing: {step}..."));
    match step {
        Step::Touch(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(file_error("cannot create", dir))?;
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(file_error("cannot create", path))?;
        }
        Step::Remove(path) => {
            std::fs::remove_file(path).map_err(file_error("cannot remove", path))?;
        }
        Step::Run { argv, may_fail } => {
            if let Err(reason) = run_command(argv) {
                if *may_fail {
                    p.warn(format!("{step} failed ({reason}); going on"));
                    return Ok(());
                }
                return Err(StartupError::CommandFailed {
                    command: step.to_string(),
                    reason,
                });
            }
        }
    }
    p.info("[v] Command successfully executed.");
    Ok(())
}

/// Runs a program with the terminal's output; the reason it failed, if it did.
fn run_command(argv: &[String]) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let status = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(format!("exit code {code}")),
        None => Err(format!("{status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_plain_words() {
        assert_eq!(shell_quote("/usr/local/bin/pm2"), "/usr/local/bin/pm2");
        assert_eq!(shell_quote("pm2-app"), "pm2-app");
        assert_eq!(shell_quote("/home/a b"), "'/home/a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn service_path_ends_with_the_binary_directory_once() {
        let path = service_path(Path::new("/opt/pm2-test-dir/pm2"));
        assert!(
            path.ends_with(":/opt/pm2-test-dir") || path == "/opt/pm2-test-dir",
            "{path}"
        );
        assert_eq!(path.matches("/opt/pm2-test-dir").count(), 1, "{path}");
    }

    #[test]
    fn command_list_as_node_prints_it() {
        let plan = Plan {
            destination: PathBuf::from("/etc/systemd/system/pm2-root.service"),
            mode: 0o644,
            steps: vec![Step::Run {
                argv: vec!["systemctl".into(), "enable".into(), "pm2-root".into()],
                may_fail: false,
            }],
        };
        assert_eq!(command_list(&plan), "[ 'systemctl enable pm2-root' ]");
    }

    #[test]
    fn failing_commands_say_why() {
        assert_eq!(run_command(&["false".into()]), Err("exit code 1".into()));
        assert!(run_command(&["/nonexistent/tool".into()])
            .unwrap_err()
            .starts_with("cannot run /nonexistent/tool"));
        assert_eq!(run_command(&["true".into()]), Ok(()));
    }
}
