//! `pm2 set`, `pm2 get`, `pm2 unset`: the daemon's side.
//!
//! Values live in `module_conf.json` ([`ConfStore`]). `pm2-logrotate` and `pm2:` values
//! are checked before they are stored, and a change applies at once: the tree's log sinks
//! get the new policy through Root, the daemon's own log through its [`DaemonLog`],
//! `pm2:sysmonit` goes to the Monitor through Root and `pm2:prometheus_port` to the
//! [`Exporter`] (bound before the value is stored, so a taken port is refused). No restart.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use pm2_actors::logsink::{PolicyError, RotationPolicy};
use pm2_actors::root::RootMsg;
use pm2_protocol::logrotate::{self, MODULE};
use pm2_protocol::{ConfValue, Request, Response};
use ractor::ActorRef;
use serde_json::Value;

use crate::conf::{self, Conf, ConfStore};
use crate::daemon_conf;
use crate::daemon_log::DaemonLog;
use crate::metrics::Exporter;

/// What answers the conf requests; clones share the store.
#[derive(Clone)]
pub struct Settings {
    store: Arc<Mutex<ConfStore>>,
    root: ActorRef<RootMsg>,
    daemon_log: DaemonLog,
    exporter: Exporter,
}

impl Settings {
    /// Settings kept in `store`, applied to `root`'s tree, `daemon_log` and `exporter`.
    pub fn new(
        store: ConfStore,
        root: ActorRef<RootMsg>,
        daemon_log: DaemonLog,
        exporter: Exporter,
    ) -> Settings {
        Settings {
            store: Arc::new(Mutex::new(store)),
            root,
            daemon_log,
            exporter,
        }
    }

    /// Answers a conf request; `None` for any other request. File work runs on the blocking
    /// pool, one request at a time.
    pub async fn answer(&self, request: &Request) -> Option<Response> {
        if !matches!(
            request,
            Request::SetConf { .. } | Request::GetConf { .. } | Request::UnsetConf { .. }
        ) {
            return None;
        }
        let settings = self.clone();
        let request = request.clone();
        let answered = tokio::task::spawn_blocking(move || settings.answer_now(request)).await;
        Some(answered.unwrap_or_else(|e| Response::error(format!("settings failed: {e}"))))
    }

    fn answer_now(&self, request: Request) -> Response {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let result = match request {
            Request::SetConf { key, value } => self.set(&store, &key, &value),
            Request::UnsetConf { key } => self.unset(&store, &key),
            Request::GetConf { key } => get(&store, key.as_deref()),
            _ => Err("not a settings request".to_string()),
        };
        result.unwrap_or_else(Response::error)
    }

    fn set(&self, store: &ConfStore, key: &str, value: &str) -> Result<Response, String> {
        let levels = conf::split_key(key);
        let section = levels.first().map(String::as_str);
        let rotation = section == Some(MODULE);
        let daemon = section == Some(daemon_conf::SECTION);
        if rotation {
            match &levels[1..] {
                [name] => RotationPolicy::check(name, value).map_err(|e| e.to_string())?,
                _ => return Err(format!("{key}: expected {MODULE}:<setting> <value>")),
            }
        }
        if let (true, [name]) = (daemon, &levels[1..]) {
            daemon_conf::check(name, value)?;
            if name == daemon_conf::PROMETHEUS_PORT {
                // Bound first: a port that is taken is refused and not stored.
                let port = daemon_conf::port(value)?;
                self.exporter.set_port(port).map_err(|e| e.to_string())?;
            }
        }
        let conf = store.set(key, value).map_err(|e| e.to_string())?;
        tracing::info!(key, value, "setting changed");
        if rotation {
            self.apply(&conf);
        }
        if daemon {
            self.apply_daemon(&conf);
        }
        Ok(Response::Conf(view(&conf)))
    }

    fn unset(&self, store: &ConfStore, key: &str) -> Result<Response, String> {
        let conf = store.unset(key).map_err(|e| e.to_string())?;
        tracing::info!(key, "setting removed");
        let levels = conf::split_key(key);
        let section = levels.first().map(String::as_str);
        if key == "all" || section == Some(MODULE) {
            self.apply(&conf);
        }
        if key == "all" || section == Some(daemon_conf::SECTION) {
            self.apply_daemon(&conf);
        }
        Ok(Response::Conf(view(&conf)))
    }

    /// Gives the `pm2:` section to the Monitor (sysmonit) and the metrics endpoint.
    fn apply_daemon(&self, conf: &Conf) {
        let (settings, problems) = daemon_conf::of(conf);
        for problem in problems {
            tracing::warn!("{problem}; that setting stays off");
        }
        let _ = self.root.cast(RootMsg::SetSysmonit(settings.sysmonit));
        if let Err(e) = self.exporter.set_port(settings.prometheus_port) {
            tracing::warn!("{e}");
        }
    }

    /// Gives the new rotation policy to the tree and to the daemon's log.
    fn apply(&self, conf: &Conf) {
        let (policy, errors) = policy_of(conf);
        for error in errors {
            tracing::warn!("{error}; its default applies");
        }
        let policy = Arc::new(policy);
        self.daemon_log.set_policy(policy.clone());
        let _ = self.root.cast(RootMsg::SetRotation(policy));
    }
}

/// The rotation policy `module_conf.json` sets; bad values keep their defaults and are
/// returned, so that a hand-edited file never stops the daemon.
pub fn policy_of(conf: &Conf) -> (RotationPolicy, Vec<PolicyError>) {
    let values: BTreeMap<String, String> = conf
        .get(MODULE)
        .and_then(Value::as_object)
        .map(|module| {
            module
                .iter()
                .map(|(k, v)| (k.clone(), conf::text_of(v)))
                .collect()
        })
        .unwrap_or_default();
    RotationPolicy::parse_lenient(&values)
}

