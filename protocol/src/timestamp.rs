//! Timestamps as PM2 writes them: `log_date_format` (moment.js / dayjs tokens) and ISO 8601.

use chrono::{DateTime, Local};

/// Now in ISO 8601 UTC with milliseconds (`2026-11-26T05:00:00.000Z`), as JavaScript's
/// `Date.toISOString` writes it.
pub fn iso_now() -> String {
    iso_at_ms(chrono::Utc::now().timestamp_millis())
}

/// A time in ms since the epoch in ISO 8601 UTC with milliseconds.
pub fn iso_at_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Formats a time in ms since the epoch, local time, with moment.js tokens.
pub fn format_at_ms(format: &str, ms: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&Local);
    format_at(format, at)
}

/// Formats the current local time with moment.js tokens.
pub fn format_now(format: &str) -> String {
    format_at(format, Local::now())
}

/// Formats `at` with the moment.js tokens PM2 users write: `YYYY YY MM M DD D HH H hh h mm
/// m ss s SSS Z ZZ A a`; text in `[brackets]` is literal.
pub fn format_at(format: &str, at: DateTime<Local>) -> String {
    const TOKENS: &[(&str, &str)] = &[
        ("YYYY", "%Y"),
        ("YY", "%y"),
        ("MM", "%m"),
        ("M", "%-m"),
        ("DD", "%d"),
        ("D", "%-d"),
        ("HH", "%H"),
        ("H", "%-H"),
        ("hh", "%I"),
        ("h", "%-I"),
        ("mm", "%M"),
        ("m", "%-M"),
        ("ss", "%S"),
        ("s", "%-S"),
        ("SSS", "%3f"),
        ("ZZ", "%z"),
        ("Z", "%:z"),
        ("A", "%p"),
        ("a", "%P"),
    ];
    let mut strftime = String::with_capacity(format.len() * 2);
    let mut rest = format;
    'outer: while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('[') {
            if let Some(end) = stripped.find(']') {
                strftime.push_str(&stripped[..end].replace('%', "%%"));
                rest = &stripped[end + 1..];
                continue;
            }
        }
        for (token, spec) in TOKENS {
            if let Some(after) = rest.strip_prefix(token) {
                strftime.push_str(spec);
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            if c == '%' {
                strftime.push_str("%%");
            } else {
                strftime.push(c);
            }
        }
        rest = chars.as_str();
    }
    at.format(&strftime).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn moment_tokens_become_dates() {
        let at = Local.with_ymd_and_hms(2026, 3, 7, 9, 5, 2).unwrap();
        assert_eq!(format_at("YYYY-MM-DDTHH:mm:ss", at), "2026-03-07T09:05:02");
        assert_eq!(
            format_at("YYYY-MM-DD [at] HH:mm", at),
            "2026-03-07 at 09:05"
        );
        assert_eq!(format_at("D/M h:mm A", at), "7/3 9:05 AM");
    }
}
