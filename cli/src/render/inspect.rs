//! Node's `util.inspect` notation (colors off, unlimited depth), which `pm2 prettylist` prints.
//!
//! This follows Node 20's `lib/internal/util/inspect.js` with its default options
//! (`breakLength: 80`, `compact: 3`, `maxArrayLength: 100`, `maxStringLength: 10000`):
//! single-quoted strings (double quotes or backticks when that avoids escaping), bare keys when
//! they are identifiers, short objects and arrays on one line, long arrays of short items
//! grouped in aligned columns.

use serde_json::Value;

use super::units::js_number;

const BREAK_LENGTH: i64 = 80;
const COMPACT: usize = 3;
const MAX_ARRAY_LENGTH: usize = 100;
const MAX_STRING_LENGTH: usize = 10_000;
const MIN_LINE_LENGTH: usize = 16;

/// A JSON value whose objects keep their keys in insertion order, whatever the features of
/// `serde_json`; what PM2's objects look like, key order included.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, keys in order.
    Object(Vec<(String, Node)>),
}

impl Node {
    /// An object from its entries, in order.
    pub(crate) fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
        Node::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The `serde_json` value (key order then follows `serde_json::Map`).
    pub(crate) fn into_value(self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Number(n) => Value::Number(n),
            Node::Str(s) => Value::String(s),
            Node::Array(items) => Value::Array(items.into_iter().map(Node::into_value).collect()),
            Node::Object(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect(),
            ),
        }
    }
}

impl From<&Value> for Node {
    fn from(value: &Value) -> Node {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::Str(s.clone()),
            Value::Array(items) => Node::Array(items.iter().map(Node::from).collect()),
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Node::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<bool> for Node {
    fn from(b: bool) -> Node {
        Node::Bool(b)
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_owned())
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}

macro_rules! node_from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Node {
            fn from(n: $t) -> Node {
                Node::Number(serde_json::Number::from(n))
            }
        }
    )*};
}
node_from_integer!(u32, u64, i32, i64);

impl From<serde_json::Number> for Node {
    fn from(n: serde_json::Number) -> Node {
        Node::Number(n)
    }
}

/// Writes `value` as Node's `util.inspect(value, false, null, false)` does (which is how
/// `pm2 prettylist` prints the process list), without a trailing newline.
///
/// Objects keep the key order of the `serde_json::Map` they come in.
pub fn inspect(value: &Value) -> String {
    inspect_node(&Node::from(value))
}

/// [`inspect`] for an ordered [`Node`].
pub(crate) fn inspect_node(node: &Node) -> String {
    let mut ctx = Ctx {
        indentation: 0,
        current_depth: 0,
    };
    format_value(&mut ctx, node, 0)
}

/// The state `util.inspect` threads through its recursion.
struct Ctx {
    /// Spaces before the current entries (`ctx.indentationLvl`).
    indentation: usize,
    /// Depth of the most recently entered non-empty object or array (`ctx.currentDepth`).
    current_depth: usize,
}

fn format_value(ctx: &mut Ctx, node: &Node, recurse_times: usize) -> String {
    match node {
        Node::Null => "null".to_owned(),
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => format_number(n),
        Node::Str(s) => format_string(ctx, s),
        Node::Array(items) if items.is_empty() => "[]".to_owned(),
        Node::Object(entries) if entries.is_empty() => "{}".to_owned(),
        Node::Array(items) => {
            let recurse_times = recurse_times + 1;
            ctx.current_depth = recurse_times;
            let shown = items.len().min(MAX_ARRAY_LENGTH);
            let mut output: Vec<String> = items[..shown]
                .iter()
                .map(|item| format_child(ctx, item, recurse_times))
                .collect();
            let remaining = items.len() - shown;
            if remaining > 0 {
                let plural = if remaining > 1 { "s" } else { "" };
                output.push(format!("... {remaining} more item{plural}"));
            }
            reduce_to_single_string(ctx, output, ('[', ']'), Some(items), recurse_times)
        }
        Node::Object(entries) => {
            let recurse_times = recurse_times + 1;
            ctx.current_depth = recurse_times;
            let output: Vec<String> = entries
                .iter()
                .map(|(key, value)| {
                    let value = format_child(ctx, value, recurse_times);
                    format!("{}: {value}", format_key(key))
                })
                .collect();
            reduce_to_single_string(ctx, output, ('{', '}'), None, recurse_times)
        }
    }
}

