//! `uid` / `user` / `gid`: the account an app runs as, looked up in `/etc/passwd` and
//! `/etc/group` as PM2 does (`lib/tools/passwd.js`), by name or number.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The account an app runs as, settled by the frontend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunAs {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// User name (`pm2 ls`'s user column, `pm2_env.username`).
    pub user: String,
    /// The user's home: the app's `HOME`, as PM2 sets it.
    pub home: String,
}

/// Why `uid`/`gid` cannot be honoured.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunAsError {
    /// No such user (PM2's words).
    #[error("User {0} cannot be found")]
    NoUser(String),
    /// No such group (PM2's words).
    #[error("Group {0} cannot be found")]
    NoGroup(String),
    /// Only root may start processes as another user (PM2's words).
    #[error("To use --uid and --gid please run pm2 as root")]
    NotRoot,
}

/// Resolves `user` (name or number) and `group` (name or number; else the user's own).
pub fn resolve(
    user: &str,
    group: Option<&str>,
    is_root: bool,
    etc: &Path,
) -> Result<RunAs, RunAsError> {
    if !is_root {
        return Err(RunAsError::NotRoot);
    }
    let passwd = std::fs::read_to_string(etc.join("passwd")).unwrap_or_default();
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() >= 7)
        .find(|f| f[0] == user || f[2] == user)
        .ok_or_else(|| RunAsError::NoUser(user.to_string()))?;
    let uid = entry[2]
        .parse()
        .map_err(|_| RunAsError::NoUser(user.into()))?;
    let mut gid: u32 = entry[3]
        .parse()
        .map_err(|_| RunAsError::NoUser(user.into()))?;
    if let Some(group) = group {
        let groups = std::fs::read_to_string(etc.join("group")).unwrap_or_default();
        gid = groups
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .filter(|f| f.len() >= 3)
            .find(|f| f[0] == group || f[2] == group)
            .and_then(|f| f[2].parse().ok())
            .ok_or_else(|| RunAsError::NoGroup(group.to_string()))?;
    }
    Ok(RunAs {
        uid,
        gid,
        user: entry[0].to_string(),
        home: entry[5].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etc() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("passwd"),
            "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("group"), "root:x:0:\nstaff:x:50:alice\n").unwrap();
        dir
    }

    #[test]
    fn users_and_groups_by_name_or_number() {
        let etc = etc();
        let alice = resolve("alice", None, true, etc.path()).unwrap();
        assert_eq!(
            (alice.uid, alice.gid, alice.home.as_str()),
            (1000, 1000, "/home/alice")
        );
        let by_number = resolve("1000", Some("staff"), true, etc.path()).unwrap();
        assert_eq!((by_number.user.as_str(), by_number.gid), ("alice", 50));
        assert_eq!(
            resolve("alice", Some("50"), true, etc.path()).unwrap().gid,
            50
        );
    }

    #[test]
    fn unknown_names_and_non_root_callers_are_refused_in_pm2s_words() {
        let etc = etc();
        let err = resolve("bob", None, true, etc.path()).unwrap_err();
        assert_eq!(err.to_string(), "User bob cannot be found");
        let err = resolve("alice", Some("wheel"), true, etc.path()).unwrap_err();
        assert_eq!(err.to_string(), "Group wheel cannot be found");
        assert_eq!(
            resolve("alice", None, false, etc.path()),
            Err(RunAsError::NotRoot)
        );
    }
}
