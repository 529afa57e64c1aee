//! What `pm2` needs from the terminal it prints to: whether there is one, its size (PM2
//! picks the `ls` layout by width), and, while `pm2 ls --watch` redraws, keeping typed keys
//! from echoing into the frame.
//!
//! The escape sequences of an in-place redraw are in [`frame`], free of any terminal.

pub mod frame;

use std::io::IsTerminal;
use std::os::fd::AsRawFd;

use nix::sys::termios::{self, FlushArg, LocalFlags, SetArg, Termios};

pub use frame::InPlace;

/// Columns and rows of the terminal on standard output; `None` when standard output is not
/// a terminal (piped, redirected) or reports no size.
pub fn size() -> Option<(usize, usize)> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, which points to ours.
    let rc = unsafe { nix::libc::ioctl(stdout.as_raw_fd(), nix::libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_col > 0).then_some((usize::from(size.ws_col), usize::from(size.ws_row)))
}

/// Width of the terminal on standard output, `None` when it is not one.
pub fn columns() -> Option<usize> {
    size().map(|(columns, _)| columns)
}

/// Turns off the echo of standard input while it lives, so keys typed during a redraw
/// (Enter above all, which would move the cursor) cannot shift the frame; on drop, drops
/// what was typed (it was not meant for the shell) and restores the settings.
pub struct QuietInput {
    saved: Option<Termios>,
}

impl QuietInput {
    /// Echo off when standard input is a terminal; nothing to do otherwise.
    pub fn start() -> QuietInput {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return QuietInput { saved: None };
        }
        let Ok(saved) = termios::tcgetattr(&stdin) else {
            return QuietInput { saved: None };
        };
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        match termios::tcsetattr(&stdin, SetArg::TCSANOW, &quiet) {
            Ok(()) => QuietInput { saved: Some(saved) },
            Err(_) => QuietInput { saved: None },
        }
    }
}

impl Drop for QuietInput {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            let stdin = std::io::stdin();
            let _ = termios::tcflush(&stdin, FlushArg::TCIFLUSH);
            let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &saved);
        }
    }
}
