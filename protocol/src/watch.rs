//! File watching as an app asks for it: `watch`, `ignore_watch`, `watch_delay` and
//! `watch_options` (PM2's names), as written by the user ([`WatchConfig`]) and as the daemon
//! runs it ([`WatchSpec`]).
//!
//! The spec is part of [`crate::AppSpec`] so that `pm2 ls`, `jlist`, `describe` and
//! `pm2 save` see whether an app is watched; `enabled` is the one part that changes at run
//! time (`pm2 stop` turns it off, `pm2 restart --watch` toggles it, as in PM2).

use serde::{Deserialize, Serialize};

/// `watch_delay` when not given: how long the watched tree must stay quiet after a change
/// before the app restarts, so that a burst of writes gives one restart.
pub const DEFAULT_WATCH_DELAY_MS: u64 = 1000;

/// chokidar's default `interval` for `usePolling`, in ms.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 100;

/// How an app's files are watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchSpec {
    /// Watching is on: a change restarts the app.
    pub enabled: bool,
    /// What to watch, as written (relative to the app's cwd, or absolute); empty: the cwd.
    pub paths: Vec<String>,
    /// `ignore_watch` as written (globs); `None`: PM2's default, dot files and
    /// `node_modules`. `PM2_HOME` and the app's own log and pid files are always ignored.
    pub ignore: Option<Vec<String>>,
    /// `watch_delay`: quiet time after the last change before the restart, in ms.
    pub delay_ms: u64,
    /// `watch_options.followSymlinks`: descend into symbolically linked folders.
    pub follow_symlinks: bool,
    /// `watch_options.usePolling`: look for changes by reading the tree at an interval
    /// (network file systems, some containers) instead of kernel notifications.
    pub use_polling: bool,
    /// `watch_options.interval`: how often polling reads the tree, in ms.
    pub poll_interval_ms: u64,
    /// `--ext js,json`: only changes to files with these extensions count (all when empty).
    #[serde(default)]
    pub extensions: Vec<String>,
}

impl Default for WatchSpec {
    /// Not watching, with PM2's (and chokidar's) defaults for the rest.
    fn default() -> Self {
        WatchSpec {
            enabled: false,
            paths: Vec::new(),
            ignore: None,
            delay_ms: DEFAULT_WATCH_DELAY_MS,
            follow_symlinks: true,
            use_polling: false,
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            extensions: Vec::new(),
        }
    }
}

/// The watch options as the user wrote them (ecosystem keys or `pm2 start` flags); `None`
/// means not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchConfig {
    /// `watch`: `None` or `false` is off; `true` is `Some(vec![])` (the cwd); a path or a
    /// list of paths watches those.
    pub paths: Option<Vec<String>>,
    /// `ignore_watch`.
    pub ignore: Option<Vec<String>>,
    /// `watch_delay` in ms.
    pub delay_ms: Option<u64>,
    /// `watch_options.followSymlinks`.
    pub follow_symlinks: Option<bool>,
    /// `watch_options.usePolling`.
    pub use_polling: Option<bool>,
    /// `watch_options.interval` in ms.
    pub poll_interval_ms: Option<u64>,
    /// `--ext`: extensions whose files count (without the dot).
    pub extensions: Option<Vec<String>>,
}

impl WatchConfig {
    /// The spec these options give, defaults filled in.
    pub fn to_spec(&self) -> WatchSpec {
        let default = WatchSpec::default();
        WatchSpec {
            enabled: self.paths.is_some(),
            paths: self.paths.clone().unwrap_or_default(),
            ignore: self.ignore.clone(),
            delay_ms: self.delay_ms.unwrap_or(default.delay_ms),
            follow_symlinks: self.follow_symlinks.unwrap_or(default.follow_symlinks),
            use_polling: self.use_polling.unwrap_or(default.use_polling),
            poll_interval_ms: self
                .poll_interval_ms
                .unwrap_or(default.poll_interval_ms)
                .max(1),
            extensions: self.extensions.clone().unwrap_or_default(),
        }
    }
}

/// How [`crate::Request::Watch`] changes the watching of the apps it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchChange {
    /// Start watching (with the app's paths, or its cwd).
    Enable,
    /// Stop watching.
    Disable,
    /// Enable when off, disable when on (`pm2 restart <app> --watch`).
    Toggle,
}

/// `--watch-delay` as PM2 reads it: seconds (`4`, `1.5`), or milliseconds with `ms`
/// (`4000ms`).
pub fn parse_watch_delay_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, factor) = match text.strip_suffix("ms") {
        Some(ms) => (ms.trim(), 1.0),
        None => (text, 1000.0),
    };
    let value: f64 = number.parse().ok()?;
    let ms = value * factor;
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_true_watches_the_cwd_with_defaults() {
        let config = WatchConfig {
            paths: Some(Vec::new()),
            ..WatchConfig::default()
        };
        let spec = config.to_spec();
        assert!(spec.enabled);
        assert!(spec.paths.is_empty());
        assert_eq!(spec.ignore, None);
        assert_eq!(spec.delay_ms, DEFAULT_WATCH_DELAY_MS);
        assert!(spec.follow_symlinks);
        assert!(!WatchConfig::default().to_spec().enabled);
    }

    #[test]
    fn watch_delay_flag_reads_seconds_or_ms_as_pm2() {
        assert_eq!(parse_watch_delay_ms("4"), Some(4000));
        assert_eq!(parse_watch_delay_ms("1.5"), Some(1500));
        assert_eq!(parse_watch_delay_ms("4000ms"), Some(4000));
        assert_eq!(parse_watch_delay_ms("0"), Some(0));
        assert_eq!(parse_watch_delay_ms("soon"), None);
        assert_eq!(parse_watch_delay_ms("-1"), None);
    }
}
