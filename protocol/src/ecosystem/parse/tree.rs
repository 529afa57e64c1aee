//! A format-neutral tree of the document (TOML, JSON, YAML) that remembers where keys are.
//!
//! TOML keeps its spans, so every key's line is known up front. JSON and YAML readers give
//! no positions: their lines are left at 0 and found on demand by [`super::locate`].

use std::fmt;
use std::ops::Range;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use super::locate::KeyVisitor;

/// A value of the document, with the 1-based line where it starts (0 when not known yet).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line of the value's start, 0 when unknown.
    pub line: usize,
}

/// A scalar, list or table.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    /// `null`, `~`, or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i128),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Node>),
    /// A table, in file order.
    Map(Vec<Entry>),
}

/// One `key = value` of a table.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    /// The key.
    pub key: String,
    /// 1-based line of the key, 0 when unknown.
    pub line: usize,
    /// The value.
    pub node: Node,
}

/// One step of the way from the document's root to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    /// The value under this key of a table.
    Key(String),
    /// The element at this index of a list.
    Index(usize),
}

impl Node {
    fn unplaced(value: Value) -> Node {
        Node { value, line: 0 }
    }
}

impl Value {
    /// The entry under `key`, if this is a table holding it.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match self {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// How the value reads in an error message: `true`, `12`, `"lots"`, `a list`.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(f) => float_text(*f),
            Value::Str(s) => format!("{s:?}"),
            Value::List(_) => "a list".to_owned(),
            Value::Map(_) => "a table".to_owned(),
        }
    }

    /// The value as compact JSON (for env values that are lists or tables).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(n) => match (i64::try_from(*n), u64::try_from(*n)) {
                (Ok(n), _) => n.into(),
                (_, Ok(n)) => n.into(),
                _ => serde_json::Value::String(n.to_string()),
            },
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => items.iter().map(|n| n.value.to_json()).collect(),
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.node.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A float as JavaScript would print it, near enough: `2`, `1.5`, `1e300`.
pub(super) fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f}")
    } else {
        format!("{f:?}")
    }
}

/// 1-based line of a byte offset in `src`.
pub(super) fn line_at(src: &str, offset: usize) -> usize {
    let bytes = src.as_bytes();
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Builds the tree of a parsed TOML document, with every line filled in from its spans.
pub(super) fn from_toml(src: &str, table: &toml::Spanned<toml::de::DeTable<'_>>) -> Node {
    Node {
        value: toml_table(src, table.get_ref()),
        line: line_at(src, table.span().start),
    }
}

fn toml_table(src: &str, table: &toml::de::DeTable<'_>) -> Value {
    let mut entries: Vec<(usize, Entry)> = table
        .iter()
        .map(|(key, value)| {
            let span = key.span();
            let entry = Entry {
                key: key.get_ref().to_string(),
                line: line_at(src, span.start),
                node: toml_node(src, value.get_ref(), value.span()),
            };
            (span.start, entry)
        })
        .collect();
    // Tables are stored sorted by key unless `preserve_order` is on: restore file order.
    entries.sort_by_key(|(start, _)| *start);
    Value::Map(entries.into_iter().map(|(_, e)| e).collect())
}

fn toml_node(src: &str, value: &toml::de::DeValue<'_>, span: Range<usize>) -> Node {
    use toml::de::DeValue;
    let value = match value {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Str(i.to_string()),
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => Value::Str(f.to_string()),
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(items) => Value::List(
            items
                .iter()
                .map(|item| toml_node(src, item.get_ref(), item.span()))
                .collect(),
        ),
        DeValue::Table(table) => toml_table(src, table),
    };
    Node {
        value,
        line: line_at(src, span.start),
    }
}

/// Replaces YAML merge keys (`<<: *defaults`) by the entries they bring, as js-yaml does.
pub(super) fn apply_yaml_merges(node: &mut Node) {
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(apply_yaml_merges),
        Value::Map(entries) => {
            entries
                .iter_mut()
                .for_each(|e| apply_yaml_merges(&mut e.node));
            if !entries.iter().any(|e| e.key == "<<") {
                return;
            }
            let (merges, mut own): (Vec<Entry>, Vec<Entry>) = std::mem::take(entries)
                .into_iter()
                .partition(|e| e.key == "<<");
            for merge in merges {
                let sources = match merge.node.value {
                    Value::Map(inherited) => vec![inherited],
                    Value::List(items) => items
                        .into_iter()
                        .filter_map(|n| match n.value {
                            Value::Map(inherited) => Some(inherited),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                for inherited in sources.into_iter().flatten() {
                    if !own.iter().any(|e| e.key == inherited.key) {
                        own.push(inherited);
                    }
                }
            }
            *entries = own;
        }
        _ => {}
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Int(v.into())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Int(v.into())))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Int(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Float(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Str(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Str(v)))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::unplaced(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::unplaced(Value::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(KeyText(key)) = map.next_key::<KeyText>()? {
            let node = map.next_value::<Node>()?;
            entries.push(Entry { key, line: 0, node });
        }
        Ok(Node::unplaced(Value::Map(entries)))
    }
}

/// A table key of any scalar type (YAML allows `1: x`), as text.
struct KeyText(String);

impl<'de> serde::Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyText, D::Error> {
        deserializer
            .deserialize_any(KeyVisitor::plain())
            .map(|k| KeyText(k.unwrap_or_else(|| "null".to_owned())))
    }
}