/// A property value, one indentation step deeper (`formatProperty`).
fn format_child(ctx: &mut Ctx, node: &Node, recurse_times: usize) -> String {
    ctx.indentation += 2;
    let text = format_value(ctx, node, recurse_times);
    ctx.indentation -= 2;
    text
}

fn format_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        key.to_owned()
    } else if key == "__proto__" {
        "['__proto__']".to_owned()
    } else {
        str_escape(key)
    }
}

fn format_number(n: &serde_json::Number) -> String {
    let x = n.as_f64().unwrap_or(0.0);
    if x == 0.0 && x.is_sign_negative() {
        "-0".to_owned()
    } else {
        js_number(x)
    }
}

/// `formatPrimitive` for strings: long strings are cut after each newline into `' +'` lines.
fn format_string(ctx: &Ctx, s: &str) -> String {
    let mut value = s;
    let mut trailer = String::new();
    let length = utf16_len(s);
    if length > MAX_STRING_LENGTH {
        value = utf16_prefix(s, MAX_STRING_LENGTH);
        let remaining = length - utf16_len(value);
        let plural = if remaining > 1 { "s" } else { "" };
        trailer = format!("... {remaining} more character{plural}");
    }
    let length = utf16_len(value) as i64;
    if length > MIN_LINE_LENGTH as i64 && length > BREAK_LENGTH - ctx.indentation as i64 - 4 {
        let separator = format!(" +\n{}", " ".repeat(ctx.indentation + 2));
        let lines: Vec<String> = value.split_inclusive('\n').map(str_escape).collect();
        return lines.join(&separator) + &trailer;
    }
    str_escape(value) + &trailer
}

/// `reduceToSingleString`: one line when short and shallow enough, else one entry per line.
fn reduce_to_single_string(
    ctx: &Ctx,
    output: Vec<String>,
    (open, close): (char, char),
    array: Option<&[Node]>,
    recurse_times: usize,
) -> String {
    let entries = output.len();
    let output = match array {
        Some(items) if entries > 6 => group_array_elements(ctx, output, items),
        _ => output,
    };
    if ctx.current_depth.saturating_sub(recurse_times) < COMPACT && entries == output.len() {
        let start = output.len() + ctx.indentation + 1 + 10;
        if is_below_break_length(&output, start) {
            let joined = output.join(", ");
            if !joined.contains('\n') {
                return format!("{open} {joined} {close}");
            }
        }
    }
    let indentation = " ".repeat(ctx.indentation);
    let separator = format!(",\n{indentation}  ");
    format!(
        "{open}\n{indentation}  {}\n{indentation}{close}",
        output.join(&separator)
    )
}

fn is_below_break_length(output: &[String], start: usize) -> bool {
    let mut total = (output.len() + start) as i64;
    if total + output.len() as i64 > BREAK_LENGTH {
        return false;
    }
    for entry in output {
        total += utf16_len(entry) as i64;
        if total > BREAK_LENGTH {
            return false;
        }
    }
    true
}

