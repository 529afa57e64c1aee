//! Log lines as `pm2 logs` prints them: PM2's prefixes (`0|api  | `), colours, timestamps,
//! highlights, and the `--json` / `--format` / `--raw` variants.

use pm2_protocol::{timestamp, LogLine, LogStream};

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const BLUE: &str = "\x1b[34m";
const GRAY: &str = "\x1b[90m";
const DIM: &str = "\x1b[2m";
const HIGHLIGHT: &str = "\x1b[100m";
const RESET: &str = "\x1b[0m";

/// Width of the name column when tailing files (PM2's `DEFAULT_PADDING`).
pub const TAIL_PADDING: usize = 10;

/// How followed lines are printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineStyle {
    /// `0|api  | message` (PM2's default).
    Prefixed,
    /// The message only (`--raw`).
    Raw,
    /// One JSON object per line (`--json`).
    Json,
    /// `timestamp=… app=… id=… type=… message=…` (`--format`).
    KeyValue,
}

/// Prints lines as PM2 does, remembering the name column width as PM2's stream does.
#[derive(Debug, Clone)]
pub struct LineWriter {
    /// Style.
    pub style: LineStyle,
    /// Colours on.
    pub color: bool,
    /// Timestamp format (dayjs tokens), when asked for.
    pub timestamp: Option<String>,
    /// Text to highlight.
    pub highlight: Option<String>,
    min_padding: usize,
}

/// PM2's `pad`: the text left-aligned in `width` columns, cut when longer.
pub fn pad(text: &str, width: usize) -> String {
    let mut out: String = text.chars().take(width).collect();
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(' ', width - len));
    out
}

