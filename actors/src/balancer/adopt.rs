//! Taking over a listening socket an instance bound itself.
//!
//! `pm2 start server.js -i 4` with the port only in the code: the first instance binds it,
//! the preload reports the port and the descriptor, and the daemon duplicates that socket out
//! of the process (`pidfd_getfd`, allowed for our own children). The other instances then
//! inherit it, exactly as if the port had been configured.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// Duplicates descriptor `fd` of process `pid` into this process.
pub fn take_fd(pid: u32, fd: RawFd) -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscalls; each result is checked before it is used as a descriptor.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0);
        if pidfd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd as RawFd);
        let copy = libc::syscall(
            libc::SYS_pidfd_getfd,
            std::os::fd::AsRawFd::as_raw_fd(&pidfd),
            fd,
            0,
        );
        if copy < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(copy as RawFd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_descriptor_of_a_child_can_be_taken() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Our own process stands in for the child: pidfd_getfd works on any process we may
        // ptrace, ourselves included.
        let copy = take_fd(std::process::id(), listener.as_raw_fd()).unwrap();
        let taken = std::net::TcpListener::from(copy);
        assert_eq!(taken.local_addr().unwrap().port(), port);
    }
}
