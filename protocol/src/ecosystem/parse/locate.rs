//! Finding the line of a key in a JSON or YAML document, whose readers give no positions.
//!
//! Only needed when a warning or an error names a key, so it is done on demand: the document
//! is read again by a serde visitor that walks down a [`Seg`] path, skipping everything else,
//! and stops with a marker error exactly at the key (or value) wanted. The reader stamps its
//! own position on that error, which gives the line.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::tree::{line_at, Seg};

/// Reads a key as text; with a target, fails with [`FOUND`] when the key is the target.
pub(super) struct KeyVisitor<'t> {
    target: Option<&'t str>,
}

impl KeyVisitor<'static> {
    /// Reads any key, failing on none.
    pub(super) fn plain() -> Self {
        KeyVisitor { target: None }
    }
}

impl KeyVisitor<'_> {
    fn key<E: de::Error>(self, text: String) -> Result<Option<String>, E> {
        match self.target {
            Some(target) if target == text => Err(E::custom(FOUND)),
            _ => Ok(Some(text)),
        }
    }
}

impl<'de> Visitor<'de> for KeyVisitor<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.key(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.key(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.key(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.key(v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.key(v.to_owned())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The marker error that carries the reader's position out of a [`Nav`] walk.
const FOUND: &str = "\u{1}pm2-ecosystem-locate\u{1}";

/// 1-based line of what `path` designates in a JSON document: a key when it ends with
/// [`Seg::Key`], else the start of the value.
pub(super) fn locate_json(src: &str, path: &[Seg]) -> Option<usize> {
    let mut deserializer = serde_json::Deserializer::from_str(src);
    match (Nav { path }).deserialize(&mut deserializer) {
        Err(err) if err.to_string().contains(FOUND) && err.line() > 0 => {
            Some(json_token_line(src, err.line(), err.column()))
        }
        _ => None,
    }
}

/// The line of the token the JSON reader had just read when it stamped `line:column` on an
/// error: the reader may have skipped blanks after it (past a `{` and a newline, say).
fn json_token_line(src: &str, line: usize, column: usize) -> usize {
    let bytes = src.as_bytes();
    let line_start = if line <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    // The position is one past the byte the reader was looking at.
    let peeked = (line_start + column).min(bytes.len()).saturating_sub(1);
    match bytes[..peeked]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
    {
        Some(token) => line_at(src, token),
        None => line,
    }
}

/// Same as [`locate_json`], for a YAML document.
pub(super) fn locate_yaml(src: &str, path: &[Seg]) -> Option<usize> {
    let deserializer = serde_yaml_ng::Deserializer::from_str(src);
    match (Nav { path }).deserialize(deserializer) {
        Err(err) if err.to_string().contains(FOUND) => err.location().map(|l| l.line()),
        _ => None,
    }
}

/// Walks down `path`, skipping everything else, and fails with [`FOUND`] at its end.
struct Nav<'p> {
    path: &'p [Seg],
}

impl<'de> DeserializeSeed<'de> for Nav<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Nav<'_> {
    fn scalar<E: de::Error>(self) -> Result<(), E> {
        if self.path.is_empty() {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for Nav<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return Err(de::Error::custom(FOUND));
        };
        if let Seg::Index(index) = first {
            for _ in 0..*index {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    return Ok(());
                }
            }
            seq.next_element_seed(Nav { path: rest })?;
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return Err(de::Error::custom(FOUND));
        };
        let Seg::Key(target) = first else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let fail_on_key = rest.is_empty().then_some(target.as_str());
        while let Some(key) = map.next_key_seed(KeySeed(fail_on_key))? {
            if key.as_deref() == Some(target.as_str()) {
                map.next_value_seed(Nav { path: rest })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct KeySeed<'t>(Option<&'t str>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(KeyVisitor { target: self.0 })
    }
}
