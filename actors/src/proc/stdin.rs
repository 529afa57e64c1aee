//! Each app's standard input: a pipe whose write end the daemon keeps, for `pm2 send` and
//! `pm2 attach`.
//!
//! PM2 gives every process a stdin pipe; so do we, instead of `/dev/null`. The write end is
//! non-blocking and a line is written whole or not at all: an app that never reads its input
//! fills the pipe, and the next line is refused with an error for the sender instead of
//! blocking the Proc actor (or being cut in half).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Why a line could not be written to a process's stdin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StdinError {
    /// The pipe has no room for the line: the app does not read its input (fast enough).
    #[error("its stdin is full ({queued} bytes not read yet): the app does not read its input")]
    Full {
        /// Bytes waiting in the pipe.
        queued: usize,
    },
    /// The line is longer than the pipe can ever hold.
    #[error("the line is {len} bytes, more than its stdin pipe holds ({capacity} bytes)")]
    TooLong {
        /// The line's length.
        len: usize,
        /// The pipe's capacity.
        capacity: usize,
    },
    /// The app closed its stdin (or exited).
    #[error("it closed its stdin")]
    Closed,
    /// Any other failure of the write.
    #[error("cannot write to its stdin: {0}")]
    Io(String),
}

/// A new pipe for a child's stdin: the read end for the child (close-on-exec here; the
/// spawn makes it the child's fd 0), the write end for the daemon, non-blocking.
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills both descriptors or fails; checked before use.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: two fresh descriptors owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    set_nonblocking(&write)?;
    Ok((read, write))
}

/// Makes writes to `fd` fail with `EAGAIN` instead of waiting (again after a hand-over).
pub fn set_nonblocking(fd: &OwnedFd) -> std::io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl reads and sets the status flags of a descriptor we own.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Writes `data` to the pipe `fd` whole, or nothing when it does not fit now. Never waits.
///
/// A write of up to `PIPE_BUF` (4096) bytes is atomic (the kernel writes all or answers
/// `EAGAIN`); a longer one is only made into an empty pipe, where it fits whole (up to the
/// pipe's capacity), so that no line is ever cut.
pub fn write_line(fd: &OwnedFd, data: &[u8]) -> Result<(), StdinError> {
    let raw = fd.as_raw_fd();
    // SAFETY: F_GETPIPE_SZ only reads the pipe's capacity.
    let capacity = unsafe { libc::fcntl(raw, libc::F_GETPIPE_SZ) }.max(0) as usize;
    let mut queued: libc::c_int = 0;
    // SAFETY: FIONREAD writes the number of unread bytes into `queued`.
    let queued = match unsafe { libc::ioctl(raw, libc::FIONREAD, &mut queued) } {
        0 => queued.max(0) as usize,
        _ => 0,
    };
    if capacity > 0 && data.len() > capacity {
        return Err(StdinError::TooLong {
            len: data.len(),
            capacity,
        });
    }
    if data.len() > libc::PIPE_BUF && queued > 0 {
        return Err(StdinError::Full { queued });
    }
    let mut written = 0;
    while written < data.len() {
        let rest = &data[written..];
        // SAFETY: writes from a live slice to a descriptor we own.
        let n = unsafe { libc::write(raw, rest.as_ptr().cast(), rest.len()) };
        if n >= 0 {
            written += n as usize;
            continue;
        }
        let error = std::io::Error::last_os_error();
        return Err(match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EPIPE) => StdinError::Closed,
            Some(libc::EAGAIN) => StdinError::Full { queued },
            _ => StdinError::Io(error.to_string()),
        });
    }
    Ok(())
}

impl super::ProcState {
    /// `pm2 send`: the line to the running process's stdin, as PM2 only while it is online
    /// or launching.
    pub(super) fn send_line(
        &self,
        data: &[u8],
    ) -> crate::error::TreeResult<pm2_protocol::ProcessInfo> {
        use crate::error::TreeError;
        use pm2_protocol::Status;
        let record = self.args.store.lock();
        let offline = || TreeError::refused(format!("Process with ID <{}> offline.", record.pm_id));
        let Some(generation) = record.life.process().map(|p| p.generation) else {
            return Err(offline());
        };
        if !matches!(record.life.status(), Status::Online | Status::Launching) {
            return Err(offline());
        }
        let Some((_, fd)) = record.stdin.iter().find(|(g, _)| *g == generation) else {
            return Err(TreeError::refused(format!(
                "process {} has no stdin pipe",
                record.pm_id
            )));
        };
        write_line(fd, data)
            .map_err(|e| TreeError::refused(format!("process {}: {e}", record.pm_id)))?;
        Ok(record.info())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_line_reaches_the_reader() {
        let (read, write) = pipe().unwrap();
        write_line(&write, b"hello\n").unwrap();
        let mut buf = [0u8; 6];
        std::fs::File::from(read).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello\n");
    }

    #[test]
    fn a_reader_that_never_reads_gets_errors_not_a_blocked_writer() {
        let (_read, write) = pipe().unwrap();
        let line = vec![b'x'; 1000];
        let mut refused = None;
        for _ in 0..1000 {
            if let Err(e) = write_line(&write, &line) {
                refused = Some(e);
                break;
            }
        }
        assert!(
            matches!(refused, Some(StdinError::Full { queued }) if queued > 0),
            "{refused:?}"
        );
    }

    #[test]
    fn a_long_line_goes_whole_into_an_empty_pipe_only() {
        let (read, write) = pipe().unwrap();
        let long = vec![b'y'; 20_000];
        write_line(&write, &long).unwrap();
        assert_eq!(
            write_line(&write, &long),
            Err(StdinError::Full { queued: 20_000 })
        );
        let mut buf = vec![0u8; 20_000];
        std::fs::File::from(read).read_exact(&mut buf).unwrap();
        assert_eq!(buf, long);
    }

    #[test]
    fn a_closed_reader_and_an_oversized_line_are_named() {
        let (read, write) = pipe().unwrap();
        assert!(matches!(
            write_line(&write, &vec![b'x'; 10 << 20]),
            Err(StdinError::TooLong { .. })
        ));
        drop(read);
        assert_eq!(write_line(&write, b"x\n"), Err(StdinError::Closed));
    }
}
