//! `pm2 set`, `pm2 get`: module_conf.json's values as PM2 prints them.
//!
//! ```text
//! Module: pm2-logrotate
//! $ pm2 set pm2-logrotate:max_size 10M
//! ```

use pm2_protocol::ConfValue;

use super::color::Paint;

/// PM2's `dispKeys`: for each module (all, or only `module`), `Module: <name>` and one
/// copy-pastable `$ pm2 set` line per value. Top-level values are not listed, as in PM2.
pub fn modules(values: &[ConfValue], only: Option<&str>, color: bool) -> String {
    let mut lines = Vec::new();
    let mut current: Option<&str> = None;
    for value in values {
        let Some(module) = value.module.as_deref() else {
            continue;
        };
        if only.is_some_and(|only| only != module) {
            continue;
        }
        if current != Some(module) {
            lines.push(format!(
                "{}{}",
                Paint::BOLD.apply("Module: ", color),
                Paint::BOLD_BLUE.apply(module, color)
            ));
            current = Some(module);
        }
        lines.push(format!("$ pm2 set {module}:{} {}", value.key, value.value));
    }
    lines.join("\n")
}

/// `pm2 get module:key`: `Value for module <module> key <key>: <value>`.
pub fn value(value: &ConfValue, color: bool) -> String {
    match &value.module {
        Some(module) => format!(
            "Value for module {} key {}: {}",
            Paint::BLUE.apply(module, color),
            Paint::BLUE.apply(&value.key, color),
            Paint::BOLD_GREEN.apply(&value.value, color)
        ),
        None => format!("$ pm2 set {} {}", value.key, value.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(module: Option<&str>, key: &str, value: &str) -> ConfValue {
        ConfValue {
            module: module.map(str::to_string),
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn modules_are_listed_as_pm2_lists_them() {
        let values = [
            entry(Some("pm2-logrotate"), "max_size", "10K"),
            entry(Some("pm2-logrotate"), "retain", "2"),
            entry(None, "foo", "bar"),
            entry(Some("other"), "a", "1"),
        ];
        assert_eq!(
            modules(&values, None, false),
            "Module: pm2-logrotate\n$ pm2 set pm2-logrotate:max_size 10K\n\
             $ pm2 set pm2-logrotate:retain 2\nModule: other\n$ pm2 set other:a 1"
        );
        assert_eq!(
            modules(&values, Some("other"), true),
            "\x1b[1mModule: \x1b[22m\x1b[1m\x1b[34mother\x1b[39m\x1b[22m\n$ pm2 set other:a 1"
        );
    }

    #[test]
    fn one_value_is_said_in_a_sentence() {
        assert_eq!(
            value(&entry(Some("pm2-logrotate"), "max_size", "10K"), false),
            "Value for module pm2-logrotate key max_size: 10K"
        );
        assert_eq!(
            value(&entry(Some("m"), "k", "v"), true),
            "Value for module \x1b[34mm\x1b[39m key \x1b[34mk\x1b[39m: \x1b[1m\x1b[32mv\x1b[39m\x1b[22m"
        );
    }
}