/// `groupArrayElements`: arrays of more than six short entries are laid out in columns.
fn group_array_elements(ctx: &Ctx, output: Vec<String>, items: &[Node]) -> Vec<String> {
    const SEPARATOR_SPACE: usize = 2;
    let mut output_length = output.len();
    if MAX_ARRAY_LENGTH < output.len() {
        // Leave the "... n more items" entry out of the columns.
        output_length -= 1;
    }
    let data_len: Vec<usize> = output[..output_length]
        .iter()
        .map(|s| string_width(s))
        .collect();
    let total_length: usize = data_len.iter().map(|len| len + SEPARATOR_SPACE).sum();
    let max_length = data_len.iter().copied().max().unwrap_or(0);
    let actual_max = max_length + SEPARATOR_SPACE;
    let fits_three = ((actual_max * 3 + ctx.indentation) as i64) < BREAK_LENGTH;
    let similar = total_length as f64 / actual_max as f64 > 5.0 || max_length <= 6;
    if !(fits_three && similar) {
        return output;
    }
    let average_bias = (actual_max as f64 - total_length as f64 / output.len() as f64).sqrt();
    let biased_max = (actual_max as f64 - 3.0 - average_bias).max(1.0);
    let square = js_round((2.5 * biased_max * output_length as f64).sqrt() / biased_max);
    let fit = (BREAK_LENGTH - ctx.indentation as i64).div_euclid(actual_max as i64);
    let columns = square.min(fit).min((COMPACT * 4) as i64).min(15);
    if columns <= 1 {
        return output;
    }
    let columns = columns as usize;
    let max_line_length: Vec<usize> = (0..columns)
        .map(|i| {
            let widest = data_len.iter().skip(i).step_by(columns).max();
            widest.copied().unwrap_or(0) + SEPARATOR_SPACE
        })
        .collect();
    let pad_start = items
        .iter()
        .take(output.len())
        .all(|item| matches!(item, Node::Number(_)));
    let mut grouped = Vec::new();
    for row_start in (0..output_length).step_by(columns) {
        let row_end = (row_start + columns).min(output_length);
        let mut line = String::new();
        for j in row_start..row_end {
            let column = j - row_start;
            let last = j + 1 == row_end;
            let text = if last {
                output[j].clone()
            } else {
                format!("{}, ", output[j])
            };
            // Both padStart and padEnd fill up to the column's width.
            let spaces =
                " ".repeat((max_line_length[column] - SEPARATOR_SPACE).saturating_sub(data_len[j]));
            if pad_start {
                line.push_str(&spaces);
                line.push_str(&text);
            } else if last {
                line.push_str(&text);
            } else {
                line.push_str(&text);
                line.push_str(&spaces);
            }
        }
        grouped.push(line);
    }
    if output_length < output.len() {
        grouped.push(output[output_length].clone());
    }
    grouped
}

/// JavaScript's `Math.round`: halves go up.
fn js_round(x: f64) -> i64 {
    (x + 0.5).floor() as i64
}

/// Quotes and escapes a string as `util.inspect` does (`strEscape`).
pub(crate) fn str_escape(s: &str) -> String {
    // Single quotes unless the string has some: then double quotes, then backticks.
    let quote = if !s.contains('\'') {
        '\''
    } else if !s.contains('"') {
        '"'
    } else if !s.contains('`') && !s.contains("${") {
        '`'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\'' if quote == '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The longest prefix of `s` of at most `units` UTF-16 code units.
fn utf16_prefix(s: &str, units: usize) -> &str {
    let mut used = 0;
    for (index, c) in s.char_indices() {
        used += c.len_utf16();
        if used > units {
            return &s[..index];
        }
    }
    s
}

/// Columns a string takes in a terminal (`getStringWidth` without Intl).
fn string_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let code = c as u32;
            if is_full_width(code) {
                2
            } else if is_zero_width(code) {
                0
            } else {
                1
            }
        })
        .sum()
}

fn is_full_width(code: u32) -> bool {
    code >= 0x1100
        && (code <= 0x115f
            || code == 0x2329
            || code == 0x232a
            || ((0x2e80..=0x3247).contains(&code) && code != 0x303f)
            || (0x3250..=0x4dbf).contains(&code)
            || (0x4e00..=0xa4c6).contains(&code)
            || (0xa960..=0xa97c).contains(&code)
            || (0xac00..=0xd7a3).contains(&code)
            || (0xf900..=0xfaff).contains(&code)
            || (0xfe10..=0xfe19).contains(&code)
            || (0xfe30..=0xfe6b).contains(&code)
            || (0xff01..=0xff60).contains(&code)
            || (0xffe0..=0xffe6).contains(&code)
            || (0x1b000..=0x1b001).contains(&code)
            || (0x1f200..=0x1f251).contains(&code)
            || (0x1f300..=0x1f64f).contains(&code)
            || (0x20000..=0x3fffd).contains(&code))
}

fn is_zero_width(code: u32) -> bool {
    code <= 0x1f
        || (0x7f..=0x9f).contains(&code)
        || (0x300..=0x36f).contains(&code)
        || (0x200b..=0x200f).contains(&code)
        || (0x20d0..=0x20ff).contains(&code)
        || (0xfe00..=0xfe0f).contains(&code)
        || (0xfe20..=0xfe2f).contains(&code)
        || (0xe0100..=0xe01ef).contains(&code)
}