/// `pm2 get`: everything, one module, or one value; an unknown key is an error.
fn get(store: &ConfStore, key: Option<&str>) -> Result<Response, String> {
    let all = view(&store.load().map_err(|e| e.to_string())?);
    let Some(key) = key.filter(|k| *k != "all") else {
        return Ok(Response::Conf(all));
    };
    let levels = conf::split_key(key);
    let found: Vec<ConfValue> = match levels.as_slice() {
        [] => Vec::new(),
        [name] => {
            let module: Vec<ConfValue> = all
                .iter()
                .filter(|v| v.module.as_deref() == Some(name))
                .cloned()
                .collect();
            if module.is_empty() {
                all.into_iter()
                    .filter(|v| v.module.is_none() && v.key == *name)
                    .collect()
            } else {
                module
            }
        }
        [module, rest @ ..] => {
            let key = rest.join(":");
            let nested = format!("{key}:");
            all.into_iter()
                .filter(|v| v.module.as_deref() == Some(module))
                .filter(|v| v.key == key || v.key.starts_with(&nested))
                .collect()
        }
    };
    if found.is_empty() {
        return Err(format!("Unknown key {key}"));
    }
    Ok(Response::Conf(found))
}

/// Every value for the wire, in file order, with pm2-logrotate's section shown whole (its
/// defaults for keys not set, as if the module were installed).
pub fn view(conf: &Conf) -> Vec<ConfValue> {
    let mut values = Vec::new();
    if !conf.contains_key(MODULE) {
        rotation_view(None, &mut values);
    }
    for (key, value) in conf {
        match value {
            Value::Object(module) if key == MODULE => rotation_view(Some(module), &mut values),
            Value::Object(module) => flatten(key, "", module, &mut values),
            other => values.push(ConfValue {
                module: None,
                key: key.clone(),
                value: conf::text_of(other),
            }),
        }
    }
    values
}

fn rotation_view(set: Option<&serde_json::Map<String, Value>>, out: &mut Vec<ConfValue>) {
    let value = |key: &str| set.and_then(|m| m.get(key)).map(conf::text_of);
    let entry = |key: &str, value: String| ConfValue {
        module: Some(MODULE.to_string()),
        key: key.to_string(),
        value,
    };
    for (key, default) in logrotate::DEFAULTS {
        out.push(entry(
            key,
            value(key).unwrap_or_else(|| default.to_string()),
        ));
    }
    for (key, value) in set.into_iter().flatten() {
        if logrotate::default_of(key).is_none() {
            out.push(entry(key, conf::text_of(value)));
        }
    }
}

fn flatten(
    module: &str,
    prefix: &str,
    table: &serde_json::Map<String, Value>,
    out: &mut Vec<ConfValue>,
) {
    for (key, value) in table {
        let key = format!("{prefix}{key}");
        match value {
            Value::Object(inner) => flatten(module, &format!("{key}:"), inner, out),
            other => out.push(ConfValue {
                module: Some(module.to_string()),
                key,
                value: conf::text_of(other),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(json: &str) -> Conf {
        serde_json::from_str(json).unwrap()
    }

    fn lines(values: &[ConfValue]) -> Vec<String> {
        values
            .iter()
            .map(|v| match &v.module {
                Some(m) => format!("{m}:{} {}", v.key, v.value),
                None => format!("{} {}", v.key, v.value),
            })
            .collect()
    }

    #[test]
    fn the_view_shows_pm2_logrotate_whole_with_what_is_set() {
        let values = view(&conf(
            r#"{"pm2-logrotate": {"retain": "2", "TZ": "UTC"}, "foo": "bar", "m": {"a": {"b": 1}}}"#,
        ));
        assert_eq!(
            lines(&values),
            [
                "pm2-logrotate:max_size 10M",
                "pm2-logrotate:retain 2",
                "pm2-logrotate:compress false",
                "pm2-logrotate:dateFormat YYYY-MM-DD_HH-mm-ss",
                "pm2-logrotate:workerInterval 30",
                "pm2-logrotate:rotateInterval 0 0 * * *",
                "pm2-logrotate:rotateModule true",
                "pm2-logrotate:TZ UTC",
                "foo bar",
                "m:a:b 1",
            ]
        );
    }

    #[test]
    fn get_finds_a_module_a_value_or_says_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfStore::new(dir.path().join("module_conf.json"));
        store.set("pm2-logrotate:max_size", "10K").unwrap();
        store.set("foo", "bar").unwrap();
        let found = |key| match get(&store, Some(key)) {
            Ok(Response::Conf(values)) => lines(&values),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            found("pm2-logrotate:max_size"),
            ["pm2-logrotate:max_size 10K"]
        );
        assert_eq!(found("pm2-logrotate.retain"), ["pm2-logrotate:retain 30"]);
        assert_eq!(found("pm2-logrotate").len(), 7);
        assert_eq!(found("foo"), ["foo bar"]);
        assert_eq!(
            get(&store, Some("nokey:x")).unwrap_err(),
            "Unknown key nokey:x"
        );
    }

    #[test]
    fn the_policy_comes_from_the_module_section() {
        let (policy, errors) = policy_of(&conf(
            r#"{"pm2-logrotate": {"max_size": "10K", "compress": true, "retain": "lots"}}"#,
        ));
        assert_eq!(policy.max_size, 10 * 1024);
        assert!(policy.compress);
        assert_eq!(policy.retain, 30);
        assert_eq!(errors.len(), 1);
    }
}