impl LineWriter {
    /// A writer in the given style.
    pub fn new(
        style: LineStyle,
        color: bool,
        timestamp: Option<String>,
        highlight: Option<String>,
    ) -> Self {
        Self {
            style,
            color,
            timestamp,
            highlight,
            min_padding: 3,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn message(&self, line: &[u8]) -> String {
        let text = String::from_utf8_lossy(line);
        match &self.highlight {
            // JavaScript's String.replace with a string: the first occurrence only.
            Some(h) if !h.is_empty() && self.color => {
                text.replacen(h.as_str(), &format!("{HIGHLIGHT}{h}{RESET}"), 1)
            }
            _ => text.into_owned(),
        }
    }

    /// One followed line, ready to print with its newline; `true` when it belongs on stderr
    /// (raw stderr lines, as PM2 does).
    pub fn live(&mut self, line: &LogLine) -> (String, bool) {
        match self.style {
            LineStyle::Raw => (
                format!("{}\n", String::from_utf8_lossy(&line.line)),
                line.stream == LogStream::Err,
            ),
            LineStyle::Json => {
                let object = serde_json::json!({
                    "message": String::from_utf8_lossy(&line.line),
                    "timestamp": timestamp::iso_at_ms(line.at_ms),
                    "type": line.stream.pm2_name(),
                    "process_id": line.pm_id,
                    "app_name": line.name,
                });
                (format!("{object}\n"), false)
            }
            LineStyle::KeyValue => {
                let mut out = String::new();
                if let Some(format) = &self.timestamp {
                    out.push_str(&format!(
                        "timestamp={} ",
                        timestamp::format_at_ms(format, line.at_ms)
                    ));
                }
                out.push_str(&format!("app={} id={} ", line.name, line.pm_id));
                out.push_str(match line.stream {
                    LogStream::Out => "type=out ",
                    LogStream::Err => "type=error ",
                });
                out.push_str(&format!("message={}\n", self.message(&line.line)));
                (out, false)
            }
            LineStyle::Prefixed => {
                let name = format!("{}|{}", line.pm_id, line.name);
                let len = name.chars().count();
                if len > self.min_padding {
                    self.min_padding = len + 1;
                }
                let mut out = self.stamp(line.at_ms);
                let code = match line.stream {
                    LogStream::Out => GREEN,
                    LogStream::Err => RED,
                };
                out.push_str(&self.paint(code, &format!("{} | ", pad(&name, self.min_padding))));
                out.push_str(&self.message(&line.line));
                out.push('\n');
                (out, false)
            }
        }
    }

    fn stamp(&self, at_ms: i64) -> String {
        match &self.timestamp {
            Some(format) => {
                let text = format!("{} ", timestamp::format_at_ms(format, at_ms));
                if self.color {
                    format!("{DIM}{GRAY}{text}{RESET}")
                } else {
                    text
                }
            }
            None => String::new(),
        }
    }

    /// The header of one tailed file: `<path> last <n> lines:`.
    pub fn tail_header(&self, path: &str, lines: usize) -> String {
        format!(
            "{}\n",
            self.paint(GRAY, &format!("{path} last {lines} lines:"))
        )
    }

    /// One line of a tailed file; `source` is `None` for the daemon's own log (`PM2`).
    pub fn tailed(&self, source: Option<(u32, &str, LogStream)>, line: &[u8]) -> (String, bool) {
        if self.style == LineStyle::Raw {
            let to_err = matches!(source, Some((_, _, LogStream::Err)));
            return (format!("{}\n", String::from_utf8_lossy(line)), to_err);
        }
        let (label, code) = match source {
            Some((pm_id, name, LogStream::Out)) => (format!("{pm_id}|{name}"), GREEN),
            Some((pm_id, name, LogStream::Err)) => (format!("{pm_id}|{name}"), RED),
            None => ("PM2".to_string(), BLUE),
        };
        let prefix = self.paint(code, &format!("{} | ", pad(&label, TAIL_PADDING)));
        (
            format!("{prefix}{}\n", String::from_utf8_lossy(line)),
            false,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(stream: LogStream, text: &str) -> LogLine {
        LogLine {
            pm_id: 0,
            name: "api".into(),
            namespace: "default".into(),
            stream,
            line: text.as_bytes().to_vec(),
            at_ms: 1_795_669_200_000,
        }
    }

    #[test]
    fn live_lines_have_pm2s_prefix_and_growing_padding() {
        let mut w = LineWriter::new(LineStyle::Prefixed, false, None, None);
        assert_eq!(w.live(&line(LogStream::Out, "hello")).0, "0|api  | hello\n");
        let mut long = line(LogStream::Err, "oops");
        long.name = "a-much-longer-name".into();
        assert_eq!(w.live(&long).0, "0|a-much-longer-name  | oops\n");
        assert_eq!(
            w.live(&line(LogStream::Out, "x")).0,
            format!("{:<21} | x\n", "0|api")
        );
    }

    #[test]
    fn colours_only_when_asked() {
        let mut w = LineWriter::new(LineStyle::Prefixed, true, None, Some("ll".into()));
        let (text, _) = w.live(&line(LogStream::Err, "hello all"));
        assert!(text.starts_with(RED), "{text:?}");
        assert_eq!(
            text.matches(HIGHLIGHT).count(),
            1,
            "first occurrence only: {text:?}"
        );
    }

    #[test]
    fn raw_stderr_goes_to_stderr() {
        let mut w = LineWriter::new(LineStyle::Raw, false, None, None);
        assert_eq!(
            w.live(&line(LogStream::Err, "e")),
            ("e\n".to_string(), true)
        );
        assert_eq!(
            w.live(&line(LogStream::Out, "o")),
            ("o\n".to_string(), false)
        );
    }

    #[test]
    fn json_and_key_value_styles() {
        let mut json = LineWriter::new(LineStyle::Json, false, None, None);
        let value: serde_json::Value =
            serde_json::from_str(json.live(&line(LogStream::Out, "hi")).0.trim()).unwrap();
        assert_eq!(value["message"], "hi");
        assert_eq!(value["type"], "out");
        assert_eq!(value["process_id"], 0);
        assert_eq!(value["app_name"], "api");
        assert_eq!(value["timestamp"], "2026-11-26T05:00:00.000Z");
        let mut kv = LineWriter::new(LineStyle::KeyValue, false, None, None);
        assert_eq!(
            kv.live(&line(LogStream::Err, "bad")).0,
            "app=api id=0 type=error message=bad\n"
        );
    }

    #[test]
    fn tailed_lines_use_the_fixed_column() {
        let w = LineWriter::new(LineStyle::Prefixed, false, None, None);
        assert_eq!(
            w.tailed(Some((0, "api", LogStream::Out)), b"x").0,
            "0|api      | x\n"
        );
        assert_eq!(w.tailed(None, b"daemon").0, "PM2        | daemon\n");
        assert_eq!(w.tail_header("/l/a.log", 15), "/l/a.log last 15 lines:\n");
    }
}
