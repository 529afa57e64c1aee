//! What differs between the two sides for reasons no user scripts against, removed before
//! comparing: each side's `PM2_HOME` path (-> `$PM2_HOME`), colours, pids, timestamps and
//! uptimes.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// jlist/dump keys whose values are a moment's (pids, start times, resource use): a number
/// above 0 under them becomes `"<volatile>"` (0, as the pid of a stopped process, stays).
const VOLATILE_KEYS: [&str; 6] = [
    "pid",
    "pm_uptime",
    "created_at",
    "monit",
    "axm_monitor",
    "_pm2_version",
];

/// One side's normaliser: knows its home and the pids it saw.
pub struct Normalizer {
    /// The home path as given and as resolved (a temp dir may sit behind a symlink).
    homes: Vec<String>,
    /// App pids (above 300, so small ids and counters are never taken for one).
    pids: Vec<String>,
}

/// Colours and cursor codes.
fn ansi() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").expect("ansi regex"))
}

/// Date-times as PM2 and we print them (ISO, with or without `T`, zone and fraction).
fn timestamp() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
            .expect("timestamp regex")
    })
}

impl Normalizer {
    /// For a side whose home is `home`, having seen `pids`.
    pub fn new(home: &Path, pids: &[i64]) -> Normalizer {
        let mut homes = vec![home.to_string_lossy().into_owned()];
        if let Ok(real) = std::fs::canonicalize(home) {
            homes.push(real.to_string_lossy().into_owned());
        }
        homes.sort_by_key(|h| std::cmp::Reverse(h.len()));
        homes.dedup();
        let pids = pids
            .iter()
            .filter(|&&p| p > 300)
            .map(|p| p.to_string())
            .collect();
        Normalizer { homes, pids }
    }

    /// Text with the home replaced and colours, timestamps and pids removed.
    pub fn text(&self, text: &str) -> String {
        let mut text = ansi().replace_all(text, "").into_owned();
        for home in &self.homes {
            text = text.replace(home.as_str(), "$PM2_HOME");
        }
        text = timestamp().replace_all(&text, "<time>").into_owned();
        for pid in &self.pids {
            let re = Regex::new(&format!(r"\b{pid}\b")).expect("pid regex");
            text = re.replace_all(&text, "<pid>").into_owned();
        }
        text
    }

    /// A JSON value with every string normalised and volatile numbers masked.
    pub fn json(&self, value: &Value) -> Value {
        self.json_under(value, false)
    }

    /// [`Normalizer::json`], `volatile` once under one of [`VOLATILE_KEYS`].
    fn json_under(&self, value: &Value, volatile: bool) -> Value {
        match value {
            Value::String(s) => Value::String(self.home_only(s)),
            Value::Number(n) if volatile && n.as_f64().is_some_and(|f| f > 0.0) => {
                Value::String("<volatile>".to_string())
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.json_under(v, volatile)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let under = volatile || VOLATILE_KEYS.contains(&k.as_str());
                        (k.clone(), self.json_under(v, under))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A string value with only the home replaced (values are compared exactly otherwise).
    fn home_only(&self, s: &str) -> String {
        let mut s = s.to_string();
        for home in &self.homes {
            s = s.replace(home.as_str(), "$PM2_HOME");
        }
        s
    }
}

/// The value at a dotted path (`pm2_env.env.FOO`), `None` when any part is missing.
pub fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// How a value shows in reports: compact JSON, `<missing>` when absent.
pub fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "<missing>".to_string(), |v| v.to_string())
}

#[test]
fn normalises_home_colour_time_and_pid() {
    let n = Normalizer::new(Path::new("/tmp/h1"), &[4242, 7]);
    assert_eq!(
        n.text("\x1b[32m[PM2]\x1b[39m /tmp/h1/logs 2024-01-02T03:04:05.678Z pid 4242 id 7"),
        "[PM2] $PM2_HOME/logs <time> pid <pid> id 7"
    );
}

#[test]
fn masks_volatile_numbers_but_keeps_zero() {
    let n = Normalizer::new(Path::new("/tmp/h1"), &[]);
    let value = serde_json::json!({
        "pid": 0,
        "monit": { "memory": 1234, "cpu": 0 },
        "pm2_env": { "pm_uptime": 99, "restart_time": 2, "pm_cwd": "/tmp/h1/x" }
    });
    assert_eq!(
        n.json(&value),
        serde_json::json!({
            "pid": 0,
            "monit": { "memory": "<volatile>", "cpu": 0 },
            "pm2_env": { "pm_uptime": "<volatile>", "restart_time": 2, "pm_cwd": "$PM2_HOME/x" }
        })
    );
}
