//! Tests of `pm2 describe`, against the layout of PM2 7.0.4's output.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::fixture::{process, stopped, NOW};
use super::{describe, divergent_env};

fn row_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with('│'))
        .filter_map(|line| line.split('│').nth(1))
        .map(|key| key.trim().to_owned())
        .collect()
}

#[test]
fn describe_matches_pm2() {
    let expected = [
        " Describing process with id 0 - name api ",
        "┌───────────────────┬─────────────────────────────────┐",
        "│ status            │ online                          │",
        "│ name              │ api                             │",
        "│ namespace         │ default                         │",
        "│ version           │ N/A                             │",
        "│ restarts          │ 1                               │",
        "│ uptime            │ 5m                              │",
        "│ script path       │ /usr/bin/sleep                  │",
        "│ script args       │ 100                             │",
        "│ error log path    │ /home/u/.pm2/logs/api-error.log │",
        "│ out log path      │ /home/u/.pm2/logs/api-out.log   │",
        "│ pid path          │ /home/u/.pm2/pids/api-0.pid     │",
        "│ interpreter       │ none                            │",
        "│ interpreter args  │ N/A                             │",
        "│ script id         │ 0                               │",
        "│ exec cwd          │ /srv/app                        │",
        "│ exec mode         │ fork_mode                       │",
        "│ node.js version   │ N/A                             │",
        "│ node env          │ N/A                             │",
        "│ watch & reload    │ ✘                               │",
        "│ unstable restarts │ 0                               │",
        "│ created at        │ 2026-11-26T04:58:23.649Z        │",
        "└───────────────────┴─────────────────────────────────┘",
    ]
    .join("\n");
    assert_eq!(describe(&process(0, "api"), NOW, false), expected);
}

#[test]
fn optional_rows_go_where_pm2_puts_them() {
    let mut p = process(0, "api");
    p.spec.max_memory_restart = Some(209_715_200);
    p.combined_log = Some(PathBuf::from("/tmp/combined-0.log"));
    p.spec.inert_options = vec!["watch".to_owned(), "cron_restart".to_owned()];
    p.last_error = Some("spawn /nope ENOENT".to_owned());
    let text = describe(&p, NOW, false);
    let keys = row_keys(&text);
    assert_eq!(
        keys,
        [
            "status",
            "name",
            "namespace",
            "version",
            "restarts",
            "max memory restart",
            "uptime",
            "entire log path",
            "script path",
            "script args",
            "error log path",
            "out log path",
            "pid path",
            "interpreter",
            "interpreter args",
            "script id",
            "exec cwd",
            "exec mode",
            "node.js version",
            "node env",
            "watch & reload",
            "unstable restarts",
            "created at",
            "inert options",
            "last error",
        ]
    );
    assert!(text.contains("│ max memory restart │ 209715200 "), "{text}");
    assert!(
        text.contains("│ inert options      │ watch, cron_restart "),
        "{text}"
    );
    assert!(
        text.contains("│ last error         │ spawn /nope ENOENT "),
        "{text}"
    );
}

#[test]
fn values_as_pm2_writes_them() {
    let mut p = stopped(7, "web");
    p.spec.args = vec!["--port".to_owned(), "80".to_owned()];
    p.spec.interpreter = Some("node".to_owned());
    p.spec.interpreter_args = vec!["--inspect".to_owned(), "--trace".to_owned()];
    p.env.insert("NODE_ENV".to_owned(), "production".to_owned());
    let text = describe(&p, NOW, false);
    assert!(text.starts_with(" Describing process with id 7 - name web \n"));
    assert!(text.contains("│ status            │ stopped "), "{text}");
    assert!(text.contains("│ uptime            │ 0 "), "{text}");
    assert!(text.contains("│ script args       │ --port 80 "), "{text}");
    assert!(text.contains("│ interpreter       │ node "), "{text}");
    // JavaScript's Array#toString.
    assert!(
        text.contains("│ interpreter args  │ --inspect,--trace "),
        "{text}"
    );
    assert!(text.contains("│ node env          │ production "), "{text}");
}

#[test]
fn multi_line_values_take_several_lines() {
    let mut p = process(0, "api");
    p.last_error = Some("first line\nsecond".to_owned());
    let text = describe(&p, NOW, false);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains("last error"))
        .unwrap_or(0);
    assert!(lines[at].contains("│ first line "), "{text}");
    assert!(
        lines[at + 1].starts_with("│                   │ second "),
        "{text}"
    );
}

#[test]
fn colours_only_with_color() {
    let p = process(0, "api");
    assert!(!describe(&p, NOW, false).contains('\x1b'));
    let text = describe(&p, NOW, true);
    assert!(text
        .starts_with("\x1b[1m\x1b[7m Describing process with id 0 - name api \x1b[27m\x1b[22m\n"));
    assert!(text.contains("\x1b[1m\x1b[36m status            \x1b[39m\x1b[22m"));
    assert!(text.contains("\x1b[32m\x1b[1monline\x1b[22m\x1b[39m"));
    let errored = {
        let mut p = stopped(1, "api");
        p.status = pm2_protocol::Status::Errored;
        describe(&p, NOW, true)
    };
    assert!(errored.contains("\x1b[31m\x1b[1merrored\x1b[22m\x1b[39m"));
}

#[test]
fn divergent_env_lists_variables_the_process_has_otherwise() {
    let p = process(0, "api");
    let local: BTreeMap<String, String> = [
        ("HOME", "/root"),
        ("PATH", "/usr/bin:/bin"),
        ("TERM", "xterm"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let expected = [
        " Divergent env variables from local env ",
        "┌──────┬─────────┐",
        "│ HOME │ /home/u │",
        "└──────┴─────────┘",
    ]
    .join("\n");
    assert_eq!(divergent_env(&p, &local, false), expected);
    assert_eq!(
        divergent_env(&p, &BTreeMap::new(), false),
        " Divergent env variables from local env \n"
    );
}
