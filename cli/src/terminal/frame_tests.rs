//! Tests of the in-place redraw: the escape sequences, row counting, cutting and clipping.

use super::{cut, InPlace};

#[test]
fn the_first_frame_hides_the_cursor_and_draws_below() {
    let mut screen = InPlace::new();
    assert_eq!(
        screen.frame("a\nb", 80, 24),
        "\x1b[?25l\x1b[2Ka\n\x1b[2Kb\n\x1b[J"
    );
}

#[test]
fn the_next_frame_goes_back_up_over_the_last_one() {
    let mut screen = InPlace::new();
    screen.frame("a\nb\nc", 80, 24);
    // Three rows up, rewrite, clear what the shorter frame no longer covers.
    assert_eq!(
        screen.frame("x\ny", 80, 24),
        "\x1b[3F\x1b[2Kx\n\x1b[2Ky\n\x1b[J"
    );
    assert_eq!(screen.frame("z", 80, 24), "\x1b[2F\x1b[2Kz\n\x1b[J");
}

#[test]
fn a_change_of_width_redraws_from_the_top() {
    let mut screen = InPlace::new();
    screen.frame("a\nb", 80, 24);
    assert_eq!(screen.frame("a", 60, 24), "\x1b[H\x1b[J\x1b[2Ka\n\x1b[J");
    // Then in place again at the new width.
    assert!(screen.frame("a", 60, 24).starts_with("\x1b[1F"));
}

#[test]
fn a_frame_taller_than_the_terminal_is_clipped_with_a_note() {
    let mut screen = InPlace::new();
    let text = (1..=10)
        .map(|i| format!("line {i}"))
        .collect::<Vec<_>>()
        .join("\n");
    let out = screen.frame(&text, 80, 5);
    // Four rows (one left free): three lines and the note.
    assert_eq!(out.matches('\n').count(), 4);
    assert!(out.contains("line 3\n"));
    assert!(!out.contains("line 4"));
    assert!(out.contains("… 7 more lines"));
    assert!(screen.frame(&text, 80, 5).starts_with("\x1b[4F"));
}

#[test]
fn finish_shows_the_cursor_on_a_clean_line() {
    let screen = InPlace::new();
    assert_eq!(screen.finish(), "\r\x1b[2K\x1b[?25h");
}

#[test]
fn lines_are_cut_to_the_width() {
    assert_eq!(cut("abcdef", 4), "abcd");
    assert_eq!(cut("abc", 4), "abc");
    assert_eq!(cut("│ ↺ │", 3), "│ ↺");
}

#[test]
fn escape_codes_take_no_room_and_a_cut_resets_colours() {
    let green = "\x1b[32m\x1b[1monline\x1b[22m\x1b[39m";
    assert_eq!(cut(green, 6), green, "fits exactly: closing codes kept");
    assert_eq!(cut(green, 3), "\x1b[32m\x1b[1monl\x1b[0m");
    assert_eq!(cut("ab\x1b[?25lcd", 3), "ab\x1b[?25lc\x1b[0m");
}
