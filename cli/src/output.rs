//! PM2's message style: `[PM2] ...` on stdout, `[PM2][WARN]`/`[PM2][ERROR]` on stderr.

use std::io::IsTerminal;

/// How the user wants output: quiet or not, colours or not.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// `-s`: only errors.
    pub silent: bool,
    /// Colours: on a terminal unless `--no-color`.
    pub color: bool,
}

impl Printer {
    /// From the global flags and whether stdout is a terminal.
    pub fn new(silent: bool, no_color: bool) -> Self {
        Self {
            silent,
            color: !no_color
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    /// `[PM2] message`.
    pub fn info(&self, message: impl std::fmt::Display) {
        if !self.silent {
            emit(&format!("[PM2] {message}"));
        }
    }

    /// `[PM2][WARN] message` on stderr.
    pub fn warn(&self, message: impl std::fmt::Display) {
        if !self.silent {
            eprintln!("[PM2][WARN] {message}");
        }
    }

    /// `[PM2][WARN] message` on stdout, where PM2 prints some of its warnings
    /// (`Common.printOut(PREFIX_MSG_WARNING + ...)`).
    pub fn warn_out(&self, message: impl std::fmt::Display) {
        if !self.silent {
            emit(&format!("[PM2][WARN] {message}"));
        }
    }

    /// Plain text on stdout unless silent.
    pub fn text(&self, text: impl std::fmt::Display) {
        if !self.silent {
            emit(&text.to_string());
        }
    }
}

/// `[PM2][ERROR] message` on stderr: the one line a failure prints.
pub fn error(message: impl std::fmt::Display) {
    eprintln!("[PM2][ERROR] {message}");
}

/// A failure whose line is printed on stderr as it is, for PM2's lines that are not
/// `[PM2][ERROR] ...` (`[PM2][WARN] No process found`, `[PM2][WARN] x doesn't exist`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verbatim(pub String);

impl std::fmt::Display for Verbatim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Verbatim {}

/// Prints the one line of a failed command: a [`Verbatim`] as it is, anything else as
/// `[PM2][ERROR] message`.
pub fn failure(error: &anyhow::Error) {
    match error.downcast_ref::<Verbatim>() {
        Some(line) => eprintln!("{line}"),
        None => self::error(format!("{error:#}")),
    }
}

/// Prints one line on stdout. A closed stdout (`pm2 jlist | head`) ends the command quietly,
/// as it does for other Unix tools, instead of a panic.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}
