//! `pm2 monit` on a real terminal: a private tmux server runs it against a temporary
//! `PM2_HOME`, the tests type keys and read the screen, polling with a deadline.
//!
//! Each test has its own tmux server (killed when the test ends, with `pm2 monit` in it)
//! and its own daemon and apps (killed by [`Pm2`]'s drop).

use crate::common;

use common::tmux::Tmux;
use common::{pm2_bin, Pm2};

/// Starts `name`, which prints `<name> line <i>` every 100 ms and `<name> oops <i>` to
/// stderr every tenth line.
fn start_app(pm2: &Pm2, name: &str) {
    pm2.write(
        "chatty.py",
        r#"
import sys, time
name = sys.argv[1]
i = 0
while True:
    print(f"{name} line {i}", flush=True)
    if i % 10 == 0:
        print(f"{name} oops {i}", file=sys.stderr, flush=True)
    i += 1
    time.sleep(0.1)
"#,
        false,
    );
    pm2.run(&["start", "chatty.py", "--name", name, "--", name])
        .ok();
}

/// `pm2 monit` in a `columns` x `rows` tmux pane; when it exits the pane prints
/// `monit exited <code>` and stays open. `None` when tmux is missing (outside CI).
fn monit(pm2: &Pm2, columns: u16, rows: u16) -> Option<Tmux> {
    let command = format!(
        "cd '{}' && PM2_HOME='{}' '{}' monit; echo \"monit exited $?\"; sleep 600",
        pm2.work().display(),
        pm2.home().display(),
        pm2_bin().display()
    );
    Tmux::start(&command, columns, rows)
}

/// The list row of `name`: on an 80-column screen, the left pane's 40 columns of a row
/// (not a title) that hold the name.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.char_indices().nth(40).map_or(l, |(end, _)| &l[..end]))
        .find(|left| left.contains(&format!(" {name} ")))
}

#[test]
fn every_app_is_listed_and_the_log_pane_follows_the_selection() {
    let pm2 = Pm2::new();
    for name in ["alpha", "bravo", "charlie"] {
        start_app(&pm2, name);
    }
    let Some(tmux) = monit(&pm2, 80, 24) else {
        return;
    };
    let screen = tmux.wait_screen("every app online", |s| {
        ["alpha", "bravo", "charlie"]
            .iter()
            .all(|name| row(s, name).is_some_and(|r| r.contains("online")))
    });
    assert!(screen.contains("Processes 3"), "{screen}");
    for key in ["restart", "stop", "reload", "delete", "filter", "quit"] {
        assert!(screen.contains(key), "help line lacks {key}:\n{screen}");
    }
    // The first app (by name) is selected: its lines fill the log pane.
    tmux.wait_screen("alpha's lines", |s| {
        s.contains("alpha logs") && s.contains("alpha line")
    });
    // Down: the next app's lines, and only them.
    tmux.send_keys(&["Down"]);
    tmux.wait_screen("bravo's lines instead of alpha's", |s| {
        s.contains("bravo logs") && s.contains("bravo line") && !s.contains("alpha line")
    });
    // j/k move too.
    tmux.send_keys(&["j"]);
    tmux.wait_screen("charlie's lines", |s| s.contains("charlie line"));
    tmux.send_keys(&["k"]);
    tmux.wait_screen("bravo's lines again", |s| {
        s.contains("bravo line") && !s.contains("charlie line")
    });
    // The metadata of the selected app.
    let screen = tmux.wait_screen("bravo's metadata", |s| s.contains("chatty.py bravo"));
    for wanted in ["pid", "uptime", "restarts", "namespace", "fork", "python3"] {
        assert!(screen.contains(wanted), "{wanted} missing:\n{screen}");
    }
}

#[test]
fn q_esc_and_ctrl_c_give_the_terminal_back() {
    let pm2 = Pm2::new();
    start_app(&pm2, "alpha");
    for key in ["q", "Escape", "C-c"] {
        let Some(tmux) = monit(&pm2, 80, 24) else {
            return;
        };
        tmux.wait_screen("alpha listed", |s| row(s, "alpha").is_some());
        assert_eq!(
            tmux.format("#{alternate_on}"),
            "1",
            "monit draws on the alternate screen"
        );
        tmux.send_keys(&[key]);
        tmux.wait_screen(&format!("the shell after {key}"), |s| {
            s.contains("monit exited 0")
        });
        assert_eq!(tmux.format("#{alternate_on}"), "0", "after {key}");
        assert_eq!(
            tmux.format("#{cursor_flag}"),
            "1",
            "cursor shown after {key}"
        );
    }
}

