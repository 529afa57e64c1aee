//! What `pm2 startup` and `pm2 unstartup` do on each platform, as data: the boot script's
//! path and mode, and the steps that enable or disable it (PM2's commands). Every path is
//! under a root: `/`, or `PM2_STARTUP_ROOT` in tests.

use std::path::{Path, PathBuf};

use super::{Platform, Service};

/// One step after writing (or before removing) the boot script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Runs an init system's tool (never through a shell).
    Run {
        /// Program and arguments.
        argv: Vec<String>,
        /// A failure is reported and the next steps still run (stopping a service that
        /// is not running, for example).
        may_fail: bool,
    },
    /// Creates an empty file and its directory (the lock file of a Red Hat init script).
    Touch(PathBuf),
    /// Removes the boot script.
    Remove(PathBuf),
}

impl Step {
    fn run(argv: &[&str]) -> Step {
        Step::Run {
            argv: argv.iter().map(|a| (*a).to_owned()).collect(),
            may_fail: false,
        }
    }

    fn run_may_fail(argv: &[&str]) -> Step {
        Step::Run {
            argv: argv.iter().map(|a| (*a).to_owned()).collect(),
            may_fail: true,
        }
    }

    /// True for steps that change the running system (not files under the root).
    pub fn is_command(&self) -> bool {
        matches!(self, Step::Run { .. })
    }
}

impl std::fmt::Display for Step {
    /// As PM2 prints it in its command list: `systemctl enable pm2-root`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Run { argv, .. } => f.write_str(&argv.join(" ")),
            Step::Touch(path) => write!(f, "touch {}", path.display()),
            Step::Remove(path) => write!(f, "rm {}", path.display()),
        }
    }
}

/// The boot script of a service and the steps around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Where the boot script is (under the root).
    pub destination: PathBuf,
    /// Its permission bits.
    pub mode: u32,
    /// What to run after writing it (`pm2 startup`), or to undo it (`pm2 unstartup`,
    /// whose last step removes the file).
    pub steps: Vec<Step>,
}

