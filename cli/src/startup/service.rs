//! Who the boot service runs as: user, home, `PM2_HOME`, service name, from PM2's options
//! (`-u`, `--hp`, `--service-name`) and the environment.

use std::path::{Path, PathBuf};

use super::{Platform, StartupError};

/// The options of `pm2 startup` / `pm2 unstartup` that shape the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// `-u <user>`.
    pub user: Option<String>,
    /// `--hp <home>`.
    pub home: Option<String>,
    /// `--service-name <name>`.
    pub service_name: Option<String>,
}

/// What the caller's environment says, gathered once so resolution stays testable.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The name of the effective user, from the user database.
    pub current_user: Option<String>,
    /// `$USER`, then `$LOGNAME`.
    pub user_var: Option<String>,
    /// `$HOME`.
    pub home_var: Option<PathBuf>,
    /// The `PM2_HOME` in force (`$PM2_HOME`, else `$HOME/.pm2`).
    pub pm2_home: Option<PathBuf>,
    /// The working directory, for a relative `--hp`.
    pub cwd: PathBuf,
}

impl Environment {
    /// The environment of this process.
    pub fn current(pm2_home: Option<PathBuf>) -> Environment {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        Environment {
            current_user: nix::unistd::User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map(|u| u.name),
            user_var: var("USER").or_else(|| var("LOGNAME")),
            home_var: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            pm2_home,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        }
    }
}

/// A user's home directory from the user database.
pub fn home_of(user: &str) -> Option<PathBuf> {
    nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .map(|u| u.dir)
}

/// The boot service, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The init system.
    pub platform: Platform,
    /// The user the daemon runs as.
    pub user: String,
    /// That user's home (`--hp`): the base of a launchd agent's path.
    pub home: PathBuf,
    /// The daemon's `PM2_HOME`.
    pub pm2_home: PathBuf,
    /// The service's name: `pm2-<user>` (openrc: `pm2`; launchd: `pm2.<user>`;
    /// rcd: `pm2_<user>`), or `--service-name`.
    pub name: String,
}

/// Resolves the service as PM2 does: the user is `-u`, else the current user; the home is
/// `--hp`, else that user's home (`$HOME` for the current user); `PM2_HOME` is
/// `<home>/.pm2`, except for the current user without `--hp`, whose `PM2_HOME` in force is
/// kept (PM2's default).
pub fn resolve(
    platform: Platform,
    options: &ServiceOptions,
    env: &Environment,
    lookup_home: impl Fn(&str) -> Option<PathBuf>,
) -> Result<Service, StartupError> {
    let current = env.current_user.clone().or_else(|| env.user_var.clone());
    let user = match (&options.user, &current) {
        (Some(user), _) => user.clone(),
        (None, Some(current)) => current.clone(),
        (None, None) => return Err(StartupError::NoUser),
    };
    check_name("user", &user)?;
    let is_current = current.as_deref() == Some(user.as_str());
    let (home, pm2_home) = match &options.home {
        Some(home) => {
            let home = absolute(&env.cwd, Path::new(home));
            let pm2_home = home.join(".pm2");
            (home, pm2_home)
        }
        None if is_current => {
            let home = env
                .home_var
                .clone()
                .or_else(|| lookup_home(&user))
                .ok_or(StartupError::NoHome)?;
            let pm2_home = env.pm2_home.clone().unwrap_or_else(|| home.join(".pm2"));
            (home, pm2_home)
        }
        None => {
            let home = lookup_home(&user).ok_or_else(|| StartupError::UnknownUser(user.clone()))?;
            let pm2_home = home.join(".pm2");
            (home, pm2_home)
        }
    };
    let name = match &options.service_name {
        Some(name) => name.clone(),
        None => default_name(platform, &user),
    };
    let name = match platform {
        // PM2's openrc script is always `pm2`.
        Platform::Openrc => "pm2".to_owned(),
        _ => name,
    };
    check_name("service name", &name)?;
    Ok(Service {
        platform,
        user,
        home,
        pm2_home,
        name,
    })
}

/// PM2's default service names.
fn default_name(platform: Platform, user: &str) -> String {
    match platform {
        Platform::Launchd => format!("pm2.{user}"),
        Platform::Rcd => format!("pm2_{user}"),
        _ => format!("pm2-{user}"),
    }
}

