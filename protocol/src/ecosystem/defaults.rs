//! PM2's defaults that its variables change (`constants.js`: `PM2_KILL_TIMEOUT`,
//! `PM2_KILL_SIGNAL`, `PM2_GRACEFUL_LISTEN_TIMEOUT`, `PM2_PROCESS_INSTANCE_VAR`,
//! `PM2_LOG_DATE_FORMAT`, `PM2_KILL_USE_MESSAGE`), read from the caller's environment, where
//! PM2's daemon (started from it) reads them.

use std::collections::BTreeMap;

/// PM2's defaults that variables change (`constants.js`: `PM2_KILL_TIMEOUT`,
/// `PM2_KILL_SIGNAL`, ...), read from the caller's environment, where PM2's daemon (started
/// from it) reads them.
pub(super) struct Defaults<'a>(pub(super) &'a BTreeMap<String, String>);

impl Defaults<'_> {
    pub(super) fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }

    pub(super) fn ms(&self, name: &str) -> Option<u64> {
        self.0.get(name).and_then(|v| v.trim().parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::ecosystem::{resolve, AppConfig, ResolveContext};

    fn context(dir: &Path, vars: &[(&str, &str)]) -> ResolveContext {
        let mut caller_env: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        caller_env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        ResolveContext {
            cwd: dir.to_path_buf(),
            caller_env,
            env_profile: Some("production".into()),
            home: crate::Home::at(dir.join(".pm2")),
            cpus: 2,
        }
    }

    #[test]
    fn pm2s_variables_change_the_defaults_and_options_win() {
        let dir = tempfile::tempdir().unwrap();
        let vars = [
            ("PM2_KILL_TIMEOUT", "5000"),
            ("PM2_KILL_SIGNAL", "SIGTERM"),
            ("PM2_GRACEFUL_LISTEN_TIMEOUT", "8000"),
            ("PM2_PROCESS_INSTANCE_VAR", "INSTANCE_ID"),
            ("PM2_KILL_USE_MESSAGE", "true"),
        ];
        let config = AppConfig {
            script: Some("sleep".into()),
            ..AppConfig::default()
        };
        let spec = resolve(&config, &context(dir.path(), &vars)).unwrap();
        assert_eq!(spec.kill_timeout_ms, 5000);
        assert_eq!(spec.kill_signal, "SIGTERM");
        assert_eq!(spec.listen_timeout_ms, 8000);
        assert_eq!(spec.instance_var, "INSTANCE_ID");
        assert!(spec.shutdown_with_message);
        let given = AppConfig {
            kill_timeout_ms: Some(100),
            ..config
        };
        let spec = resolve(&given, &context(dir.path(), &vars)).unwrap();
        assert_eq!(spec.kill_timeout_ms, 100);
        let spec = resolve(&given, &context(dir.path(), &[])).unwrap();
        assert_eq!(
            (spec.kill_signal.as_str(), spec.listen_timeout_ms),
            ("SIGINT", 3000)
        );
    }

    #[test]
    fn deploy_env_lies_under_env_and_env_profile() {
        let dir = tempfile::tempdir().unwrap();
        let vars = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let config = AppConfig {
            script: Some("sleep".into()),
            deploy_env: [(
                "production".to_string(),
                vars(&[("A", "deploy"), ("B", "deploy")]),
            )]
            .into(),
            env: vars(&[("B", "env"), ("C", "env")]),
            env_profiles: [("production".to_string(), vars(&[("C", "profile")]))].into(),
            ..AppConfig::default()
        };
        let spec = resolve(&config, &context(dir.path(), &[])).unwrap();
        assert_eq!(
            spec.env,
            vars(&[("A", "deploy"), ("B", "env"), ("C", "profile")])
        );
        let mut other = context(dir.path(), &[]);
        other.env_profile = Some("staging".into());
        let spec = resolve(&config, &other).unwrap();
        assert_eq!(spec.env, vars(&[("B", "env"), ("C", "env")]));
    }
}
