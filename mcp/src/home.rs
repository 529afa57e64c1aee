//! Which `PM2_HOME` the server uses. Agents often run sandboxed (Claude Code's sandbox, a
//! setuid wrapper, a read-only home); there `~/.pm2` cannot be written, so the server falls
//! back to a private home it can write and tells the client why, instead of failing on the
//! first tool call.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use pm2_protocol::Home;

/// The home chosen, and why it is not the usual one when sandboxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeChoice {
    /// The home the server uses.
    pub home: Home,
    /// Set when the server detected a sandbox and fell back.
    pub sandbox: Option<Sandbox>,
}

/// A detected sandbox: what gave it away and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    /// Why the server thinks it is sandboxed, one short phrase each.
    pub reasons: Vec<String>,
}

impl HomeChoice {
    /// The warning sent to the client (and stderr) when sandboxed.
    pub fn warning(&self) -> Option<String> {
        let sandbox = self.sandbox.as_ref()?;
        Some(format!(
            "pm2-mcp is running sandboxed ({}): PM2_HOME is {}; processes started here are \
             not those of ~/.pm2. Set PM2_MCP_HOME (or PM2_HOME) to a writable directory to \
             choose another home.",
            sandbox.reasons.join("; "),
            self.home.root.display()
        ))
    }
}

/// `PM2_MCP_HOME`, else `PM2_HOME` (both used as given), else `~/.pm2` unless sandboxed,
/// then `$TMPDIR/pm2-mcp`, then `./.pm2-mcp`.
pub fn choose(env: &dyn Fn(&str) -> Option<String>) -> Result<HomeChoice, String> {
    let set = |name| env(name).filter(|v: &String| !v.is_empty());
    // PM2's path variables (PM2_DAEMON_RPC_PORT, PM2_DEFAULT_LOG_PATH, ...) apply to a home
    // chosen as PM2 would; not to a sandbox fallback, which must stay where it can write.
    let with_variables = |root: PathBuf| {
        let root = root.to_string_lossy().into_owned();
        Home::from_vars(|name| match name {
            "PM2_HOME" => Some(root.clone()),
            "OVER_HOME" => None,
            other => env(other),
        })
        .unwrap_or_else(|_| Home::at(PathBuf::from(&root)))
    };
    if let Some(home) = set("PM2_MCP_HOME").or_else(|| set("PM2_HOME")) {
        return Ok(HomeChoice {
            home: with_variables(PathBuf::from(home)),
            sandbox: None,
        });
    }
    let user_home = set("HOME").ok_or("HOME is not set: set PM2_MCP_HOME or PM2_HOME")?;
    let usual = Path::new(&user_home).join(".pm2");
    let mut reasons = Vec::new();
    if !writable(&usual) {
        reasons.push(format!("{} is not writable", usual.display()));
    }
    if env("CLAUDE_CODE_SANDBOX").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1") {
        reasons.push("CLAUDE_CODE_SANDBOX=true".into());
    }
    // SAFETY: getuid and geteuid cannot fail.
    let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
    if uid != euid {
        reasons.push(format!("uid {uid} differs from euid {euid}"));
    }
    if reasons.is_empty() {
        return Ok(HomeChoice {
            home: with_variables(usual),
            sandbox: None,
        });
    }
    let temp = set("TMPDIR").unwrap_or_else(|| "/tmp".into());
    let fallback = [Path::new(&temp).join("pm2-mcp"), PathBuf::from(".pm2-mcp")]
        .into_iter()
        .find(|candidate| writable(candidate))
        .ok_or_else(|| {
            format!(
                "sandboxed ({}) and neither {temp}/pm2-mcp nor ./.pm2-mcp is writable: set \
                 PM2_MCP_HOME",
                reasons.join("; ")
            )
        })?;
    Ok(HomeChoice {
        home: Home::at(fallback),
        sandbox: Some(Sandbox { reasons }),
    })
}

/// Whether `path` can be written, or created under its nearest existing ancestor.
fn writable(path: &Path) -> bool {
    let mut at = path;
    loop {
        if at.exists() {
            return access_w(at);
        }
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent,
            _ => return access_w(Path::new(".")),
        }
    }
}

fn access_w(path: &Path) -> bool {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn choose_with(vars: &[(&str, String)]) -> HomeChoice {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        choose(&|name| vars.get(name).cloned()).unwrap()
    }

    #[test]
    fn an_explicit_home_is_used_as_given() {
        let choice = choose_with(&[
            ("PM2_HOME", "/srv/pm2".into()),
            ("PM2_MCP_HOME", "/srv/mcp".into()),
            ("CLAUDE_CODE_SANDBOX", "true".into()),
        ]);
        assert_eq!(choice.home.root, PathBuf::from("/srv/mcp"));
        assert_eq!(choice.warning(), None);
    }

    #[test]
    fn pm2s_path_variables_move_the_chosen_homes_files() {
        let choice = choose_with(&[
            ("PM2_HOME", "/srv/pm2".into()),
            ("PM2_DAEMON_RPC_PORT", "/run/pm2.sock".into()),
            ("PM2_DEFAULT_LOG_PATH", "/var/log/apps".into()),
        ]);
        assert_eq!(choice.home.root, PathBuf::from("/srv/pm2"));
        assert_eq!(choice.home.socket(), PathBuf::from("/run/pm2.sock"));
        assert_eq!(choice.home.logs_dir(), PathBuf::from("/var/log/apps"));
        assert_eq!(choice.home.pid_file(), PathBuf::from("/srv/pm2/pm2.pid"));
    }

    #[test]
    fn a_writable_user_home_gives_the_usual_home() {
        let dir = tempfile::tempdir().unwrap();
        let choice = choose_with(&[("HOME", dir.path().display().to_string())]);
        assert_eq!(choice.home.root, dir.path().join(".pm2"));
        assert!(choice.sandbox.is_none());
    }

    #[test]
    fn claude_codes_sandbox_falls_back_to_tmpdir_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let temp = tempfile::tempdir().unwrap();
        let choice = choose_with(&[
            ("HOME", dir.path().display().to_string()),
            ("TMPDIR", temp.path().display().to_string()),
            ("CLAUDE_CODE_SANDBOX", "true".into()),
        ]);
        assert_eq!(choice.home.root, temp.path().join("pm2-mcp"));
        let warning = choice.warning().unwrap();
        assert!(warning.contains("CLAUDE_CODE_SANDBOX=true"), "{warning}");
        assert!(warning.contains("PM2_MCP_HOME"), "{warning}");
        assert!(
            warning.contains(&temp.path().display().to_string()),
            "{warning}"
        );
    }
}
