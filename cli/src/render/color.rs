//! The ANSI styles PM2 paints its tables with (through `ansis` and `chalk`).

use pm2_protocol::Status;

/// An ANSI style: the codes written before and after the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paint {
    open: &'static str,
    close: &'static str,
}

impl Paint {
    /// No style.
    pub(crate) const PLAIN: Paint = Paint::new("", "");
    /// Grey: table borders, `disabled`.
    pub(crate) const GREY: Paint = Paint::new("\x1b[90m", "\x1b[39m");
    /// Bold: user names.
    pub(crate) const BOLD: Paint = Paint::new("\x1b[1m", "\x1b[22m");
    /// Bold cyan: table headers and ids.
    pub(crate) const BOLD_CYAN: Paint = Paint::new("\x1b[1m\x1b[36m", "\x1b[39m\x1b[22m");
    /// Bold inverse: `fork`.
    pub(crate) const INVERSE_BOLD: Paint = Paint::new("\x1b[7m\x1b[1m", "\x1b[22m\x1b[27m");
    /// Bold inverse, as the `describe` title: same look, PM2's order of codes.
    pub(crate) const BOLD_INVERSE: Paint = Paint::new("\x1b[1m\x1b[7m", "\x1b[27m\x1b[22m");
    /// Blue: key names in `pm2 get`.
    pub(crate) const BLUE: Paint = Paint::new("\x1b[34m", "\x1b[39m");
    /// Bold blue, chalk's `bold.blue`: module names in `pm2 get`.
    pub(crate) const BOLD_BLUE: Paint = Paint::new("\x1b[1m\x1b[34m", "\x1b[39m\x1b[22m");
    /// Bold green, chalk's `bold.green`: a value in `pm2 get`.
    pub(crate) const BOLD_GREEN: Paint = Paint::new("\x1b[1m\x1b[32m", "\x1b[39m\x1b[22m");
    /// Bold blue: `cluster`, `launching`.
    pub(crate) const BLUE_BOLD: Paint = Paint::new("\x1b[34m\x1b[1m", "\x1b[22m\x1b[39m");
    /// Bold green: `online`, `enabled`.
    pub(crate) const GREEN_BOLD: Paint = Paint::new("\x1b[32m\x1b[1m", "\x1b[22m\x1b[39m");
    /// Bold red: `stopped`, `errored` and the other statuses.
    pub(crate) const RED_BOLD: Paint = Paint::new("\x1b[31m\x1b[1m", "\x1b[22m\x1b[39m");
    /// Green, chalk's `green`: a host figure below its warning level.
    pub(crate) const GREEN: Paint = Paint::new("\x1b[32m", "\x1b[39m");
    /// Bold yellow, chalk's `bold.yellow`: a host figure at its warning level.
    pub(crate) const BOLD_YELLOW: Paint = Paint::new("\x1b[1m\x1b[33m", "\x1b[39m\x1b[22m");
    /// Bold red, chalk's `bold.red`: a host figure past its alert level.
    pub(crate) const BOLD_RED: Paint = Paint::new("\x1b[1m\x1b[31m", "\x1b[39m\x1b[22m");

    const fn new(open: &'static str, close: &'static str) -> Paint {
        Paint { open, close }
    }

    /// `text` in this style when `color`, as is otherwise.
    pub(crate) fn apply(self, text: &str, color: bool) -> String {
        if color && !self.open.is_empty() {
            format!("{}{text}{}", self.open, self.close)
        } else {
            text.to_owned()
        }
    }
}

/// PM2's `colorStatus`: green online, blue launching, red for everything else.
pub(crate) fn status_paint(status: Status) -> Paint {
    match status {
        Status::Online => Paint::GREEN_BOLD,
        Status::Launching => Paint::BLUE_BOLD,
        Status::Stopping | Status::Stopped | Status::Errored | Status::WaitingRestart => {
            Paint::RED_BOLD
        }
    }
}