/// Names go into file names and commands: keep them to the portable set.
fn check_name(what: &'static str, value: &str) -> Result<(), StartupError> {
    let ok = !value.is_empty()
        && !value.starts_with('-')
        && !value.chars().all(|c| c == '.')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(StartupError::BadName {
            what,
            value: value.to_owned(),
        })
    }
}

/// `path` made absolute against `cwd` (as `path.resolve` does, `..` kept).
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            current_user: Some("alice".into()),
            user_var: Some("alice".into()),
            home_var: Some("/home/alice".into()),
            pm2_home: Some("/srv/pm2".into()),
            cwd: "/work".into(),
        }
    }

    fn lookup(user: &str) -> Option<PathBuf> {
        (user == "bob").then(|| PathBuf::from("/home/bob"))
    }

    fn resolve_with(platform: Platform, options: ServiceOptions) -> Result<Service, StartupError> {
        resolve(platform, &options, &env(), lookup)
    }

    #[test]
    fn defaults_are_the_current_user_and_pm2_home() {
        let s = resolve_with(Platform::Systemd, ServiceOptions::default()).unwrap();
        assert_eq!(s.user, "alice");
        assert_eq!(s.home, PathBuf::from("/home/alice"));
        assert_eq!(s.pm2_home, PathBuf::from("/srv/pm2"));
        assert_eq!(s.name, "pm2-alice");
    }

    #[test]
    fn another_user_gets_their_home() {
        let options = ServiceOptions {
            user: Some("bob".into()),
            ..Default::default()
        };
        let s = resolve_with(Platform::Systemd, options).unwrap();
        assert_eq!(s.home, PathBuf::from("/home/bob"));
        assert_eq!(s.pm2_home, PathBuf::from("/home/bob/.pm2"));
        assert_eq!(s.name, "pm2-bob");
    }

    #[test]
    fn hp_wins_and_is_made_absolute() {
        let options = ServiceOptions {
            user: Some("carol".into()),
            home: Some("carol-home".into()),
            ..Default::default()
        };
        let s = resolve_with(Platform::Systemd, options).unwrap();
        assert_eq!(s.home, PathBuf::from("/work/carol-home"));
        assert_eq!(s.pm2_home, PathBuf::from("/work/carol-home/.pm2"));
    }

    #[test]
    fn unknown_user_without_hp_is_an_error() {
        let options = ServiceOptions {
            user: Some("carol".into()),
            ..Default::default()
        };
        let err = resolve_with(Platform::Systemd, options).unwrap_err();
        assert!(
            matches!(err, StartupError::UnknownUser(ref u) if u == "carol"),
            "{err}"
        );
    }

    #[test]
    fn service_names_as_pm2() {
        let name = |platform, custom: Option<&str>| {
            let options = ServiceOptions {
                service_name: custom.map(str::to_owned),
                ..Default::default()
            };
            resolve_with(platform, options).unwrap().name
        };
        assert_eq!(name(Platform::Upstart, None), "pm2-alice");
        assert_eq!(name(Platform::Systemv, None), "pm2-alice");
        assert_eq!(name(Platform::Launchd, None), "pm2.alice");
        assert_eq!(name(Platform::Rcd, None), "pm2_alice");
        assert_eq!(name(Platform::Openrc, None), "pm2");
        assert_eq!(name(Platform::Openrc, Some("web")), "pm2");
        assert_eq!(name(Platform::Systemd, Some("web")), "web");
    }

    #[test]
    fn unsafe_names_are_refused() {
        for (user, service) in [
            ("a b", None),
            ("bob", Some("x;rm -rf /")),
            ("bob", Some("../x")),
            ("bob", Some("..")),
        ] {
            let options = ServiceOptions {
                user: Some(user.into()),
                home: Some("/h".into()),
                service_name: service.map(str::to_owned),
            };
            let err = resolve_with(Platform::Systemd, options).unwrap_err();
            assert!(matches!(err, StartupError::BadName { .. }), "{err}");
        }
    }

    #[test]
    fn no_user_at_all_is_an_error() {
        let env = Environment {
            current_user: None,
            user_var: None,
            ..env()
        };
        let err = resolve(Platform::Systemd, &ServiceOptions::default(), &env, lookup);
        assert!(matches!(err, Err(StartupError::NoUser)));
    }
}
