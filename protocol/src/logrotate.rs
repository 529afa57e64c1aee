//! pm2-logrotate's settings: the keys `pm2 set pm2-logrotate:<key> <value>` takes, their
//! defaults and value forms, and [`LogRotate`], the per-app override of ecosystem files.
//!
//! Rotation is built into the daemon (no module to install); it reads the same keys, in the
//! same `module_conf.json` section, as the `pm2-logrotate` module does under PM2. The value
//! forms are shared here so that `pm2 set` and ecosystem files refuse the same mistakes.

use serde::{Deserialize, Serialize};

/// The `module_conf.json` section the settings live in.
pub const MODULE: &str = "pm2-logrotate";

/// Every key with pm2-logrotate's default, in its order.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("max_size", "10M"),
    ("retain", "30"),
    ("compress", "false"),
    ("dateFormat", "YYYY-MM-DD_HH-mm-ss"),
    ("workerInterval", "30"),
    ("rotateInterval", "0 0 * * *"),
    ("rotateModule", "true"),
];

/// Keys pm2-logrotate knows that are stored but have no effect here (`TZ`: dates are the
/// daemon's local time).
pub const STORED_ONLY: &[&str] = &["TZ"];

/// The default of `key`, if it is one of [`DEFAULTS`].
pub fn default_of(key: &str) -> Option<&'static str> {
    DEFAULTS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// One app's rotation settings over the global ones (the `logrotate` table of an app in an
/// ecosystem file); `None` keeps the global value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRotate {
    /// `max_size`, in bytes.
    pub max_size: Option<u64>,
    /// `retain`: rotated files kept per log.
    pub retain: Option<u32>,
    /// `compress`: gzip rotated files.
    pub compress: Option<bool>,
    /// `dateFormat`: moment.js tokens for the rotated file's date.
    pub date_format: Option<String>,
}

impl LogRotate {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == LogRotate::default()
    }
}

/// `max_size`: bytes, or a number with `K`, `M` or `G` (`10M`, `512K`); more than zero.
pub fn parse_max_size(text: &str) -> Result<u64, &'static str> {
    const EXPECTED: &str = "a size above zero like 10M, 512K or 1G";
    match crate::units::parse_size_bytes(text) {
        Some(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(EXPECTED),
    }
}

/// `retain`: how many rotated files of each log to keep (0 or more).
pub fn parse_retain(text: &str) -> Result<u32, &'static str> {
    text.trim()
        .parse()
        .map_err(|_| "a whole number of files (0 or more)")
}

/// `compress`, `rotateModule`: `true` or `false`.
pub fn parse_bool(text: &str) -> Result<bool, &'static str> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("true or false"),
    }
}

/// `dateFormat`: moment.js tokens; it becomes part of a file name, so no `/`.
pub fn parse_date_format(text: &str) -> Result<String, &'static str> {
    if text.trim().is_empty() || text.contains('/') || text.contains('\0') {
        return Err("moment.js date tokens without '/' (like YYYY-MM-DD_HH-mm-ss)");
    }
    Ok(text.to_string())
}

/// `workerInterval`: seconds between size checks, 1 or more.
pub fn parse_worker_interval(text: &str) -> Result<u64, &'static str> {
    match text.trim().parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(secs),
        _ => Err("a whole number of seconds (1 or more)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_pm2_logrotate_writes_them() {
        assert_eq!(parse_max_size("10K"), Ok(10 * 1024));
        assert_eq!(parse_max_size("10M"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_max_size("1G"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_max_size("4096"), Ok(4096));
        assert!(parse_max_size("lots").is_err());
        assert!(parse_max_size("0").is_err());
    }

    #[test]
    fn other_values() {
        assert_eq!(parse_retain("2"), Ok(2));
        assert!(parse_retain("-1").is_err() && parse_retain("all").is_err());
        assert_eq!(parse_bool("true"), Ok(true));
        assert!(parse_bool("yes").is_err());
        assert!(parse_date_format("YYYY/MM").is_err() && parse_date_format(" ").is_err());
        assert_eq!(parse_worker_interval("30"), Ok(30));
        assert!(parse_worker_interval("0").is_err());
        assert_eq!(default_of("retain"), Some("30"));
        assert_eq!(default_of("nope"), None);
    }
}
