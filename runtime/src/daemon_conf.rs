//! The daemon's own settings, PM2's `pm2:` section of `module_conf.json`:
//!
//! - `pm2 set pm2:sysmonit true|false`: the Monitor samples the host's vitals (the host
//!   line of `pm2 ls`, `Request::Vitals`);
//! - `pm2 set pm2:prometheus_port <port>` (ours): `GET /metrics` on `127.0.0.1:<port>`;
//!   0 or `pm2 unset` stops it.
//!
//! Values are checked before they are stored, so `pm2 set` refuses a bad one with one
//! line; a hand-edited file with a bad value is reported in `pm2.log` and that setting
//! stays off, never stopping the daemon.

use serde_json::Value;

use crate::conf::{self, Conf};

/// The section's name: `pm2:sysmonit` is `{"pm2": {"sysmonit": ...}}`.
pub const SECTION: &str = "pm2";
/// Key of the host vitals switch.
pub const SYSMONIT: &str = "sysmonit";
/// Key of the Prometheus endpoint's port.
pub const PROMETHEUS_PORT: &str = "prometheus_port";

/// What the `pm2:` section sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaemonConf {
    /// Sample the host each second.
    pub sysmonit: bool,
    /// Serve `/metrics` on this loopback port.
    pub prometheus_port: Option<u16>,
}

/// Checks a value for `pm2:<name>` before it is stored; other names are PM2's and kept
/// as given.
pub fn check(name: &str, value: &str) -> Result<(), String> {
    match name {
        SYSMONIT => sysmonit(value).map(drop),
        PROMETHEUS_PORT => port(value).map(drop),
        _ => Ok(()),
    }
}

/// `true` or `false`.
fn sysmonit(value: &str) -> Result<bool, String> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!(
            "invalid value {other:?} for {SECTION}:{SYSMONIT}: expected true or false"
        )),
    }
}

/// A port number, 0 meaning none.
pub fn port(value: &str) -> Result<Option<u16>, String> {
    match value.trim().parse::<u16>() {
        Ok(0) => Ok(None),
        Ok(port) => Ok(Some(port)),
        Err(_) => Err(format!(
            "invalid value {value:?} for {SECTION}:{PROMETHEUS_PORT}: expected a port \
             number from 1 to 65535 (0 to stop serving)"
        )),
    }
}

/// The section as set in `conf`, and a line for each bad value (its setting stays off).
pub fn of(conf: &Conf) -> (DaemonConf, Vec<String>) {
    let mut problems = Vec::new();
    let section = conf.get(SECTION).and_then(Value::as_object);
    let value = |key: &str| section.and_then(|s| s.get(key)).map(conf::text_of);
    let mut settings = DaemonConf::default();
    if let Some(text) = value(SYSMONIT) {
        match sysmonit(&text) {
            Ok(on) => settings.sysmonit = on,
            Err(e) => problems.push(e),
        }
    }
    if let Some(text) = value(PROMETHEUS_PORT) {
        match port(&text) {
            Ok(port) => settings.prometheus_port = port,
            Err(e) => problems.push(e),
        }
    }
    (settings, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(json: &str) -> Conf {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn values_are_checked_before_they_are_stored() {
        assert_eq!(check(SYSMONIT, "true"), Ok(()));
        assert_eq!(check(SYSMONIT, "false"), Ok(()));
        let bad = check(SYSMONIT, "yes please").unwrap_err();
        assert_eq!(
            bad,
            "invalid value \"yes please\" for pm2:sysmonit: expected true or false"
        );
        assert_eq!(check(PROMETHEUS_PORT, "9209"), Ok(()));
        assert_eq!(check(PROMETHEUS_PORT, "0"), Ok(()));
        for bad in ["abc", "-1", "65536", "", "92 09"] {
            let message = check(PROMETHEUS_PORT, bad).unwrap_err();
            assert!(
                message.starts_with(&format!("invalid value {bad:?} for pm2:prometheus_port")),
                "{message}"
            );
        }
        assert_eq!(check("anything_else", "x"), Ok(()));
    }

    #[test]
    fn the_section_is_read_leniently() {
        assert_eq!(of(&conf("{}")), (DaemonConf::default(), vec![]));
        let (set, problems) = of(&conf(
            r#"{"pm2": {"sysmonit": "true", "prometheus_port": "9209"}}"#,
        ));
        assert_eq!(
            set,
            DaemonConf {
                sysmonit: true,
                prometheus_port: Some(9209)
            }
        );
        assert!(problems.is_empty());
        let (set, problems) = of(&conf(
            r#"{"pm2": {"sysmonit": "maybe", "prometheus_port": 0}}"#,
        ));
        assert_eq!(set, DaemonConf::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
