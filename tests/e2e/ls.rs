//! `pm2 ls` polish end to end: `--sort`, `-m`, colours only on a terminal, the layout by
//! width, and `--watch` redrawing in place on a real terminal (tmux) until Ctrl-C.

use crate::common;

use common::tmux::Tmux;
use common::{pm2_bin, Pm2};
use serde_json::Value;

/// A Node app holding `MB` megabytes, so the three apps differ clearly in memory.
const APP: &str = "const mb = Number(process.env.MB || 0);\n\
const keep = Buffer.alloc(mb * 1024 * 1024, 1);\n\
setInterval(() => { keep[0] = (keep[0] || 0) + 1; }, 1000);\n";

/// The names in a table's rows, top to bottom.
fn table_names(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with('│') && !line.contains(" id "))
        .filter_map(|line| line.split('│').nth(2))
        .map(|cell| cell.trim().to_owned())
        .collect()
}

fn memory(p: &Value) -> u64 {
    p["monit"]["memory"].as_u64().unwrap_or(0)
}

fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|p| p["name"] == name)
}

/// Starts beta (0 MB), alpha (60 MB) and gamma (30 MB), in that order (ids 0, 1, 2), and
/// waits until every one is online with a memory sample in that order.
fn three_apps(pm2: &Pm2) {
    pm2.write("app.js", APP, false);
    for (name, mb) in [("beta", "0"), ("alpha", "60"), ("gamma", "30")] {
        pm2.run_env(&["start", "app.js", "--name", name], &[("MB", mb)])
            .ok();
    }
    pm2.wait_for(
        "three apps online and sampled, alpha > gamma > beta",
        |list| {
            let mem = |name| named(list, name).map(memory).unwrap_or(0);
            list.iter().all(|p| p["pm2_env"]["status"] == "online")
                && mem("beta") > 0
                && mem("gamma") > mem("beta") + (15 << 20)
                && mem("alpha") > mem("gamma") + (15 << 20)
        },
    );
}

#[test]
fn sort_orders_the_table() {
    let pm2 = Pm2::new();
    three_apps(&pm2);
    let ls = |args: &[&str]| table_names(&pm2.run(args).ok().stdout);
    assert_eq!(ls(&["ls"]), ["alpha", "beta", "gamma"], "PM2's default");
    assert_eq!(
        ls(&["ls", "--sort", "name:desc"]),
        ["gamma", "beta", "alpha"]
    );
    assert_eq!(
        ls(&["ls", "--sort", "memory:desc"]),
        ["alpha", "gamma", "beta"]
    );
    assert_eq!(ls(&["ls", "--sort", "mem"]), ["beta", "gamma", "alpha"]);
    assert_eq!(ls(&["ls", "--sort", "id"]), ["beta", "alpha", "gamma"]);
    assert_eq!(
        ls(&["--sort", "id:desc", "list"]),
        ["gamma", "alpha", "beta"]
    );
    let mut by_cpu = ls(&["ls", "--sort", "cpu"]);
    by_cpu.sort();
    assert_eq!(by_cpu, ["alpha", "beta", "gamma"], "cpu is accepted");
    // After a command that changes the list, the table comes in the order asked too.
    let stop = pm2.run(&["stop", "beta", "--sort", "name:desc"]).ok();
    assert_eq!(table_names(&stop.stdout), ["gamma", "beta", "alpha"]);
}

#[test]
fn an_unknown_sort_field_or_order_is_one_line_naming_it() {
    let pm2 = Pm2::new();
    for (spec, word) in [("bogus", "'bogus'"), ("name:sideways", "'sideways'")] {
        let run = pm2.run(&["ls", "--sort", spec]).failed();
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(word), "{}", run.stderr);
    }
    assert!(
        pm2.daemon_pid().is_none(),
        "refused before starting a daemon"
    );
}

#[test]
fn mini_list_prints_pm2s_blocks() {
    let pm2 = Pm2::new();
    three_apps(&pm2);
    for args in [&["ls", "-m"][..], &["-m", "ls"], &["list", "--mini-list"]] {
        let out = pm2.run(args).ok().stdout;
        let heads: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("+--- "))
            .collect();
        assert_eq!(heads, ["beta", "alpha", "gamma"], "id order: {out}");
        let block: Vec<&str> = out
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .lines()
            .collect();
        let keys: Vec<&str> = block
            .iter()
            .skip(1)
            .filter_map(|l| l.split(" : ").next())
            .collect();
        assert_eq!(
            keys,
            [
                "namespace",
                "version",
                "pid",
                "pm2 id",
                "status",
                "mode",
                "restarted",
                "uptime",
                "memory usage",
                "error log",
                "watching",
                "PID file"
            ]
        );
        assert!(out.contains("status : online\nmode : fork\n"), "{out}");
        assert!(
            out.ends_with(".pid\n\n"),
            "a blank line after each block: {out:?}"
        );
        assert!(!out.contains('┌'), "no table: {out}");
    }
    let sorted = pm2.run(&["ls", "-m", "--sort", "memory:desc"]).ok().stdout;
    let heads: Vec<&str> = sorted
        .lines()
        .filter_map(|l| l.strip_prefix("+--- "))
        .collect();
    assert_eq!(heads, ["alpha", "gamma", "beta"]);
    // As in PM2, -m is global: a command that prints the list afterwards prints this one.
    let stop = pm2.run(&["stop", "gamma", "-m"]).ok().stdout;
    assert!(stop.contains("+--- gamma\n"), "{stop}");
    assert!(stop.contains("status : stopped"), "{stop}");
}

