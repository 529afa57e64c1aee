//! Options given with `pm2 restart` / `pm2 reload` that change the app for good, as PM2's
//! `_handleAttributeUpdate` applies command-line options to the process it restarts
//! (`pm2 reload api --node-args="--max-old-space-size=512"`).

use serde::{Deserialize, Serialize};

use crate::AppSpec;

/// The options given; `None` leaves the app's value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    /// `--node-args` / `--interpreter-args`.
    pub interpreter_args: Option<Vec<String>>,
    /// Arguments after `--`.
    pub args: Option<Vec<String>>,
    /// `--max-memory-restart`, bytes.
    pub max_memory_restart: Option<u64>,
    /// `--kill-timeout`, ms.
    pub kill_timeout_ms: Option<u64>,
    /// `--listen-timeout`, ms.
    pub listen_timeout_ms: Option<u64>,
    /// `--restart-delay`, ms.
    pub restart_delay_ms: Option<u64>,
    /// `--exp-backoff-restart-delay`, ms.
    pub exp_backoff_restart_delay_ms: Option<u64>,
    /// `--max-restarts`.
    pub max_restarts: Option<u32>,
    /// `--min-uptime`, ms.
    pub min_uptime_ms: Option<u64>,
    /// `--log-date-format` (or `--time`'s default format).
    pub log_date_format: Option<String>,
    /// `--wait-ready`.
    pub wait_ready: Option<bool>,
    /// `--shutdown-with-message`.
    pub shutdown_with_message: Option<bool>,
}

impl Attributes {
    /// True when nothing is given.
    pub fn is_empty(&self) -> bool {
        self == &Attributes::default()
    }

    /// Writes the given options into `spec`.
    pub fn apply(&self, spec: &mut AppSpec) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(value) = value {
                *target = value.clone();
            }
        }
        set(&mut spec.interpreter_args, &self.interpreter_args);
        set(&mut spec.args, &self.args);
        if self.max_memory_restart.is_some() {
            spec.max_memory_restart = self.max_memory_restart;
        }
        set(&mut spec.kill_timeout_ms, &self.kill_timeout_ms);
        set(&mut spec.listen_timeout_ms, &self.listen_timeout_ms);
        set(&mut spec.restart_delay_ms, &self.restart_delay_ms);
        if self.exp_backoff_restart_delay_ms.is_some() {
            spec.exp_backoff_restart_delay_ms = self.exp_backoff_restart_delay_ms;
        }
        set(&mut spec.max_restarts, &self.max_restarts);
        set(&mut spec.min_uptime_ms, &self.min_uptime_ms);
        if let Some(format) = &self.log_date_format {
            spec.log_date_format = Some(format.clone());
            spec.time = true;
        }
        set(&mut spec.wait_ready, &self.wait_ready);
        set(&mut spec.shutdown_with_message, &self.shutdown_with_message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_options_replace_the_apps_and_the_rest_stays() {
        let mut spec = AppSpec::new("a", "/bin/true".into(), "/".into(), "/tmp/a.pid".into());
        spec.interpreter_args = vec!["--old".into()];
        spec.args = vec!["keep".into()];
        let attributes = Attributes {
            interpreter_args: Some(vec!["--max-old-space-size=100".into()]),
            max_memory_restart: Some(1024),
            kill_timeout_ms: Some(5000),
            ..Attributes::default()
        };
        assert!(!attributes.is_empty() && Attributes::default().is_empty());
        attributes.apply(&mut spec);
        assert_eq!(spec.interpreter_args, vec!["--max-old-space-size=100"]);
        assert_eq!(spec.args, vec!["keep"]);
        assert_eq!(spec.max_memory_restart, Some(1024));
        assert_eq!(spec.kill_timeout_ms, 5000);
        assert_eq!(spec.restart_delay_ms, 0);
    }
}
