//! Handing running processes to a successor daemon (`pm2 update`) and adopting them.
//!
//! The daemon re-executes itself (same pid, so the apps stay its children); the read ends
//! of each app's stdout/stderr pipes survive `exec` and the new daemon pumps them again. It
//! learns of an adopted process's exit through a pidfd, as it is no `tokio` child of its.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Weak};

use tokio::io::unix::AsyncFd;
use tokio::net::unix::pipe;

use super::output::{pump, Stream};
use super::spawn::report_exit;
use super::store::ProcStore;
use crate::logsink::{LogSinkMsg, LogTarget};
use crate::supervision::LiveRef;

/// Close-on-exec copies of a child's pipe read ends, kept for a hand-over.
pub fn copy_pipes(out: &impl AsFd, err: &impl AsFd) -> Option<(OwnedFd, OwnedFd)> {
    let copy = |fd: &dyn AsFd| -> Option<OwnedFd> {
        // SAFETY: fcntl duplicates a descriptor we own; the result is checked.
        let raw = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
        // SAFETY: a fresh descriptor returned by the kernel, owned by nobody else.
        (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
    };
    Some((copy(out)?, copy(err)?))
}

/// Lets a descriptor survive `exec` (for the successor daemon); returns its number.
pub fn keep_across_exec(fd: &impl AsRawFd) -> RawFd {
    let raw = fd.as_raw_fd();
    // SAFETY: clears FD_CLOEXEC on a descriptor we own.
    unsafe { libc::fcntl(raw, libc::F_SETFD, 0) };
    raw
}

/// Takes ownership of a descriptor inherited from the previous daemon, closing it on the
/// next exec again.
///
/// # Safety
/// `fd` must be an open descriptor this process owns and nothing else uses.
pub unsafe fn inherit(fd: RawFd) -> OwnedFd {
    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
    OwnedFd::from_raw_fd(fd)
}

impl super::ProcState {
    /// The running process as a successor daemon adopts it, its descriptors kept open
    /// across `exec`; `None` when nothing runs (or its pipes are not known).
    pub(super) fn export(&self) -> Option<pm2_protocol::dump::HandedProcess> {
        let record = self.args.store.lock();
        let generation = record.life.process()?.generation;
        let pid = record.life.process()?.pid;
        let (out, err) = record.pipes.as_ref()?;
        let stdin = record.stdin.iter().find(|(g, _)| *g == generation);
        Some(pm2_protocol::dump::HandedProcess {
            pm_id: record.pm_id,
            name: record.spec.name.clone(),
            instance: record.instance,
            pid,
            out_fd: keep_across_exec(out),
            err_fd: keep_across_exec(err),
            in_fd: stdin.map(|(_, fd)| keep_across_exec(fd)),
            restart_time: record.counters.restart_time,
            unstable_restarts: record.counters.unstable_restarts,
            created_at: record.created_at,
            started_at: record.started_at,
        })
    }
}

/// Pumps an adopted process's pipes and reports its exit, as `spawn::watch` does for ours.
pub fn watch_adopted(
    pid: u32,
    generation: u64,
    pipes: (OwnedFd, OwnedFd),
    target: Arc<LogTarget>,
    store: &Arc<ProcStore>,
    sink: LiveRef<LogSinkMsg>,
) {
    let (out, err) = pipes;
    if let Some(kept) = copy_pipes(&out, &err) {
        store.lock().pipes = Some(kept);
    }
    let pumps: Vec<_> = [(out, Stream::Out), (err, Stream::Err)]
        .into_iter()
        .filter_map(|(fd, stream)| {
            let receiver = pipe::Receiver::from_owned_fd(fd).ok()?;
            Some(tokio::spawn(pump(
                receiver,
                stream,
                target.clone(),
                sink.clone(),
            )))
        })
        .collect();
    let store: Weak<ProcStore> = Arc::downgrade(store);
    // The waiter belongs to the OS process, not to an actor incarnation: it must outlive a
    // Proc restart, so an exit is never lost (it lands in the record's `exits`).
    tokio::spawn(async move {
        let (code, signal) = wait_for_exit(pid).await;
        for pump in pumps {
            let _ = pump.await;
        }
        report_exit(&store, generation, code, signal);
    });
}

/// Waits for a child this process did not spawn itself (a pidfd turns readable when it
/// exits), then reaps it.
async fn wait_for_exit(pid: u32) -> (Option<i32>, Option<i32>) {
    // SAFETY: pidfd_open returns a new descriptor or -1, checked before use.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if pidfd >= 0 {
        // SAFETY: the descriptor was just returned by the kernel.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as RawFd) };
        // SAFETY: the AsyncFd owns the only handle to this fresh pidfd.
        if let Ok(ready) = unsafe { AsyncFd::register(pidfd) } {
            let _ = ready.readable().await;
        }
    }
    // Without a pidfd (an old kernel) waitpid blocks until the exit: on a thread of its
    // own, never on a runtime worker. With one, the child is a zombie now: it returns at once.
    let reap = move || {
        let mut status = 0;
        // SAFETY: reaps our own child; `status` is a valid out-pointer.
        let reaped = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        (reaped, status)
    };
    let Ok((reaped, status)) = tokio::task::spawn_blocking(reap).await else {
        return (None, None);
    };
    if reaped != pid as libc::pid_t {
        return (None, None);
    }
    if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    }
}
