//! Init systems: their names (PM2's, aliases included) and detection, in PM2's order.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::StartupError;

/// An init system `pm2 startup` can write a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// systemd: a unit in `/etc/systemd/system`, `systemctl enable`.
    Systemd,
    /// Upstart-era Debian/Ubuntu: an init.d script, `update-rc.d`.
    Upstart,
    /// SysV on Red Hat-likes: an init.d script, `chkconfig`.
    Systemv,
    /// OpenRC (Gentoo, Alpine): `/etc/init.d/pm2`, `rc-update`.
    Openrc,
    /// macOS: a LaunchAgent plist, `launchctl`.
    Launchd,
    /// FreeBSD: an rc.d script, `sysrc`.
    Rcd,
}

/// The canonical names, as `pm2 startup` accepts and prints them.
pub const NAMES: [&str; 6] = ["systemd", "upstart", "systemv", "openrc", "launchd", "rcd"];

/// PM2's detection: the first of these programs found on `PATH` names the init system.
const PROBES: [(&str, Platform); 6] = [
    ("systemctl", Platform::Systemd),
    ("update-rc.d", Platform::Upstart),
    ("chkconfig", Platform::Systemv),
    ("rc-update", Platform::Openrc),
    ("launchctl", Platform::Launchd),
    ("sysrc", Platform::Rcd),
];

impl Platform {
    /// Every platform, in [`NAMES`] order.
    pub const ALL: [Platform; 6] = [
        Platform::Systemd,
        Platform::Upstart,
        Platform::Systemv,
        Platform::Openrc,
        Platform::Launchd,
        Platform::Rcd,
    ];

    /// The canonical name (`systemd`, `rcd`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Platform::Systemd => "systemd",
            Platform::Upstart => "upstart",
            Platform::Systemv => "systemv",
            Platform::Openrc => "openrc",
            Platform::Launchd => "launchd",
            Platform::Rcd => "rcd",
        }
    }

    /// A platform from a name PM2 accepts, its aliases included (`ubuntu`, `centos6`,
    /// `darwin`, `freebsd`, ...).
    pub fn parse(name: &str) -> Result<Platform, StartupError> {
        Ok(match name {
            "systemd" | "ubuntu" | "centos" | "arch" | "oracle" => Platform::Systemd,
            "upstart" | "ubuntu14" | "ubuntu12" => Platform::Upstart,
            "systemv" | "amazon" | "centos6" => Platform::Systemv,
            "openrc" => Platform::Openrc,
            "launchd" | "macos" | "darwin" => Platform::Launchd,
            "rcd" | "freebsd" => Platform::Rcd,
            "rcd-openbsd" | "openbsd" | "smf" | "sunos" | "solaris" => {
                return Err(StartupError::Unsupported(name.to_owned()))
            }
            _ => return Err(StartupError::UnknownPlatform(name.to_owned())),
        })
    }

    /// The init system of this machine, found as PM2 finds it: the first of `systemctl`,
    /// `update-rc.d`, `chkconfig`, `rc-update`, `launchctl`, `sysrc` on `PATH`.
    pub fn detect() -> Option<Platform> {
        detect_in(std::env::var_os("PATH").as_deref())
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// [`Platform::detect`] with a given `PATH` value.
pub fn detect_in(path: Option<&OsStr>) -> Option<Platform> {
    let path = path?;
    PROBES
        .iter()
        .find(|(program, _)| which(program, path).is_some())
        .map(|&(_, platform)| platform)
}

/// The first executable file named `program` in the directories of `path`.
pub fn which(program: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (platform, name) in Platform::ALL.iter().zip(NAMES) {
            assert_eq!(platform.name(), name);
            assert_eq!(Platform::parse(name).unwrap(), *platform);
        }
    }

    #[test]
    fn aliases_as_pm2() {
        assert_eq!(Platform::parse("ubuntu").unwrap(), Platform::Systemd);
        assert_eq!(Platform::parse("centos6").unwrap(), Platform::Systemv);
        assert_eq!(Platform::parse("darwin").unwrap(), Platform::Launchd);
        assert_eq!(Platform::parse("freebsd").unwrap(), Platform::Rcd);
        assert_eq!(Platform::parse("ubuntu14").unwrap(), Platform::Upstart);
    }

    #[test]
    fn unknown_and_unsupported_are_errors() {
        let unknown = Platform::parse("foo").unwrap_err().to_string();
        assert!(
            unknown.starts_with("Unknown platform / init system name: foo"),
            "{unknown}"
        );
        assert!(!unknown.contains('\n'));
        assert!(matches!(
            Platform::parse("smf"),
            Err(StartupError::Unsupported(_))
        ));
    }

    fn tools(names: &[&str]) -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            let path = dir.path().join(name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    }

    #[test]
    fn detection_follows_pm2_order() {
        let dir = tools(&["rc-update", "update-rc.d", "sysrc"]);
        assert_eq!(
            detect_in(Some(dir.path().as_os_str())),
            Some(Platform::Upstart)
        );
        let dir = tools(&["launchctl", "systemctl"]);
        assert_eq!(
            detect_in(Some(dir.path().as_os_str())),
            Some(Platform::Systemd)
        );
        let dir = tools(&["rc-update"]);
        assert_eq!(
            detect_in(Some(dir.path().as_os_str())),
            Some(Platform::Openrc)
        );
    }

    #[test]
    fn detection_needs_an_executable_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("systemctl"), "not executable").unwrap();
        std::fs::create_dir(dir.path().join("chkconfig")).unwrap();
        assert_eq!(detect_in(Some(dir.path().as_os_str())), None);
        assert_eq!(detect_in(None), None);
    }
}
