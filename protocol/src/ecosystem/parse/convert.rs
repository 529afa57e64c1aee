//! Option values as PM2 accepts them: numbers or strings with units, `"max"`, words, tables
//! of variables. Each returns `None` when the value has the wrong type or form.

use std::collections::BTreeMap;

use super::tree::{float_text, Value};
use crate::ecosystem::Instances;
use crate::units::{parse_duration_ms, parse_size_bytes};
use crate::ExecMode;

/// A string.
pub(super) fn string(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// `true`/`false`, also written as strings.
pub(super) fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Str(s) if s == "true" => Some(true),
        Value::Str(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A whole number: an integer, an integral float, or a string of digits.
pub(super) fn whole(value: &Value) -> Option<i128> {
    match value {
        Value::Int(n) => Some(*n),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => Some(*f as i128),
        Value::Str(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    }
}

/// `4`, `"max"` or `0` (all cores), `-1` (all cores but one), also as strings.
pub(super) fn instances(value: &Value) -> Option<Instances> {
    if let Value::Str(s) = value {
        if s.trim().eq_ignore_ascii_case("max") {
            return Some(Instances::Max);
        }
    }
    let n = whole(value)?;
    match n {
        0 => Some(Instances::Max),
        n if n > 0 => u32::try_from(n).ok().map(Instances::Count),
        n => u32::try_from(-n).ok().map(Instances::AllBut),
    }
}

/// `fork`, `fork_mode`, `cluster`, `cluster_mode`.
pub(super) fn exec_mode(value: &Value) -> Option<ExecMode> {
    match value {
        Value::Str(s) => match s.trim() {
            "fork" | "fork_mode" => Some(ExecMode::Fork),
            "cluster" | "cluster_mode" => Some(ExecMode::Cluster),
            _ => None,
        },
        _ => None,
    }
}

/// Milliseconds, or a string with a unit (`10s`, `1m`).
pub(super) fn duration_ms(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f as u64),
        Value::Str(s) => parse_duration_ms(s),
        _ => None,
    }
}

/// Bytes, or a string with a unit (`150M`, `1G`).
pub(super) fn size_bytes(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f as u64),
        Value::Str(s) => parse_size_bytes(s),
        _ => None,
    }
}

/// An exit code or a list of them.
pub(super) fn exit_codes(value: &Value) -> Option<Vec<i32>> {
    let code = |v: &Value| whole(v).and_then(|n| i32::try_from(n).ok());
    match value {
        Value::List(items) => items.iter().map(|n| code(&n.value)).collect(),
        other => code(other).map(|c| vec![c]),
    }
}

/// `5000` or `[5000, 5001]`: ports 1 to 65535, each once, in the order given.
pub(super) fn udp_ports(value: &Value) -> Option<Vec<u16>> {
    let port = |v: &Value| {
        whole(v)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|&p| p > 0)
    };
    let ports = match value {
        Value::List(items) => items
            .iter()
            .map(|n| port(&n.value))
            .collect::<Option<Vec<_>>>()?,
        other => vec![port(other)?],
    };
    let mut unique = Vec::new();
    for p in ports {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    Some(unique)
}

/// A scalar as an environment value: numbers and booleans as they read.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(float_text(*f)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::List(_) | Value::Map(_) => None,
    }
}

/// `args`-like values: a string split shell-like, or a list of scalars.
pub(super) fn words(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Str(s) => Some(split_words(s)),
        Value::List(items) => items.iter().map(|n| scalar_text(&n.value)).collect(),
        _ => None,
    }
}

/// A table of variables; lists and tables inside are kept as JSON text, `null` is skipped.
pub(super) fn env(value: &Value) -> Option<BTreeMap<String, String>> {
    let Value::Map(entries) = value else {
        return None;
    };
    Some(
        entries
            .iter()
            .filter_map(|e| {
                let text = match &e.node.value {
                    Value::Null => return None,
                    v @ (Value::List(_) | Value::Map(_)) => v.to_json().to_string(),
                    v => scalar_text(v)?,
                };
                Some((e.key.clone(), text))
            })
            .collect(),
    )
}

/// The variables of an env table written as numbers or booleans, as JSON literals: PM2
/// keeps their type in `pm2_env` (`PORT: 3000`), though the process sees text.
pub(super) fn env_literals(value: &Value) -> BTreeMap<String, String> {
    let Value::Map(entries) = value else {
        return BTreeMap::new();
    };
    entries
        .iter()
        .filter(|e| {
            matches!(
                e.node.value,
                Value::Int(_) | Value::Float(_) | Value::Bool(_)
            )
        })
        .map(|e| (e.key.clone(), e.node.value.to_json().to_string()))
        .collect()
}

/// Splits a command line into words: blanks separate, `'…'` is literal, `"…"` allows `\"`
/// and `\\`, a backslash outside quotes escapes the next character. An unclosed quote runs
/// to the end.
pub(super) fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(next @ ('"' | '\\')) => word.push(next),
                            Some(next) => {
                                word.push('\\');
                                word.push(next);
                            }
                            None => word.push('\\'),
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}
