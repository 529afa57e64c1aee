//! The rotation policy: pm2-logrotate's settings read into typed values, pure and
//! unit-tested (no files, no clock of its own).
//!
//! [`RotationPolicy`] is the global policy (`pm2 set pm2-logrotate:<key>`); an app's
//! `logrotate` table overrides part of it for its files, giving a [`FileRotation`].

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Local};
use croner::Cron;
use pm2_protocol::logrotate::{self as keys, LogRotate, MODULE};

/// pm2-logrotate's settings, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationPolicy {
    /// `max_size`: a file at or above this many bytes is rotated.
    pub max_size: u64,
    /// `retain`: rotated files kept per log, the newest by name.
    pub retain: u32,
    /// `compress`: gzip rotated files (in the background).
    pub compress: bool,
    /// `dateFormat`: moment.js tokens of the date in rotated file names.
    pub date_format: String,
    /// `workerInterval` in seconds: accepted; sizes are checked on every write instead.
    pub worker_interval_secs: u64,
    /// `rotateInterval`: when every non-empty log is rotated whatever its size.
    pub rotate_interval: Schedule,
    /// `rotateModule`: rotate the daemon's own `pm2.log` too (the modules of PM2 are built
    /// into the daemon here).
    pub rotate_module: bool,
}

/// A `pm2-logrotate` value that cannot be used: one line for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The value has the wrong form.
    #[error("{MODULE}:{key} must be {expected}, got {value:?}")]
    BadValue {
        /// The key.
        key: String,
        /// What was given.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// pm2-logrotate has no such key.
    #[error("{MODULE} has no setting {0:?} (settings: max_size, retain, compress, dateFormat, workerInterval, rotateInterval, rotateModule, TZ)")]
    UnknownKey(String),
}

impl Default for RotationPolicy {
    fn default() -> Self {
        let mut policy = RotationPolicy {
            max_size: 0,
            retain: 0,
            compress: false,
            date_format: String::new(),
            worker_interval_secs: 0,
            rotate_interval: Schedule::daily_at_midnight(),
            rotate_module: true,
        };
        for (key, value) in keys::DEFAULTS {
            // The defaults are valid by construction; a test holds them to it.
            let _ = policy.apply(key, value);
        }
        policy
    }
}

impl RotationPolicy {
    /// The policy from `module_conf.json`'s `pm2-logrotate` values; keys not given keep
    /// pm2-logrotate's defaults. The first bad value is the error.
    pub fn parse(values: &BTreeMap<String, String>) -> Result<Self, PolicyError> {
        let mut policy = RotationPolicy::default();
        for (key, value) in values {
            policy.apply(key, value)?;
        }
        Ok(policy)
    }

    /// As [`parse`](Self::parse), but a bad value keeps its default and is reported: the
    /// daemon starts whatever a hand-edited file says.
    pub fn parse_lenient(values: &BTreeMap<String, String>) -> (Self, Vec<PolicyError>) {
        let mut policy = RotationPolicy::default();
        let errors = values
            .iter()
            .filter_map(|(key, value)| policy.apply(key, value).err())
            .collect();
        (policy, errors)
    }

    /// Checks one value before it is stored (`pm2 set`).
    pub fn check(key: &str, value: &str) -> Result<(), PolicyError> {
        RotationPolicy::default().apply(key, value)
    }

    /// Sets one key from its text.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<(), PolicyError> {
        let bad = |expected: &str| PolicyError::BadValue {
            key: key.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        };
        match key {
            "max_size" => self.max_size = keys::parse_max_size(value).map_err(bad)?,
            "retain" => self.retain = keys::parse_retain(value).map_err(bad)?,
            "compress" => self.compress = keys::parse_bool(value).map_err(bad)?,
            "dateFormat" => self.date_format = keys::parse_date_format(value).map_err(bad)?,
            "workerInterval" => {
                self.worker_interval_secs = keys::parse_worker_interval(value).map_err(bad)?
            }
            "rotateInterval" => self.rotate_interval = Schedule::parse(value).map_err(bad)?,
            "rotateModule" => self.rotate_module = keys::parse_bool(value).map_err(bad)?,
            k if keys::STORED_ONLY.contains(&k) => {}
            other => return Err(PolicyError::UnknownKey(other.to_string())),
        }
        Ok(())
    }

    /// The settings for the files of an app with this override.
    pub fn for_file(&self, app: &LogRotate) -> FileRotation {
        FileRotation {
            max_size: app.max_size.unwrap_or(self.max_size),
            retain: app.retain.unwrap_or(self.retain),
            compress: app.compress.unwrap_or(self.compress),
            date_format: app
                .date_format
                .clone()
                .unwrap_or_else(|| self.date_format.clone()),
        }
    }
}

