//! The `pm2` command line: PM2's commands, flags and output, speaking the wire protocol to
//! the daemon (which it starts when none answers).
//!
//! Depends on `pm2-protocol` only: it never reaches into actors.
//!
//! ```text
//! args (clap) ──> commands ──Request──> client ──frames──> daemon
//!                     ├── render (tables, jlist, prettylist, describe)
//!                     ├── serve (the static file server `pm2 serve` runs as an app)
//!                     └── startup (boot scripts of `pm2 startup`; no daemon involved)
//! ```
#![warn(missing_docs)]

pub mod args;
pub mod client;
mod commands;
pub mod export;
mod monit;
pub mod output;
pub mod render;
pub mod runtime;
pub mod serve;
pub mod startup;
pub mod terminal;

use clap::Parser;

/// Entry point of `pm2`; returns the process exit code.
pub fn main_entry() -> i32 {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return 0;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return 1;
            }
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            output::error(format!(
                "{} (see `pm2 --help`)",
                first.trim_start_matches("error: ")
            ));
            return 1;
        }
    };
    if cli.version {
        println!("{}", pm2_protocol::VERSION);
        return 0;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(format!("cannot start the async runtime: {e}"));
            return 1;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => 0,
        Err(e) => {
            output::failure(&e);
            1
        }
    }
}
