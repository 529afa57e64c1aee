//! An app's watch and cron keys: `watch`, `ignore_watch`, `watch_delay`, `watch_options`
//! (`followSymlinks`, `usePolling`, `interval`), `cron_restart` / `cron`.

use super::convert::{boolean, duration_ms, string, whole};
use super::options::App;
use super::tree::{Entry, Value};
use crate::cron::{is_disabled, CronSchedule};
use crate::ecosystem::{AppConfig, EcosystemError};

/// The keys read here.
pub(super) const KEYS: &[&str] = &[
    "watch",
    "ignore_watch",
    "watch_delay",
    "watch_options",
    "cron_restart",
    "cron",
];

impl App<'_> {
    /// Reads one of [`KEYS`] into `config`.
    pub(super) fn watch_option(
        &self,
        entry: &Entry,
        config: &mut AppConfig,
        warnings: &mut Vec<String>,
    ) -> Result<(), EcosystemError> {
        let value = &entry.node.value;
        match entry.key.as_str() {
            "watch" => {
                // jlist shows `watch` for a file's app only when the file sets it, as PM2.
                config
                    .stored_options
                    .insert("watch".to_owned(), value.to_json().to_string());
                config.watch.paths = match value {
                    Value::Bool(true) => Some(Vec::new()),
                    Value::Bool(false) => None,
                    _ => Some(strings(value).ok_or_else(|| {
                        self.type_error(entry, "true, false, a path or a list of paths")
                    })?),
                }
            }
            "ignore_watch" => {
                config.watch.ignore = Some(strings(value).ok_or_else(|| {
                    self.type_error(entry, "a glob or a list of globs (like \"*.log\")")
                })?)
            }
            "watch_delay" => {
                let ms = duration_ms(value)
                    .ok_or_else(|| self.type_error(entry, "a duration in ms or like \"2s\""))?;
                config.watch.delay_ms = Some(ms);
                // jlist shows it only when given, as PM2.
                config
                    .stored_options
                    .insert("watch_delay".to_owned(), ms.to_string());
            }
            "watch_options" => self.watch_options(entry, config, warnings)?,
            _ => config.cron_restart = self.cron(entry)?,
        }
        Ok(())
    }

    fn watch_options(
        &self,
        entry: &Entry,
        config: &mut AppConfig,
        warnings: &mut Vec<String>,
    ) -> Result<(), EcosystemError> {
        let Value::Map(keys) = &entry.node.value else {
            return Err(self.type_error(entry, "a table of watch options"));
        };
        for key in keys {
            let nested = Entry {
                key: format!("{}.{}", entry.key, key.key),
                line: if key.line > 0 { key.line } else { entry.line },
                node: key.node.clone(),
            };
            let value = &key.node.value;
            let flag = || boolean(value).ok_or_else(|| self.type_error(&nested, "true or false"));
            match key.key.as_str() {
                "followSymlinks" => config.watch.follow_symlinks = Some(flag()?),
                "usePolling" => config.watch.use_polling = Some(flag()?),
                "interval" => {
                    config.watch.poll_interval_ms = Some(
                        duration_ms(value)
                            .filter(|&ms| ms > 0)
                            .ok_or_else(|| self.type_error(&nested, "a duration in ms above 0"))?,
                    )
                }
                other => {
                    let message = format!(
                        "{}: watch option {other:?} is not supported (ignored; known: \
                         followSymlinks, usePolling, interval)",
                        self.label
                    );
                    warnings.push(self.warning_at(&nested, &message));
                }
            }
        }
        Ok(())
    }

    /// `cron_restart`: a checked expression, or `None` for `0` (off, as in PM2).
    fn cron(&self, entry: &Entry) -> Result<Option<String>, EcosystemError> {
        let value = &entry.node.value;
        let text = match value {
            Value::Int(_) | Value::Float(_) => whole(value).map(|n| n.to_string()),
            _ => string(value),
        }
        .ok_or_else(|| self.type_error(entry, "a cron expression like \"0 3 * * *\""))?;
        if is_disabled(&text) {
            return Ok(None);
        }
        match CronSchedule::parse(&text) {
            Ok(_) => Ok(Some(text)),
            Err(e) => {
                Err(self.type_error(entry, &format!("a valid cron expression ({})", e.reason)))
            }
        }
    }
}

/// A string or a list of strings.
fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Str(s) => Some(vec![s.clone()]),
        Value::List(items) => items.iter().map(|n| string(&n.value)).collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::ecosystem::{load, Ecosystem, EcosystemError};

    fn load_text(name: &str, text: &str) -> Result<Ecosystem, EcosystemError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        load(&path)
    }

    #[test]
    fn watch_keys_are_read() {
        let file = load_text(
            "ecosystem.toml",
            r#"
[[apps]]
name = "api"
script = "api.js"
watch = ["src", "config"]
ignore_watch = ["*.tmp", "data"]
watch_delay = "2s"
cron_restart = "*/2 * * * * *"

[apps.watch_options]
followSymlinks = false
usePolling = true
interval = 500
awaitWriteFinish = true
"#,
        )
        .unwrap();
        let app = &file.apps[0];
        assert_eq!(app.watch.paths, Some(vec!["src".into(), "config".into()]));
        assert_eq!(app.watch.ignore, Some(vec!["*.tmp".into(), "data".into()]));
        assert_eq!(app.watch.delay_ms, Some(2000));
        assert_eq!(app.watch.follow_symlinks, Some(false));
        assert_eq!(app.watch.use_polling, Some(true));
        assert_eq!(app.watch.poll_interval_ms, Some(500));
        assert_eq!(app.cron_restart.as_deref(), Some("*/2 * * * * *"));
        assert!(app.inert_options.is_empty());
        assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
        assert!(file.warnings[0].contains("awaitWriteFinish"));
    }

    #[test]
    fn watch_true_false_and_cron_zero() {
        let file = load_text(
            "ecosystem.json",
            r#"{"apps": [{"name": "a", "script": "a.js", "watch": true, "cron": 0},
                         {"name": "b", "script": "b.js", "watch": false}]}"#,
        )
        .unwrap();
        assert_eq!(file.apps[0].watch.paths, Some(Vec::new()));
        assert_eq!(file.apps[0].cron_restart, None);
        assert_eq!(file.apps[1].watch.paths, None);
    }

    #[test]
    fn a_bad_cron_is_an_error_naming_it_and_its_line() {
        let error = load_text(
            "ecosystem.toml",
            "[[apps]]\nname = \"api\"\nscript = \"api.js\"\ncron_restart = \"61 * * * *\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("ecosystem.toml:4:"), "{error}");
        assert!(error.contains("\"61 * * * *\""), "{error}");
        assert!(error.contains("cron_restart"), "{error}");
        assert!(!error.contains('\n'), "{error}");
    }
}
