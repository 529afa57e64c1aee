//! `pm2 completion [shell]`: a completion script for the shell, generated from the command
//! line's own definition (clap_complete), so it never falls behind a new command or flag.
//! PM2 prints its bash/zsh script and `pm2 completion install` appends it to `~/.bashrc`;
//! we print the script, and for `install` the line that loads it, leaving rc files alone.

use anyhow::{bail, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;

/// The shell named, or the user's (`$SHELL`), or bash.
fn shell_of(word: Option<&str>) -> Result<Shell> {
    let name = match word {
        Some(word) => word.to_owned(),
        None => std::env::var("SHELL")
            .ok()
            .and_then(|path| path.rsplit('/').next().map(str::to_owned))
            .filter(|name| name.parse::<Shell>().is_ok())
            .unwrap_or_else(|| "bash".into()),
    };
    match name.parse::<Shell>() {
        Ok(shell) => Ok(shell),
        Err(_) => bail!(
            "unknown shell {name:?}: expected bash, zsh, fish, elvish or powershell (or install)"
        ),
    }
}

/// How to load the script in each shell's start-up file.
fn install_hint(shell: Shell) -> String {
    let line = match shell {
        Shell::Bash => "echo 'source <(pm2 completion bash)' >> ~/.bashrc".to_owned(),
        Shell::Zsh => "echo 'source <(pm2 completion zsh)' >> ~/.zshrc".to_owned(),
        Shell::Fish => "pm2 completion fish > ~/.config/fish/completions/pm2.fish".to_owned(),
        Shell::Elvish => "pm2 completion elvish >> ~/.config/elvish/rc.elv".to_owned(),
        Shell::PowerShell => "pm2 completion powershell >> $PROFILE".to_owned(),
        _ => format!("pm2 completion {shell} > <your shell's completion folder>"),
    };
    format!("To enable pm2 tab-completion in {shell}, run once:\n  {line}\nthen open a new shell.")
}

/// `pm2 completion [bash|zsh|fish|elvish|powershell|install|uninstall]`.
pub fn completion(word: Option<String>) -> Result<()> {
    if let Some(action @ ("install" | "uninstall")) = word.as_deref() {
        let shell = shell_of(None)?;
        if action == "install" {
            crate::output::emit(&install_hint(shell));
        } else {
            crate::output::emit(&format!(
                "Remove the line that loads `pm2 completion {shell}` from your {shell} start-up file."
            ));
        }
        return Ok(());
    }
    let shell = shell_of(word.as_deref())?;
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut visible_command(), "pm2", &mut out);
    Ok(())
}

/// The command line without its hidden commands (`__serve`), which clap_complete would
/// offer otherwise.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .collect();
    clap::Command::new("pm2")
        .args(full.get_arguments().cloned())
        .subcommands(visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_by_name() {
        assert_eq!(shell_of(Some("zsh")).unwrap(), Shell::Zsh);
        assert_eq!(shell_of(Some("fish")).unwrap(), Shell::Fish);
        assert!(shell_of(Some("tcsh")).is_err());
    }

    #[test]
    fn the_bash_script_completes_our_commands() {
        let mut script = Vec::new();
        clap_complete::generate(Shell::Bash, &mut visible_command(), "pm2", &mut script);
        let script = String::from_utf8(script).unwrap();
        assert!(script.contains("complete -F _pm2"), "{script}");
        assert!(script.contains("startOrRestart"), "{script}");
        assert!(
            !script.contains(" __serve") && !script.contains(",__serve"),
            "hidden commands stay hidden"
        );
    }
}
