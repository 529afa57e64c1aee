//! How bytes become log file content: as they are, with a timestamp prefix per line, or as
//! PM2's JSON lines (`log_type = "json"`).

use pm2_protocol::timestamp;

use super::{LogTarget, Stream};

/// Formats `bytes` for a file; `at_line_start` says whether the file's last byte ended a
/// line, and is updated, so a line split across writes gets one prefix.
pub fn render(
    target: &LogTarget,
    stream: Stream,
    bytes: &[u8],
    at_line_start: &mut bool,
) -> Vec<u8> {
    if target.json {
        return json_lines(target, stream, bytes);
    }
    let Some(format) = target.date_format.as_deref() else {
        if let Some(&last) = bytes.last() {
            *at_line_start = last == b'\n';
        }
        return bytes.to_vec();
    };
    let prefix = timestamp::format_now(format);
    let mut out = Vec::with_capacity(bytes.len() + 32);
    for piece in bytes.split_inclusive(|&b| b == b'\n') {
        if *at_line_start {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(b": ");
        }
        out.extend_from_slice(piece);
        *at_line_start = piece.ends_with(b"\n");
    }
    out
}

/// One JSON object, `{"message","timestamp","type","process_id","app_name"}`, for the
/// bytes read at once, as PM2's `transformLogToJson` does with each `data` chunk: the
/// message is the output as it is, its newlines kept (`"message":"hello\n"`). The pump
/// passes whole lines (a partial one only after a silence), so an object never ends
/// mid-line unless the app paused there.
fn json_lines(target: &LogTarget, stream: Stream, bytes: &[u8]) -> Vec<u8> {
    let stamp = match target.date_format.as_deref() {
        Some(format) => timestamp::format_now(format),
        None => timestamp::iso_now(),
    };
    let kind = match stream {
        Stream::Out => "out",
        Stream::Err => "err",
    };
    if bytes.is_empty() {
        return Vec::new();
    }
    let object = serde_json::json!({
        "message": String::from_utf8_lossy(bytes),
        "timestamp": stamp,
        "type": kind,
        "process_id": target.pm_id,
        "app_name": target.name,
    });
    let mut out = object.to_string().into_bytes();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::LogPaths;

    fn target(json: bool, date_format: Option<&str>) -> LogTarget {
        LogTarget {
            pm_id: 3,
            name: "api".into(),
            namespace: "default".into(),
            paths: LogPaths::default(),
            date_format: date_format.map(str::to_string),
            json,
            rotate: Default::default(),
        }
    }

    #[test]
    fn plain_bytes_pass_through_untouched() {
        let mut at_start = true;
        let bytes = b"\xff\xfebinary\npartial";
        assert_eq!(
            render(&target(false, None), Stream::Out, bytes, &mut at_start),
            bytes
        );
        assert!(!at_start);
    }

    #[test]
    fn a_line_split_across_writes_gets_one_prefix() {
        let t = target(false, Some("YYYY"));
        let mut at_start = true;
        let mut text = render(&t, Stream::Out, b"par", &mut at_start);
        text.extend(render(&t, Stream::Out, b"tial\nnext\n", &mut at_start));
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].ends_with(": partial") && lines[1].ends_with(": next"),
            "{text}"
        );
    }

    #[test]
    fn json_lines_have_pm2s_fields() {
        let mut at_start = true;
        let text = render(
            &target(true, None),
            Stream::Err,
            b"boom \"quoted\"\n",
            &mut at_start,
        );
        let text = String::from_utf8(text).unwrap();
        let (head, tail) = text.split_once(r#","timestamp":""#).unwrap();
        assert_eq!(head, r#"{"message":"boom \"quoted\"\n""#);
        assert!(
            tail.ends_with("\",\"type\":\"err\",\"process_id\":3,\"app_name\":\"api\"}\n"),
            "{text}"
        );
        let object: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(object["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn json_keeps_what_was_read_at_once_in_one_object_as_pm2() {
        let mut at_start = true;
        let t = target(true, Some("YYYY"));
        let text = render(&t, Stream::Out, b"first\nsecond\n", &mut at_start);
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let object: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(object["message"], "first\nsecond\n");
        assert_eq!(object["type"], "out");
        assert_eq!(object["timestamp"].as_str().unwrap().len(), 4);
        // A partial line passed on after a silence stays as it is; nothing is no object.
        let partial = render(&t, Stream::Out, b"no newline", &mut at_start);
        let object: serde_json::Value = serde_json::from_slice(&partial).unwrap();
        assert_eq!(object["message"], "no newline");
        assert!(render(&t, Stream::Out, b"", &mut at_start).is_empty());
    }
}
