//! Bad input: one line on stderr, a non-zero exit, nothing started.

use super::common::{canonical, Pm2};
use super::support::*;

#[test]
fn a_missing_script_is_one_line_naming_the_path() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["start", "nope.js"]).failed();
    let path = canonical(pm2.work()).join("nope.js");
    assert_one_line_error(&run, &["Script not found", &path.display().to_string()]);
    assert_nothing_started(&pm2);
}

#[test]
fn a_plain_file_without_a_known_extension_is_refused() {
    let pm2 = Pm2::new();
    pm2.write("data", "just some text\n", false);
    let run = pm2.run(&["start", "data"]).failed();
    let path = canonical(pm2.work()).join("data");
    assert_one_line_error(&run, &["not executable", &path.display().to_string()]);
    assert_nothing_started(&pm2);
}

#[test]
fn a_missing_interpreter_is_named() {
    if find_on_path("ruby").is_some() {
        eprintln!("skipped: ruby is installed");
        return;
    }
    let pm2 = Pm2::new();
    pm2.write("x.rb", "puts 'hi'\n", false);
    let run = pm2.run(&["start", "x.rb"]).failed();
    assert_one_line_error(&run, &["ruby"]);
    assert_nothing_started(&pm2);
}

#[test]
fn an_unknown_flag_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    let run = pm2.run(&["start", "app.js", "--bogus"]).failed();
    assert_one_line_error(&run, &["--bogus"]);
    assert_nothing_started(&pm2);
}

#[test]
fn an_invalid_min_uptime_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    let run = pm2
        .run(&["start", "app.js", "--min-uptime", "soon"])
        .failed();
    assert_one_line_error(&run, &["--min-uptime", "soon"]);
    assert_nothing_started(&pm2);
}

#[test]
fn an_invalid_instance_count_is_one_line() {
    let pm2 = Pm2::new();
    pm2.write("app.js", KEEP_ALIVE, false);
    let run = pm2.run(&["start", "app.js", "-i", "lots"]).failed();
    assert_one_line_error(&run, &["lots"]);
    assert_nothing_started(&pm2);
}
