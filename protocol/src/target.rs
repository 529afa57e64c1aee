//! Targets: how a user names processes on the command line (`0`, `api`, `all`, `/^api-/`).
//!
//! The words are read as PM2's `_operate` reads them: `all`; a number, which is an app
//! name or a namespace when one is called that and a process id otherwise; `/regex/`,
//! matched against app names; else an app name, or a namespace when no app has that name.
//! Ecosystem files are read by the frontends (they hold the file), which send the names of
//! the file's apps.

use std::path::{Path, PathBuf};

use crate::lexical::normalize;

use serde::{Deserialize, Serialize};

/// One way of naming processes. Names also match namespaces, as in PM2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Every process.
    All,
    /// One process by `pm_id`, strictly: what the daemon and frontends use internally.
    Id(u32),
    /// Every process of this app name, or of this namespace.
    Name(String),
    /// Every process whose name matches this regular expression (`/^api-/`).
    Regex(String),
    /// A number as a user typed it (`pm2 stop 3`): the processes of the app, or else of the
    /// namespace, called `3` when there is one, else the process with id 3 (PM2's order).
    Number(u32),
    /// A name typed on the command line, which PM2 also takes for a script file: the
    /// processes of the app `name` or whose script is `path` (the word resolved against the
    /// caller's cwd), else of the namespace `name` (PM2's `getProcessIdByName`).
    Script {
        /// The word as typed.
        name: String,
        /// The word as an absolute path.
        path: PathBuf,
    },
}

impl Target {
    /// Reads a command-line word as PM2 does: `all`, a number, `/regex/`, else a name.
    pub fn parse(word: &str) -> Target {
        if word == "all" {
            return Target::All;
        }
        if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(id) = word.parse::<u32>() {
                return Target::Number(id);
            }
        }
        if let Some(pattern) = Target::regex_of(word) {
            return Target::Regex(pattern.to_string());
        }
        Target::Name(word.to_string())
    }

    /// Reads a word typed in `cwd`: as [`Target::parse`], except that a name also stands for
    /// the script at that path, as in PM2 (`pm2 stop app.js`, `pm2 restart ./bin/worker`).
    pub fn parse_in(word: &str, cwd: &Path) -> Target {
        match Target::parse(word) {
            Target::Name(name) => {
                let path = normalize(&cwd.join(&name));
                Target::Script { name, path }
            }
            other => other,
        }
    }

    /// The pattern of a `/regex/` word: between the first and the last slash.
    fn regex_of(word: &str) -> Option<&str> {
        word.strip_prefix('/')?.strip_suffix('/')
    }

    /// Whether matching nothing is PM2's "No process found" (`all`, a regex) rather than an
    /// unknown name or id.
    pub fn is_pattern(&self) -> bool {
        matches!(self, Target::All | Target::Regex(_))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::All => f.write_str("all"),
            Target::Id(id) | Target::Number(id) => write!(f, "{id}"),
            Target::Name(name) => f.write_str(name),
            Target::Regex(re) => write!(f, "/{re}/"),
            Target::Script { name, .. } => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_targets_as_in_pm2() {
        assert_eq!(Target::parse("all"), Target::All);
        assert_eq!(Target::parse("3"), Target::Number(3));
        assert_eq!(Target::parse("007"), Target::Number(7));
        assert_eq!(Target::parse("/^api-/"), Target::Regex("^api-".into()));
        assert_eq!(Target::parse("/a/b/"), Target::Regex("a/b".into()));
        assert_eq!(Target::parse("//"), Target::Regex(String::new()));
        assert_eq!(Target::parse("api"), Target::Name("api".into()));
        assert_eq!(Target::parse("/"), Target::Name("/".into()));
        assert_eq!(Target::parse("/api"), Target::Name("/api".into()));
        assert_eq!(Target::parse("-1"), Target::Name("-1".into()));
        assert_eq!(Target::parse("+1"), Target::Name("+1".into()));
        assert_eq!(Target::parse("1e3"), Target::Name("1e3".into()));
        assert_eq!(
            Target::parse("99999999999"),
            Target::Name("99999999999".into())
        );
        assert_eq!(Target::parse("All"), Target::Name("All".into()));
    }

    #[test]
    fn names_typed_in_a_folder_also_name_the_script_there() {
        let cwd = Path::new("/srv/app");
        assert_eq!(
            Target::parse_in("./bin/../echo.js", cwd),
            Target::Script {
                name: "./bin/../echo.js".into(),
                path: "/srv/app/echo.js".into()
            }
        );
        assert_eq!(
            Target::parse_in("/opt/w.py", cwd),
            Target::Script {
                name: "/opt/w.py".into(),
                path: "/opt/w.py".into()
            }
        );
        assert_eq!(Target::parse_in("3", cwd), Target::Number(3));
        assert_eq!(Target::parse_in("all", cwd), Target::All);
        assert_eq!(Target::parse_in("echo.js", cwd).to_string(), "echo.js");
    }

    #[test]
    fn targets_print_as_typed() {
        for word in ["all", "3", "/^api-/", "api"] {
            assert_eq!(Target::parse(word).to_string(), word);
        }
    }

    #[test]
    fn only_all_and_regexes_are_patterns() {
        assert!(Target::All.is_pattern());
        assert!(Target::parse("/x/").is_pattern());
        assert!(!Target::parse("x").is_pattern());
        assert!(!Target::parse("1").is_pattern());
    }
}
