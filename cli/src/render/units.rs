//! Sizes, durations, dates and numbers written the way PM2 (and JavaScript) writes them.

/// Memory size as `pm2 ls` shows it: `512b`, `1.5kb`, `12.3mb`, `1.2gb`, `2.0tb`.
///
/// PM2's `bytesToSize(bytes, 1)`: powers of 1024, one decimal rounded half up like
/// JavaScript's `toFixed(1)` (PM2 also appends a space, which is left out here).
pub fn human_bytes(bytes: u64) -> String {
    const KB: u64 = 1024;
    let (unit, suffix) = match bytes {
        b if b < KB => return format!("{b}b"),
        b if b < KB.pow(2) => (KB, "kb"),
        b if b < KB.pow(3) => (KB.pow(2), "mb"),
        b if b < KB.pow(4) => (KB.pow(3), "gb"),
        _ => (KB.pow(4), "tb"),
    };
    // Exact rational rounding: tenths = round_half_up(bytes * 10 / unit).
    let unit = u128::from(unit);
    let tenths = (u128::from(bytes) * 20 + unit) / (unit * 2);
    format!("{}.{}{suffix}", tenths / 10, tenths % 10)
}

/// Elapsed time as `pm2 ls` shows uptimes: `45s`, `5m`, `3h`, `2D`, `4M`, `2Y`.
///
/// PM2's `timeSince`: a unit is used only from two of it on, so 90 seconds is `90s` and 36
/// hours is `36h`. Negative durations count as zero.
pub fn human_duration(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    const UNITS: [(i64, &str); 5] = [
        (31_536_000, "Y"),
        (2_592_000, "M"),
        (86_400, "D"),
        (3_600, "h"),
        (60, "m"),
    ];
    for (size, suffix) in UNITS {
        let interval = seconds / size;
        if interval > 1 {
            return format!("{interval}{suffix}");
        }
    }
    format!("{seconds}s")
}

/// A number as JavaScript's `String(number)` writes it: `0`, `1.5`, `1e+21`, `1e-7`.
pub(crate) fn js_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x < 0.0 {
        return format!("-{}", js_number(-x));
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as JavaScript uses.
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    let n = exponent.parse::<i64>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e >= 0 { '+' } else { '-' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{sign}{}", e.abs())
        }
    }
}

/// CPU percent as PM2 keeps it in `monit.cpu`: rounded to one decimal.
pub(crate) fn round_cpu(cpu: f32) -> f64 {
    (f64::from(cpu) * 10.0).round() / 10.0
}

/// A JSON number holding `x`, written as an integer when it is one (as `JSON.stringify` does).
pub(crate) fn json_number(x: f64) -> serde_json::Number {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE {
        serde_json::Number::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

/// Milliseconds since the epoch as JavaScript's `Date.prototype.toISOString` writes them:
/// `2026-11-26T04:58:23.649Z`.
pub(crate) fn iso_time(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
