//! `module_conf.json`: the values of `pm2 set`, in PM2's format, owned by the daemon.
//!
//! `pm2 set pm2-logrotate:max_size 10M` stores `{"pm2-logrotate": {"max_size": "10M"}}`;
//! a key without `:` or `.` is stored at the top level. Keys are split as PM2 splits them
//! (on `.` when there is one, else on `:`; `"quoted"` parts are kept whole). The file is
//! rewritten whole, atomically (temp file, fsync, rename), with PM2's 4-space indentation.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The values, in file order.
pub type Conf = Map<String, Value>;

/// Why the settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is not a JSON object: it is left alone.
    #[error("{path} is not a JSON object ({reason}); fix or remove it")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// The file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The key is empty or only separators.
    #[error("invalid key {0:?}")]
    BadKey(String),
}

/// `module_conf.json` of one `PM2_HOME`.
#[derive(Debug, Clone)]
pub struct ConfStore {
    path: PathBuf,
}

impl ConfStore {
    /// The store at `path`.
    pub fn new(path: PathBuf) -> ConfStore {
        ConfStore { path }
    }

    /// The file.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every value; a missing or empty file is no values.
    pub fn load(&self) -> Result<Conf, ConfError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Conf::new()),
            Err(source) => {
                return Err(ConfError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        if text.trim().is_empty() {
            return Ok(Conf::new());
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(conf)) => Ok(conf),
            Ok(other) => Err(self.invalid(format!("found {}", kind(&other)))),
            Err(e) => Err(self.invalid(e.to_string())),
        }
    }

    /// Stores `value` at `key` and returns every value (PM2's `Configuration.set`: a level
    /// that is missing or not an object becomes an object).
    pub fn set(&self, key: &str, value: &str) -> Result<Conf, ConfError> {
        let levels = split_key(key);
        let Some((last, parents)) = levels.split_last() else {
            return Err(ConfError::BadKey(key.to_string()));
        };
        let mut conf = self.load()?;
        let mut table = &mut conf;
        for level in parents {
            let slot = table
                .entry(level.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(inner) = slot else {
                unreachable!("just made an object")
            };
            table = inner;
        }
        table.insert(last.clone(), Value::String(value.to_string()));
        self.save(&conf)?;
        Ok(conf)
    }

    /// Removes `key` (`all` empties the file) and returns every value. A key that is not
    /// there is not an error, as in PM2.
    pub fn unset(&self, key: &str) -> Result<Conf, ConfError> {
        let levels = split_key(key);
        let Some((last, parents)) = levels.split_last() else {
            return Err(ConfError::BadKey(key.to_string()));
        };
        let mut conf = self.load()?;
        if key == "all" {
            conf.clear();
        } else {
            let mut table = Some(&mut conf);
            for level in parents {
                table = table
                    .and_then(|t| t.get_mut(level))
                    .and_then(Value::as_object_mut);
            }
            if let Some(table) = table {
                table.shift_remove(last);
            }
        }
        self.save(&conf)?;
        Ok(conf)
    }

    /// Writes the whole file: a temp file beside it, fsync, rename over it.
    fn save(&self, conf: &Conf) -> Result<(), ConfError> {
        let write_error = |source| ConfError::Write {
            path: self.path.clone(),
            source,
        };
        let mut text = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
        serde::Serialize::serialize(conf, &mut serializer)
            .map_err(|e| write_error(io::Error::other(e)))?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let temp = dir.join(format!(".module_conf.json.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = fs::File::create(&temp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            fs::rename(&temp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(write_error(e));
        }
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn invalid(&self, reason: String) -> ConfError {
        ConfError::Invalid {
            path: self.path.clone(),
            reason,
        }
    }
}

/// PM2's `splitKey`: on `.` when the key has one, else on `:`; `"quoted"` parts are whole
/// and lose their quotes; empty parts are dropped.
pub fn split_key(key: &str) -> Vec<String> {
    let separator = if key.contains('.') { '.' } else { ':' };
    let mut levels = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in key.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => levels.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    levels.push(current);
    levels.retain(|level| !level.is_empty());
    levels
}

/// A value as text: strings as they are, numbers and booleans as JSON writes them.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ConfStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfStore::new(dir.path().join("module_conf.json"));
        (dir, store)
    }

    #[test]
    fn keys_split_as_pm2_splits_them() {
        assert_eq!(
            split_key("pm2-logrotate:max_size"),
            ["pm2-logrotate", "max_size"]
        );
        assert_eq!(
            split_key("pm2-logrotate.max_size"),
            ["pm2-logrotate", "max_size"]
        );
        assert_eq!(split_key("a.\"b.c\".d"), ["a", "b.c", "d"]);
        assert_eq!(split_key("top"), ["top"]);
        assert!(split_key("::").is_empty());
    }

    #[test]
    fn set_writes_pm2s_format_and_keeps_the_order() {
        let (_dir, store) = store();
        store.set("pm2-logrotate:max_size", "10K").unwrap();
        store.set("pm2-logrotate:retain", "2").unwrap();
        store.set("foo", "bar").unwrap();
        store.set("pm2-logrotate:max_size", "1M").unwrap();
        let text = fs::read_to_string(store.path()).unwrap();
        assert_eq!(
            text,
            "{\n    \"pm2-logrotate\": {\n        \"max_size\": \"1M\",\n        \"retain\": \"2\"\n    },\n    \"foo\": \"bar\"\n}"
        );
    }

    #[test]
    fn unset_removes_one_key_or_all() {
        let (_dir, store) = store();
        store.set("m:a", "1").unwrap();
        store.set("m:b", "2").unwrap();
        let conf = store.unset("m:a").unwrap();
        assert_eq!(conf["m"], serde_json::json!({"b": "2"}));
        store.unset("nothing:here").unwrap();
        assert!(store.unset("all").unwrap().is_empty());
        assert_eq!(fs::read_to_string(store.path()).unwrap(), "{}");
    }

    #[test]
    fn a_broken_file_is_an_error_and_left_alone() {
        let (_dir, store) = store();
        fs::write(store.path(), "{ not json").unwrap();
        let err = store.set("m:a", "1").unwrap_err().to_string();
        assert!(
            err.contains("module_conf.json is not a JSON object"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(store.path()).unwrap(), "{ not json");
        assert!(store.load().is_err());
    }

    #[test]
    fn values_written_by_pm2_logrotate_read_as_text() {
        let (_dir, store) = store();
        fs::write(
            store.path(),
            r#"{"pm2-logrotate": {"compress": false, "retain": 30, "max_size": "10M"}}"#,
        )
        .unwrap();
        let conf = store.load().unwrap();
        let module = conf["pm2-logrotate"].as_object().unwrap();
        let texts: Vec<String> = module.values().map(text_of).collect();
        assert_eq!(texts, ["false", "30", "10M"]);
    }
}
