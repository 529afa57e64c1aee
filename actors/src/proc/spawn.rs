//! The OS side of a Proc: building the command, its own process group, signals, reaping.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Weak};

use nix::sys::signal::{kill as nix_kill, killpg, Signal};
use nix::unistd::Pid;
use pm2_protocol::AppSpec;
use tokio::process::{Child, Command};

use super::messages::ProcMsg;
use super::output::{pump, Stream};
use super::store::{PendingExit, ProcStore};
use crate::logsink::{LogSinkMsg, LogTarget};
use crate::supervision::LiveRef;

/// The environment PM2 gives a process: the caller's, the app's, then PM2's own variables.
pub fn environment(
    spec: &AppSpec,
    pm_id: u32,
    instance: u32,
    pm2_home: Option<&str>,
) -> BTreeMap<String, String> {
    let mut env = spec.base_env.clone();
    env.extend(spec.env.clone());
    env.insert("pm_id".into(), pm_id.to_string());
    env.insert("name".into(), spec.name.clone());
    env.insert("namespace".into(), spec.namespace.clone());
    env.insert(spec.instance_var.clone(), instance.to_string());
    if let Some(home) = pm2_home {
        env.insert("PM2_HOME".into(), home.to_string());
    }
    env
}

/// Starts the OS process in its own process group with piped output.
pub fn start(spec: &AppSpec, env: &BTreeMap<String, String>) -> std::io::Result<Child> {
    let mut command = match &spec.interpreter {
        Some(interpreter) => {
            // An absolute program lets std use posix_spawn (vfork) instead of fork + a PATH
            // walk of execve calls: a start costs a fraction of a millisecond.
            let program = pm2_protocol::ecosystem::find_in_path(interpreter, env)
                .unwrap_or_else(|| interpreter.into());
            let mut c = Command::new(program);
            c.args(&spec.interpreter_args).arg(&spec.exec_path);
            c
        }
        None => Command::new(&spec.exec_path),
    };
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    command.spawn()
}

/// Wires a started child: its output to the log sink, its exit to the store and the actor.
pub fn watch(
    mut child: Child,
    generation: u64,
    target: Arc<LogTarget>,
    store: &Arc<ProcStore>,
    sink: LiveRef<LogSinkMsg>,
) {
    let out = child
        .stdout
        .take()
        .map(|r| tokio::spawn(pump(r, Stream::Out, target.clone(), sink.clone())));
    let err = child
        .stderr
        .take()
        .map(|r| tokio::spawn(pump(r, Stream::Err, target, sink)));
    let store: Weak<ProcStore> = Arc::downgrade(store);
    tokio::spawn(async move {
        let status = child.wait().await;
        // Let the pipes drain so the last lines land before the exit is reported.
        for pump in [out, err].into_iter().flatten() {
            let _ = pump.await;
        }
        let Some(store) = store.upgrade() else { return };
        let actor = {
            let mut record = store.lock();
            if record.running.map(|(_, g)| g) == Some(generation) {
                record.running = None;
            }
            use std::os::unix::process::ExitStatusExt;
            let (code, signal) = match &status {
                Ok(s) => (s.code(), s.signal()),
                Err(_) => (None, None),
            };
            record.pending_exit = Some(PendingExit {
                generation,
                code,
                signal,
            });
            record.actor.clone()
        };
        if let Some(actor) = actor {
            let _ = actor.cast(ProcMsg::Exited(generation));
        }
    });
}

/// Sends `signal` to the process group (or only the pid without treekill). Errors are
/// ignored: the process may be gone already.
pub fn kill(pid: u32, signal: i32, group: bool) {
    let Ok(signal) = Signal::try_from(signal) else {
        return;
    };
    let pid = Pid::from_raw(pid as i32);
    if group && killpg(pid, signal).is_ok() {
        return;
    }
    let _ = nix_kill(pid, signal);
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
    fn signal_names_as_users_write_them() {
        assert_eq!(parse_signal("SIGINT"), Some(Signal::SIGINT as i32));
        assert_eq!(parse_signal("usr2"), Some(Signal::SIGUSR2 as i32));
        assert_eq!(parse_signal("9"), Some(9));
        assert_eq!(parse_signal("SIGNOPE"), None);
    }
}
