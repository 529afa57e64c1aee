//! Tests of the size, duration, number and date helpers.

use super::units::{iso_time, js_number, json_number, round_cpu};
use super::{human_bytes, human_duration};

#[test]
fn bytes_below_a_kilobyte_are_whole() {
    assert_eq!(human_bytes(0), "0b");
    assert_eq!(human_bytes(512), "512b");
    assert_eq!(human_bytes(1023), "1023b");
}

#[test]
fn bytes_have_one_decimal_like_to_fixed() {
    assert_eq!(human_bytes(1024), "1.0kb");
    assert_eq!(human_bytes(1536), "1.5kb");
    // 1.25 exactly: toFixed(1) rounds half up.
    assert_eq!(human_bytes(1280), "1.3kb");
    // Seen in `pm2 ls`: sleep at 1687552 bytes, node at 54808576.
    assert_eq!(human_bytes(1_687_552), "1.6mb");
    assert_eq!(human_bytes(54_808_576), "52.3mb");
    assert_eq!(human_bytes(12_897_485), "12.3mb");
    assert_eq!(human_bytes(1_288_490_189), "1.2gb");
    assert_eq!(human_bytes(1 << 40), "1.0tb");
    assert_eq!(human_bytes(u64::MAX), "16777216.0tb");
}

#[test]
fn durations_use_a_unit_from_two_of_it() {
    assert_eq!(human_duration(0), "0s");
    assert_eq!(human_duration(999), "0s");
    assert_eq!(human_duration(59_000), "59s");
    assert_eq!(human_duration(119_999), "119s");
    assert_eq!(human_duration(120_000), "2m");
    assert_eq!(human_duration(5 * 60_000), "5m");
    assert_eq!(human_duration(7_199_999), "119m");
    assert_eq!(human_duration(2 * 3_600_000), "2h");
    assert_eq!(human_duration(36 * 3_600_000), "36h");
    assert_eq!(human_duration(3 * 86_400_000), "3D");
    assert_eq!(human_duration(60 * 86_400_000), "2M");
    assert_eq!(human_duration(800 * 86_400_000), "2Y");
}

#[test]
fn negative_durations_are_zero() {
    assert_eq!(human_duration(-5000), "0s");
}

#[test]
fn numbers_are_written_as_javascript_does() {
    let cases: [(f64, &str); 14] = [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-3.0, "-3"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123_456_789_012.0, "123456789012"),
        (1e21, "1e+21"),
        (1.23e22, "1.23e+22"),
        (1e-7, "1e-7"),
        (2.5e-8, "2.5e-8"),
        (0.000_001, "0.000001"),
        (999_999_999_999_999_900_000.0, "999999999999999900000"),
    ];
    for (x, expected) in cases {
        assert_eq!(js_number(x), expected, "{x:e}");
    }
    assert_eq!(js_number(f64::NAN), "NaN");
    assert_eq!(js_number(f64::NEG_INFINITY), "-Infinity");
}

#[test]
fn cpu_is_rounded_to_a_tenth() {
    assert_eq!(round_cpu(12.34), 12.3);
    assert_eq!(round_cpu(0.05), 0.1);
    assert_eq!(round_cpu(0.0), 0.0);
}

#[test]
fn json_numbers_are_integers_when_whole() {
    assert_eq!(json_number(12.0).to_string(), "12");
    assert_eq!(json_number(0.5).to_string(), "0.5");
}

#[test]
fn dates_are_iso_like_to_iso_string() {
    assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso_time(-1), "1969-12-31T23:59:59.999Z");
    assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(iso_time(1_795_669_103_649), "2026-11-26T04:58:23.649Z");
    assert_eq!(iso_time(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
}
