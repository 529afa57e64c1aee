//! The OS side of a Proc: building the command, its own process group, signals, reaping.

use std::collections::BTreeMap;
use std::os::fd::{OwnedFd, RawFd};
use std::process::Stdio;
use std::sync::{Arc, Weak};

use nix::sys::signal::{kill as nix_kill, killpg, Signal};
use nix::unistd::Pid;
use pm2_protocol::process::Pm2Variables;
use pm2_protocol::AppSpec;
use tokio::process::{Child, Command};

use super::messages::ProcMsg;
use super::output::{pump, Stream};
use super::store::{PendingExit, ProcRecord, ProcStore};
use crate::balancer::FIRST_FD;
use crate::logsink::{LogSinkMsg, LogTarget};
use crate::supervision::LiveRef;

/// The environment PM2 gives a process: the caller's, the app's, then PM2's own variables
/// ([`Pm2Variables`]: `pm_id`, `name`, `exec_mode`, the instance number ...).
pub fn environment(record: &ProcRecord, pm2_home: Option<&str>) -> BTreeMap<String, String> {
    let spec = &record.spec;
    let mut env = spec.base_env.clone();
    env.extend(spec.env.clone());
    let variables = Pm2Variables {
        spec,
        pm_id: record.pm_id,
        instance: record.instance,
        out_log: record.logs.out.as_deref(),
        err_log: record.logs.err.as_deref(),
        pid_file: &record.pid_file,
        restarts: (
            record.counters.restart_time,
            record.counters.unstable_restarts,
        ),
        times: (record.created_at, pm2_protocol::clock::now_ms()),
        username: &record.username,
    };
    env.extend(variables.variables());
    if let Some(var) = &spec.increment_var {
        // PM2 gives each new instance the last one's value + 1, from the app's own value.
        let base: i64 = spec
            .env
            .get(var)
            .or_else(|| spec.base_env.get(var))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        env.insert(var.clone(), (base + i64::from(record.instance)).to_string());
    }
    if let Some(home) = pm2_home {
        env.insert("PM2_HOME".into(), home.to_string());
    }
    env
}