#[test]
fn piped_output_has_no_escape_codes_and_watch_refuses() {
    let pm2 = Pm2::new();
    three_apps(&pm2);
    for args in [&["ls"][..], &["ls", "-m"], &["ls", "--sort", "memory:desc"]] {
        let out = pm2.run(args).ok().stdout;
        assert!(!out.contains('\x1b'), "{args:?}: {out:?}");
        assert!(out.contains("alpha"), "{out}");
    }
    for args in [&["ls", "--watch"][..], &["ls", "-w"]] {
        let run = pm2.run(args).failed();
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("terminal"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

/// A bash command line running `pm2 args` with this home, then saying how it exited and
/// staying alive so the screen can be read.
fn on_terminal(pm2: &Pm2, args: &str) -> String {
    format!(
        "cd '{}' && env -u NO_COLOR PM2_HOME='{}' '{}' {args}; echo \"exit=$?\"; exec sleep 600",
        pm2.work().display(),
        pm2.home().display(),
        pm2_bin().display()
    )
}

#[test]
fn colours_on_a_terminal_none_with_no_color_and_layout_by_width() {
    let pm2 = Pm2::new();
    three_apps(&pm2);
    let Some(wide) = Tmux::start(&on_terminal(&pm2, "ls"), 200, 20) else {
        return;
    };
    wide.wait_screen("ls to finish", |s| s.contains("exit=0"));
    let coloured = wide.screen_with_escapes();
    assert!(coloured.contains("32monline"), "green online: {coloured}");
    assert!(
        wide.screen().contains("watching"),
        "full table at 200 columns"
    );

    let Some(plain) = Tmux::start(&on_terminal(&pm2, "ls --no-color"), 200, 20) else {
        return;
    };
    plain.wait_screen("ls to finish", |s| s.contains("exit=0"));
    let text = plain.screen_with_escapes();
    assert!(!text.contains('\x1b'), "no escape codes: {text:?}");

    // As PM2: a terminal too narrow for every column gets the condensed table.
    let Some(narrow) = Tmux::start(&on_terminal(&pm2, "ls"), 100, 20) else {
        return;
    };
    let screen = narrow.wait_screen("ls to finish", |s| s.contains("exit=0"));
    assert!(
        screen.contains("memory") && !screen.contains("watching"),
        "{screen}"
    );
}

#[test]
fn watch_redraws_in_place_and_exits_on_ctrl_c() {
    let pm2 = Pm2::new();
    three_apps(&pm2);
    let Some(term) = Tmux::start(&on_terminal(&pm2, "ls -w"), 200, 30) else {
        return;
    };
    term.wait_screen("the first frame", |s| {
        s.contains("alpha") && s.contains("gamma")
    });
    assert_eq!(
        term.format("#{cursor_flag}"),
        "0",
        "cursor hidden while watching"
    );

    // An app started after the watch began appears in a later frame.
    pm2.run_env(&["start", "app.js", "--name", "delta"], &[("MB", "0")])
        .ok();
    let screen = term.wait_screen("delta online in the table", |s| {
        s.lines()
            .any(|l| l.contains("delta") && l.contains("online"))
    });
    // Redrawn in place: one title, one table, nothing pushed into the scrollback.
    assert_eq!(screen.matches("Every 1s: pm2 ls").count(), 1, "{screen}");
    assert_eq!(screen.matches('┌').count(), 1, "{screen}");
    assert_eq!(term.format("#{history_size}"), "0", "no scrollback spam");

    // Keys typed meanwhile are not echoed into the frame.
    term.send_keys(&["typed", "Enter"]);
    term.send_keys(&["C-c"]);
    let screen = term.wait_screen("the watch to exit", |s| s.contains("exit=0"));
    assert!(!screen.contains("typed"), "{screen}");
    assert!(!screen.contains("^C"), "{screen}");
    assert!(screen.contains("delta"), "the last frame stays: {screen}");
    assert_eq!(term.format("#{cursor_flag}"), "1", "cursor shown again");
    assert_eq!(term.format("#{history_size}"), "0");
}
