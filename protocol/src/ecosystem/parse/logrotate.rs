//! An app's `logrotate` table: pm2-logrotate's keys (`max_size`, `retain`, `compress`,
//! `dateFormat`) overriding the global `pm2 set pm2-logrotate:*` values for its files.

use super::convert::{boolean, size_bytes, string, whole};
use super::options::App;
use super::tree::{Entry, Value};
use crate::ecosystem::EcosystemError;
use crate::logrotate::{parse_date_format, LogRotate};

impl App<'_> {
    /// Reads the `logrotate` table; unknown keys are warned about, wrong values are errors.
    pub(super) fn logrotate(
        &self,
        entry: &Entry,
        warnings: &mut Vec<String>,
    ) -> Result<LogRotate, EcosystemError> {
        let Value::Map(keys) = &entry.node.value else {
            return Err(self.type_error(entry, "a table of pm2-logrotate settings"));
        };
        let mut rotate = LogRotate::default();
        for key in keys {
            let value = &key.node.value;
            let bad = |expected: &str| self.type_error(&self.nested(entry, key), expected);
            match key.key.as_str() {
                "max_size" => {
                    rotate.max_size = Some(
                        size_bytes(value)
                            .filter(|&n| n > 0)
                            .ok_or_else(|| bad("a size above zero like \"10M\" or \"512K\""))?,
                    )
                }
                "retain" => {
                    rotate.retain = Some(
                        whole(value)
                            .and_then(|n| u32::try_from(n).ok())
                            .ok_or_else(|| bad("a whole number of files (0 or more)"))?,
                    )
                }
                "compress" => {
                    rotate.compress = Some(boolean(value).ok_or_else(|| bad("true or false"))?)
                }
                "dateFormat" => {
                    let text = string(value).ok_or_else(|| bad("a string"))?;
                    rotate.date_format = Some(parse_date_format(&text).map_err(bad)?);
                }
                other => {
                    let message = format!(
                        "{}: unknown logrotate option {other:?} (ignored; known: max_size, \
                         retain, compress, dateFormat)",
                        self.label
                    );
                    warnings.push(self.warning_at(&self.nested(entry, key), &message));
                }
            }
        }
        Ok(rotate)
    }

    /// `key` inside the `logrotate` entry, named `logrotate.key` in messages.
    fn nested(&self, table: &Entry, key: &Entry) -> Entry {
        Entry {
            key: format!("{}.{}", table.key, key.key),
            line: if key.line > 0 { key.line } else { table.line },
            node: key.node.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ecosystem::{load, EcosystemError};
    use crate::LogRotate;

    fn load_text(name: &str, text: &str) -> Result<crate::ecosystem::Ecosystem, EcosystemError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        load(&path)
    }

    #[test]
    fn a_logrotate_table_overrides_the_global_keys() {
        let toml = "[[apps]]\nname = \"api\"\nscript = \"a.js\"\n\n[apps.logrotate]\n\
                    max_size = \"1M\"\nretain = 5\ncompress = true\ndateFormat = \"YYYY-MM-DD\"\n";
        let ecosystem = load_text("ecosystem.toml", toml).expect("valid");
        assert!(ecosystem.warnings.is_empty(), "{:?}", ecosystem.warnings);
        assert_eq!(
            ecosystem.apps[0].logrotate,
            LogRotate {
                max_size: Some(1024 * 1024),
                retain: Some(5),
                compress: Some(true),
                date_format: Some("YYYY-MM-DD".into()),
            }
        );
        let json = r#"{"apps": [{"name": "api", "script": "a.js", "logrotate": {"retain": "3"}}]}"#;
        let ecosystem = load_text("ecosystem.json", json).expect("valid");
        assert_eq!(ecosystem.apps[0].logrotate.retain, Some(3));
        assert_eq!(ecosystem.apps[0].logrotate.max_size, None);
    }

    #[test]
    fn bad_logrotate_values_are_errors_at_their_line_and_unknown_keys_warn() {
        let toml = "[[apps]]\nname = \"api\"\nscript = \"a.js\"\n\n[apps.logrotate]\n\
                    max_size = \"lots\"\n";
        match load_text("ecosystem.toml", toml) {
            Err(EcosystemError::Invalid { line, message, .. }) => {
                assert_eq!(line, 6);
                assert!(
                    message.contains("\"logrotate.max_size\" must be a size above zero"),
                    "{message}"
                );
            }
            other => panic!("expected an error, got {other:?}"),
        }
        let toml = "[[apps]]\nname = \"api\"\nscript = \"a.js\"\nlogrotate = { max_sise = 1 }\n";
        let ecosystem = load_text("ecosystem.toml", toml).expect("valid");
        assert_eq!(ecosystem.warnings.len(), 1);
        assert!(
            ecosystem.warnings[0].contains("unknown logrotate option \"max_sise\""),
            "{:?}",
            ecosystem.warnings
        );
        let toml = "[[apps]]\nname = \"api\"\nscript = \"a.js\"\nlogrotate = 3\n";
        assert!(load_text("ecosystem.toml", toml).is_err());
    }
}