/// Starts the OS process in its own process group with piped output and a stdin pipe,
/// whose write end is returned with it. `inherited` sockets become fds 3.. of the child,
/// with `LISTEN_PID` set to its pid (systemd's convention).
pub fn start(
    spec: &AppSpec,
    env: &BTreeMap<String, String>,
    inherited: &[RawFd],
) -> std::io::Result<(Child, OwnedFd)> {
    if inherited.len() > MAX_INHERITED {
        return Err(std::io::Error::other(format!(
            "{} descriptors to pass, at most {MAX_INHERITED}",
            inherited.len()
        )));
    }
    let (stdin_read, stdin_write) = super::stdin::pipe()?;
    let mut argv: Vec<std::ffi::OsString> = Vec::new();
    match &spec.interpreter {
        Some(interpreter) => {
            // An absolute program lets std use posix_spawn (vfork) instead of fork + a PATH
            // walk of execve calls: a start costs a fraction of a millisecond.
            let program = pm2_protocol::ecosystem::find_in_path(interpreter, env)
                .unwrap_or_else(|| interpreter.into());
            argv.push(program.into());
            argv.extend(spec.interpreter_args.iter().map(Into::into));
            argv.push(spec.exec_path.clone().into());
        }
        None => argv.push(spec.exec_path.clone().into()),
    }
    argv.extend(spec.args.iter().map(Into::into));
    let mut command = if inherited.is_empty() {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    } else {
        // `LISTEN_PID` must be the pid of the program that reads the sockets: a shell sets
        // it to its own pid and execs the program, which keeps that pid.
        let mut c = Command::new("/bin/sh");
        c.arg("-c")
            .arg("LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"")
            .args(&argv);
        let fds = inherited.to_vec();
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec.
        unsafe {
            c.pre_exec(move || place_fds(&fds));
        }
        c
    };
    command
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(env)
        .stdin(Stdio::from(stdin_read))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    if let Some(run_as) = &spec.run_as {
        // `uid`/`gid` (PM2's --uid/--gid/--user): the frontend checked the caller is root.
        command.uid(run_as.uid).gid(run_as.gid);
    }
    // The command (and with it the child's end of the stdin pipe) is dropped on return.
    Ok((command.spawn()?, stdin_write))
}

/// Most descriptors a process inherits (sockets and readiness channels): the child copies
/// them through a fixed array, as nothing may allocate between fork and exec.
pub const MAX_INHERITED: usize = 64;

/// Moves `fds` to 3, 4, ... in the child (through high numbers first, so no source is
/// overwritten before it is copied); the copies lose close-on-exec, the rest keep it. Runs
/// between fork and exec: no allocation, no lock, only fcntl and dup2 (async-signal-safe).
fn place_fds(fds: &[RawFd]) -> std::io::Result<()> {
    let mut high = [-1 as RawFd; MAX_INHERITED];
    if fds.len() > MAX_INHERITED {
        return Err(std::io::Error::from_raw_os_error(libc::EMFILE));
    }
    for (slot, &fd) in high.iter_mut().zip(fds) {
        // SAFETY: plain fcntl on a descriptor we own in the forked child.
        let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 1000) };
        if copy < 0 {
            return Err(std::io::Error::last_os_error());
        }
        *slot = copy;
    }
    for (i, &fd) in high[..fds.len()].iter().enumerate() {
        // SAFETY: dup2 onto the systemd numbering; the target is ours to replace.
        if unsafe { libc::dup2(fd, FIRST_FD + i as RawFd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Wires a started child: its output to the log sink, its exit to the store and the actor.
pub fn watch(
    mut child: Child,
    generation: u64,
    target: Arc<LogTarget>,
    store: &Arc<ProcStore>,
    sink: LiveRef<LogSinkMsg>,
) {
    if let (Some(out), Some(err)) = (&child.stdout, &child.stderr) {
        store.lock().pipes = super::handover::copy_pipes(out, err);
    }
    let out = child
        .stdout
        .take()
        .map(|r| tokio::spawn(pump(r, Stream::Out, target.clone(), sink.clone())));
    let err = child
        .stderr
        .take()
        .map(|r| tokio::spawn(pump(r, Stream::Err, target, sink)));
    let store: Weak<ProcStore> = Arc::downgrade(store);
    // The waiter belongs to the OS process, not to an actor incarnation: it must outlive a
    // Proc restart, so an exit is never lost (it lands in the record's `exits`).
    tokio::spawn(async move {
        let status = child.wait().await;
        // Let the pipes drain so the last lines land before the exit is reported.
        for pump in [out, err].into_iter().flatten() {
            let _ = pump.await;
        }
        use std::os::unix::process::ExitStatusExt;
        let (code, signal) = match &status {
            Ok(s) => (s.code(), s.signal()),
            Err(_) => (None, None),
        };
        report_exit(&store, generation, code, signal);
    });
}

/// Records an exit in the store (where the next incarnation finds it if the current one
/// is away) and tells the current actor incarnation.
pub fn report_exit(
    store: &Weak<ProcStore>,
    generation: u64,
    code: Option<i32>,
    signal: Option<i32>,
) {
    let Some(store) = store.upgrade() else { return };
    let actor = {
        // The one write of a waiter: the exit it saw. The actor handles the rest.
        let mut record = store.lock();
        record.exits.push(PendingExit {
            generation,
            code,
            signal,
        });
        record.actor.clone()
    };
    if let Some(actor) = actor {
        let _ = actor.cast(ProcMsg::Exited(generation));
    }
}

/// Sends `signal` to the process group (or only the pid without treekill). Errors are
/// ignored: the process may be gone already.
pub fn kill(pid: u32, signal: i32, group: bool) {
    if !signallable(pid) {
        return;
    }
    let Ok(signal) = Signal::try_from(signal) else {
        return;
    };
    let pid = Pid::from_raw(pid as i32);
    if group && killpg(pid, signal).is_ok() {
        return;
    }
    let _ = nix_kill(pid, signal);
}

/// False for what the kernel would not read as one process: 0 means "my own process group"
/// and a negative pid a group or "every process", so a pid not known is never signalled.
fn signallable(pid: u32) -> bool {
    pid != 0 && pid <= i32::MAX as u32
}

/// Reads a signal name (`SIGINT`, `INT`, `sigterm`) or number.
pub fn parse_signal(name: &str) -> Option<i32> {
    if let Ok(number) = name.parse::<i32>() {
        return Signal::try_from(number).ok().map(|s| s as i32);
    }
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    full.parse::<Signal>().ok().map(|s| s as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_pid_is_never_signalled() {
        assert!(
            !signallable(0),
            "killpg(0) would signal the daemon's own group"
        );
        assert!(!signallable(u32::MAX), "it would be -1: every process");
        assert!(signallable(1234));
    }

    #[test]
    fn signal_names_as_users_write_them() {
        assert_eq!(parse_signal("SIGINT"), Some(Signal::SIGINT as i32));
        assert_eq!(parse_signal("usr2"), Some(Signal::SIGUSR2 as i32));
        assert_eq!(parse_signal("9"), Some(9));
        assert_eq!(parse_signal("SIGNOPE"), None);
    }
}
