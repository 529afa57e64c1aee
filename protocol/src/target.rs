//! Targets: how a user names processes on the command line (`0`, `api`, `all`, `/^api-/`).

use serde::{Deserialize, Serialize};

/// One way of naming processes. Names also match namespaces, as in PM2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Every process.
    All,
    /// One process by `pm_id`.
    Id(u32),
    /// Every process of this app name, or of this namespace.
    Name(String),
    /// Every process whose name matches this regular expression (`/^api-/`).
    Regex(String),
}

impl Target {
    /// Reads a command-line word as PM2 does: `all`, a number, `/regex/`, else a name.
    pub fn parse(word: &str) -> Target {
        if word == "all" {
            return Target::All;
        }
        if let Ok(id) = word.parse::<u32>() {
            return Target::Id(id);
        }
        if word.len() >= 2 && word.starts_with('/') && word.ends_with('/') {
            return Target::Regex(word[1..word.len() - 1].to_string());
        }
        Target::Name(word.to_string())
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::All => f.write_str("all"),
            Target::Id(id) => write!(f, "{id}"),
            Target::Name(name) => f.write_str(name),
            Target::Regex(re) => write!(f, "/{re}/"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_targets_as_in_pm2() {
        assert_eq!(Target::parse("all"), Target::All);
        assert_eq!(Target::parse("3"), Target::Id(3));
        assert_eq!(Target::parse("/^api-/"), Target::Regex("^api-".into()));
        assert_eq!(Target::parse("api"), Target::Name("api".into()));
        assert_eq!(Target::parse("/"), Target::Name("/".into()));
    }
}