#[test]
fn r_restarts_the_selected_app() {
    let pm2 = Pm2::new();
    start_app(&pm2, "alpha");
    start_app(&pm2, "bravo");
    let before = pm2.wait_status(1, "online")["pid"].as_i64();
    let Some(tmux) = monit(&pm2, 80, 24) else {
        return;
    };
    tmux.wait_screen("both listed", |s| {
        row(s, "alpha").is_some() && row(s, "bravo").is_some()
    });
    tmux.send_keys(&["Down"]);
    tmux.wait_screen("bravo selected", |s| s.contains("bravo logs"));
    tmux.send_keys(&["r"]);
    tmux.wait_screen("the outcome", |s| s.contains("restarted bravo (id 1)"));
    let list = pm2.wait_for("bravo restarted", |list| {
        list.iter().any(|p| {
            p["pm_id"] == 1 && p["pm2_env"]["restart_time"] == 1 && p["pid"].as_i64() != before
        })
    });
    let alpha = list.iter().find(|p| p["pm_id"] == 0).expect("alpha");
    assert_eq!(alpha["pm2_env"]["restart_time"], 0, "only the selected app");
}

#[test]
fn delete_needs_a_yes() {
    let pm2 = Pm2::new();
    start_app(&pm2, "alpha");
    start_app(&pm2, "bravo");
    let Some(tmux) = monit(&pm2, 80, 24) else {
        return;
    };
    tmux.wait_screen("both listed", |s| {
        row(s, "alpha").is_some() && row(s, "bravo").is_some()
    });
    tmux.send_keys(&["d"]);
    tmux.wait_screen("the question", |s| s.contains("Delete alpha (id 0)?"));
    tmux.send_keys(&["n"]);
    tmux.wait_screen("no deletion", |s| s.contains("delete cancelled"));
    assert_eq!(pm2.jlist().len(), 2, "nothing deleted after no");
    tmux.send_keys(&["d"]);
    tmux.wait_screen("the question again", |s| s.contains("Delete alpha (id 0)?"));
    tmux.send_keys(&["y"]);
    tmux.wait_screen("alpha gone from the list", |s| {
        row(s, "alpha").is_none() && s.contains("Processes 1")
    });
    let list = pm2.jlist();
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["name"], "bravo");
}

#[test]
fn slash_filters_by_name() {
    let pm2 = Pm2::new();
    for name in ["alpha", "bravo", "charlie"] {
        start_app(&pm2, name);
    }
    let Some(tmux) = monit(&pm2, 80, 24) else {
        return;
    };
    tmux.wait_screen("all listed", |s| row(s, "charlie").is_some());
    tmux.send_keys(&["/", "ch", "Enter"]);
    let screen = tmux.wait_screen("only charlie", |s| {
        s.contains("filter: ch") && row(s, "alpha").is_none() && row(s, "bravo").is_none()
    });
    assert!(row(&screen, "charlie").is_some(), "{screen}");
    tmux.wait_screen("charlie's lines", |s| s.contains("charlie line"));
    // Esc clears the filter (and does not quit while one is set).
    tmux.send_keys(&["Escape"]);
    tmux.wait_screen("all listed again", |s| {
        row(s, "alpha").is_some() && row(s, "bravo").is_some()
    });
}

#[test]
fn a_daemon_that_goes_away_is_waited_for() {
    let pm2 = Pm2::new();
    start_app(&pm2, "alpha");
    let Some(tmux) = monit(&pm2, 80, 24) else {
        return;
    };
    tmux.wait_screen("alpha listed", |s| row(s, "alpha").is_some());
    pm2.run(&["kill"]).ok();
    tmux.wait_screen("the daemon missed", |s| {
        s.contains("PM2 daemon unreachable") && s.contains("waiting for it")
    });
    // A new daemon (started by the next command) is found without a key press.
    start_app(&pm2, "bravo");
    tmux.wait_screen("bravo from the new daemon", |s| {
        !s.contains("unreachable") && row(s, "bravo").is_some_and(|r| r.contains("online"))
    });
    assert!(!tmux.screen().contains("monit exited"));
}
#[test]
fn a_small_terminal_gets_a_message_and_a_resize_brings_the_dashboard() {
    let pm2 = Pm2::new();
    start_app(&pm2, "alpha");
    let Some(tmux) = monit(&pm2, 30, 8) else {
        return;
    };
    tmux.wait_screen("the too-small message", |s| s.contains("too small"));
    tmux.resize(80, 24);
    tmux.wait_screen("the dashboard", |s| {
        row(s, "alpha").is_some() && !s.contains("too small")
    });
}