/// `path` (absolute) under `root`.
pub fn under(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// Where a service's boot script lives (without a root).
fn destination(service: &Service) -> PathBuf {
    let name = &service.name;
    match service.platform {
        Platform::Systemd => PathBuf::from(format!("/etc/systemd/system/{name}.service")),
        Platform::Upstart | Platform::Systemv | Platform::Openrc => {
            PathBuf::from(format!("/etc/init.d/{name}"))
        }
        Platform::Rcd => PathBuf::from(format!("/usr/local/etc/rc.d/{name}")),
        Platform::Launchd => service
            .home
            .join("Library/LaunchAgents")
            .join(format!("{name}.plist")),
    }
}

fn mode(platform: Platform) -> u32 {
    match platform {
        Platform::Systemd | Platform::Launchd => 0o644,
        _ => 0o755,
    }
}

/// `pm2 startup`: write the script, then enable it as PM2 does.
pub fn install(service: &Service, root: &Path) -> Plan {
    let destination = under(root, &destination(service));
    let name = service.name.as_str();
    let lock = || Step::Touch(under(root, &Path::new("/var/lock/subsys").join(name)));
    let steps = match service.platform {
        Platform::Systemd => vec![Step::run(&["systemctl", "enable", name])],
        Platform::Upstart => vec![lock(), Step::run(&["update-rc.d", name, "defaults"])],
        Platform::Systemv => vec![
            lock(),
            Step::run(&["chkconfig", "--add", name]),
            Step::run(&["chkconfig", name, "on"]),
        ],
        Platform::Openrc => vec![Step::run(&["rc-update", "add", name, "default"])],
        Platform::Launchd => vec![Step::run(&[
            "launchctl",
            "load",
            "-w",
            &destination.to_string_lossy(),
        ])],
        Platform::Rcd => vec![Step::run(&["sysrc", &format!("{name}_enable=YES")])],
    };
    Plan {
        mode: mode(service.platform),
        destination,
        steps,
    }
}

/// `pm2 unstartup`: stop and disable as PM2 does, then remove the script.
pub fn uninstall(service: &Service, root: &Path) -> Plan {
    let destination = under(root, &destination(service));
    let name = service.name.as_str();
    let script = destination.to_string_lossy().into_owned();
    let mut steps = match service.platform {
        Platform::Systemd => vec![
            Step::run_may_fail(&["systemctl", "stop", name]),
            Step::run(&["systemctl", "disable", name]),
        ],
        Platform::Upstart => vec![
            Step::run(&["update-rc.d", name, "disable"]),
            Step::run(&["update-rc.d", "-f", name, "remove"]),
        ],
        Platform::Systemv => vec![
            Step::run(&["chkconfig", name, "off"]),
            Step::run(&["chkconfig", "--del", name]),
        ],
        Platform::Openrc => vec![
            Step::run_may_fail(&[&script, "stop"]),
            Step::run(&["rc-update", "delete", name, "default"]),
        ],
        Platform::Launchd => vec![Step::run_may_fail(&["launchctl", "remove", name])],
        Platform::Rcd => vec![
            Step::run_may_fail(&[&script, "stop"]),
            Step::run(&["sysrc", "-x", &format!("{name}_enable")]),
        ],
    };
    steps.push(Step::Remove(destination.clone()));
    Plan {
        mode: mode(service.platform),
        destination,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(platform: Platform, name: &str) -> Service {
        Service {
            platform,
            user: "app".into(),
            home: "/home/app".into(),
            pm2_home: "/home/app/.pm2".into(),
            name: name.into(),
        }
    }

    fn texts(plan: &Plan) -> Vec<String> {
        plan.steps.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn systemd_as_pm2() {
        let plan = install(&service(Platform::Systemd, "pm2-app"), Path::new("/"));
        assert_eq!(
            plan.destination,
            Path::new("/etc/systemd/system/pm2-app.service")
        );
        assert_eq!(plan.mode, 0o644);
        assert_eq!(texts(&plan), ["systemctl enable pm2-app"]);
        let plan = uninstall(&service(Platform::Systemd, "pm2-app"), Path::new("/"));
        assert_eq!(
            texts(&plan),
            [
                "systemctl stop pm2-app",
                "systemctl disable pm2-app",
                "rm /etc/systemd/system/pm2-app.service"
            ]
        );
    }

    #[test]
    fn paths_go_under_the_root() {
        let root = Path::new("/tmp/root");
        let plan = install(&service(Platform::Systemv, "pm2-app"), root);
        assert_eq!(plan.destination, Path::new("/tmp/root/etc/init.d/pm2-app"));
        assert_eq!(plan.mode, 0o755);
        assert_eq!(
            texts(&plan),
            [
                "touch /tmp/root/var/lock/subsys/pm2-app",
                "chkconfig --add pm2-app",
                "chkconfig pm2-app on"
            ]
        );
        let plan = install(&service(Platform::Launchd, "pm2.app"), root);
        assert_eq!(
            plan.destination,
            Path::new("/tmp/root/home/app/Library/LaunchAgents/pm2.app.plist")
        );
        assert_eq!(
            texts(&plan),
            ["launchctl load -w /tmp/root/home/app/Library/LaunchAgents/pm2.app.plist"]
        );
    }

    #[test]
    fn every_platform_has_a_script_and_removes_it_last() {
        for platform in Platform::ALL {
            let s = service(platform, "svc");
            let installed = install(&s, Path::new("/r"));
            let removed = uninstall(&s, Path::new("/r"));
            assert!(installed.destination.starts_with("/r/"), "{platform}");
            assert!(installed.steps.iter().any(Step::is_command), "{platform}");
            assert_eq!(removed.destination, installed.destination, "{platform}");
            assert_eq!(
                removed.steps.last(),
                Some(&Step::Remove(installed.destination.clone())),
                "{platform}"
            );
        }
    }

    #[test]
    fn other_platforms_as_pm2() {
        let root = Path::new("/");
        let plan = install(&service(Platform::Upstart, "pm2-app"), root);
        assert_eq!(
            texts(&plan),
            [
                "touch /var/lock/subsys/pm2-app",
                "update-rc.d pm2-app defaults"
            ]
        );
        let plan = install(&service(Platform::Openrc, "pm2"), root);
        assert_eq!(plan.destination, Path::new("/etc/init.d/pm2"));
        assert_eq!(texts(&plan), ["rc-update add pm2 default"]);
        let plan = install(&service(Platform::Rcd, "pm2_app"), root);
        assert_eq!(plan.destination, Path::new("/usr/local/etc/rc.d/pm2_app"));
        assert_eq!(texts(&plan), ["sysrc pm2_app_enable=YES"]);
        let plan = uninstall(&service(Platform::Rcd, "pm2_app"), root);
        assert_eq!(
            texts(&plan),
            [
                "/usr/local/etc/rc.d/pm2_app stop",
                "sysrc -x pm2_app_enable",
                "rm /usr/local/etc/rc.d/pm2_app"
            ]
        );
    }
}