/// How one file rotates: the global policy with its app's override applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRotation {
    /// Rotate at or above this size, in bytes.
    pub max_size: u64,
    /// Rotated files kept.
    pub retain: u32,
    /// Gzip rotated files.
    pub compress: bool,
    /// Date tokens in the rotated name.
    pub date_format: String,
}

/// A cron schedule (`rotateInterval`): 5 fields, or 6 with seconds first, as node-schedule
/// reads them.
#[derive(Clone, PartialEq, Eq)]
pub struct Schedule {
    text: String,
    cron: Cron,
}

impl Schedule {
    /// Parses a cron expression; the error says what is expected.
    pub fn parse(text: &str) -> Result<Schedule, &'static str> {
        const EXPECTED: &str = "a cron expression like \"0 0 * * *\" (minute hour day month weekday, seconds optional first)";
        let fields = text.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(EXPECTED);
        }
        let cron = text.parse::<Cron>().map_err(|_| EXPECTED)?;
        Ok(Schedule {
            text: text.to_string(),
            cron,
        })
    }

    /// pm2-logrotate's default, `0 0 * * *`.
    pub fn daily_at_midnight() -> Schedule {
        Schedule::parse("0 0 * * *").unwrap_or_else(|_| unreachable!("a valid constant"))
    }

    /// The first time strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: DateTime<Local>) -> Option<DateTime<Local>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_pm2_logrotates() {
        let policy = RotationPolicy::default();
        assert_eq!(policy.max_size, 10 * 1024 * 1024);
        assert_eq!(policy.retain, 30);
        assert!(!policy.compress);
        assert_eq!(policy.date_format, "YYYY-MM-DD_HH-mm-ss");
        assert_eq!(policy.worker_interval_secs, 30);
        assert_eq!(policy.rotate_interval.as_str(), "0 0 * * *");
        assert!(policy.rotate_module);
        for (key, value) in keys::DEFAULTS {
            assert_eq!(RotationPolicy::check(key, value), Ok(()), "{key}");
        }
    }

    #[test]
    fn values_are_read_as_pm2_logrotate_writes_them() {
        let policy = RotationPolicy::parse(&values(&[
            ("max_size", "10K"),
            ("retain", "2"),
            ("compress", "true"),
            ("dateFormat", "YYYY"),
            ("rotateInterval", "*/5 * * * * *"),
            ("rotateModule", "false"),
            ("TZ", "Europe/Paris"),
        ]))
        .unwrap();
        assert_eq!(policy.max_size, 10 * 1024);
        assert_eq!(policy.retain, 2);
        assert!(policy.compress && !policy.rotate_module);
        assert_eq!(policy.date_format, "YYYY");
    }

    #[test]
    fn bad_values_are_refused_with_one_line_naming_the_key() {
        let err = RotationPolicy::check("max_size", "lots").unwrap_err();
        assert_eq!(
            err.to_string(),
            "pm2-logrotate:max_size must be a size above zero like 10M, 512K or 1G, got \"lots\""
        );
        assert!(RotationPolicy::check("retain", "many").is_err());
        assert!(RotationPolicy::check("compress", "yes").is_err());
        assert!(RotationPolicy::check("rotateInterval", "every day").is_err());
        assert!(RotationPolicy::check("rotateInterval", "61 * * * *").is_err());
        assert!(matches!(
            RotationPolicy::check("max-size", "1M"),
            Err(PolicyError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_hand_edited_bad_value_keeps_its_default_when_lenient() {
        let (policy, errors) =
            RotationPolicy::parse_lenient(&values(&[("max_size", "lots"), ("retain", "3")]));
        assert_eq!(policy.max_size, 10 * 1024 * 1024);
        assert_eq!(policy.retain, 3);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn an_app_override_replaces_only_what_it_names() {
        let policy = RotationPolicy::default();
        let file = policy.for_file(&LogRotate {
            retain: Some(5),
            compress: Some(true),
            ..LogRotate::default()
        });
        assert_eq!(file.retain, 5);
        assert!(file.compress);
        assert_eq!(file.max_size, policy.max_size);
        assert_eq!(file.date_format, policy.date_format);
    }

    #[test]
    fn the_default_schedule_is_the_next_midnight() {
        let at = Local.with_ymd_and_hms(2026, 3, 7, 9, 5, 2).unwrap();
        let next = Schedule::daily_at_midnight().next_after(at).unwrap();
        assert_eq!(next, Local.with_ymd_and_hms(2026, 3, 8, 0, 0, 0).unwrap());
        let every_second = Schedule::parse("* * * * * *").unwrap();
        assert_eq!(
            every_second.next_after(at).unwrap(),
            at + chrono::Duration::seconds(1)
        );
    }
}
