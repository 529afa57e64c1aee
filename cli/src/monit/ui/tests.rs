//! The dashboard drawn on ratatui's `TestBackend`, read back as text.

use pm2_protocol::{HostVitals, LogStream};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::{draw, list, panes, View};
use crate::monit::keys::Intent;
use crate::monit::logs::Entry;
use crate::monit::state::{Link, Monit};
use crate::render::fixture::{process, stopped, NOW};

/// The screen as lines of text.
fn screen(monit: &Monit, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let mut view = View::default();
    terminal
        .draw(|frame| draw(frame, monit, &mut view, NOW))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

fn text(lines: &[String]) -> String {
    lines.join("\n")
}

fn connected(names: &[&str]) -> Monit {
    let mut monit = Monit::new();
    monit.link = Link::Up;
    let mut procs: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(id, name)| process(id as u32, name))
        .collect();
    if let Some(last) = procs.last_mut() {
        *last = stopped(last.pm_id, &last.spec.name);
    }
    monit.set_list(procs, true);
    monit
}

#[test]
fn every_app_is_on_an_80x24_screen_with_its_status_cpu_and_memory() {
    let monit = connected(&["api", "worker", "mailer", "cron"]);
    let lines = screen(&monit, 80, 24);
    let all = text(&lines);
    for name in ["api", "worker", "mailer", "cron"] {
        assert!(all.contains(name), "{name} missing:\n{all}");
    }
    let api = lines
        .iter()
        .find(|l| l.contains(" api ") && l.contains("online"))
        .expect("api row");
    assert!(api.contains('›'), "api is selected: {api}");
    assert!(api.contains("online") && api.contains("0.5%") && api.contains("12.3mb"));
    assert!(all.contains("stopped"), "{all}");
    // The panes and the keys.
    assert!(all.contains("api logs"), "{all}");
    assert!(all.contains("Metadata"), "{all}");
    assert!(all.contains("api history"), "{all}");
    let help = lines.last().expect("help line");
    for key in ["restart", "stop", "reload", "delete", "filter", "quit"] {
        assert!(help.contains(key), "{key} not in {help:?}");
    }
    assert!(!all.contains("Host"), "no host panel without vitals");
}

#[test]
fn the_metadata_pane_shows_what_the_process_is() {
    let monit = connected(&["api", "worker"]);
    for (width, height) in [(80, 24), (160, 50)] {
        let all = text(&screen(&monit, width, height));
        for wanted in [
            "pid",
            "4242",
            "uptime",
            "5m",
            "restarts",
            "mode",
            "fork",
            "instances",
            "watch",
            "namespace",
            "default",
            "interpreter",
            "script",
            "/usr/bin/sleep 100",
            "cwd",
            "/srv/app",
            "api-out.log",
            "api-error.log",
        ] {
            assert!(
                all.contains(wanted),
                "{wanted} missing at {width}x{height}:\n{all}"
            );
        }
    }
}

#[test]
fn the_log_pane_shows_the_selected_apps_last_lines_only() {
    let mut monit = connected(&["api", "worker"]);
    monit
        .logs
        .push(0, Entry::new(LogStream::Out, b"api says hello"));
    monit
        .logs
        .push(1, Entry::new(LogStream::Err, b"worker says hello"));
    let all = text(&screen(&monit, 80, 24));
    assert!(all.contains("api says hello"), "{all}");
    assert!(!all.contains("worker says hello"), "{all}");
    monit.handle(Intent::Move(1));
    let all = text(&screen(&monit, 80, 24));
    assert!(all.contains("worker logs"), "{all}");
    assert!(all.contains("worker says hello"), "{all}");
    assert!(!all.contains("api says hello"), "{all}");
}

#[test]
fn the_newest_lines_win_when_the_pane_is_full() {
    let mut monit = connected(&["api"]);
    for i in 0..100 {
        monit.logs.push(
            0,
            Entry::new(LogStream::Out, format!("line {i}").as_bytes()),
        );
    }
    let all = text(&screen(&monit, 80, 24));
    assert!(all.contains("line 99"), "{all}");
    assert!(!all.contains("line 50 "), "{all}");
}

#[test]
fn a_long_list_scrolls_to_keep_the_selection_on_screen() {
    let names: Vec<String> = (0..50).map(|i| format!("app-{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut monit = connected(&names);
    monit.handle(Intent::Last);
    let all = text(&screen(&monit, 80, 24));
    assert!(all.contains("app-49"), "{all}");
    assert!(!all.contains("app-00"), "{all}");
    assert!(all.contains("Processes 50"), "{all}");
}

#[test]
fn scrolling_moves_only_when_the_selection_leaves_the_rows() {
    assert_eq!(list::scroll(0, Some(3), 10, 50), 0);
    assert_eq!(list::scroll(0, Some(12), 10, 50), 3);
    assert_eq!(list::scroll(3, Some(5), 10, 50), 3);
    assert_eq!(list::scroll(3, Some(1), 10, 50), 1);
    assert_eq!(list::scroll(40, None, 10, 5), 0, "the list shrank");
}

#[test]
fn a_small_terminal_gets_a_message_not_a_panic() {
    let monit = connected(&["api"]);
    let all = text(&screen(&monit, 30, 8));
    assert!(all.contains("too small"), "{all}");
    for (width, height) in [(1, 1), (55, 24), (80, 13), (56, 14), (200, 60)] {
        screen(&monit, width, height);
    }
}

#[test]
fn the_host_panel_appears_only_with_vitals() {
    let mut monit = connected(&["api"]);
    monit.vitals = Some(HostVitals {
        cpus: 4,
        cpu_percent: 12.5,
        mem_used: 3 << 30,
        mem_total: 16 << 30,
        load: [0.5, 0.25, 0.125],
        disk_read_bps: 0,
        disk_write_bps: 2048,
        net_rx_bps: 1024,
        net_tx_bps: 512,
        at_ms: NOW,
    });
    let lines = screen(&monit, 120, 30);
    assert!(lines[0].contains("Host"), "{}", text(&lines));
    for wanted in [
        "12%",
        "×4",
        "3.0gb/16.0gb",
        "0.50 0.25 0.12",
        "2.0kb/s",
        "↓1.0kb/s",
    ] {
        assert!(lines[0].contains(wanted), "{wanted} not in {:?}", lines[0]);
    }
    // Every app is still on an 80x24 screen with the host line.
    let all = text(&screen(&connected(&["a1", "a2", "a3", "a4", "a5"]), 80, 24));
    for name in ["a1", "a5"] {
        assert!(all.contains(name), "{all}");
    }
}

#[test]
fn the_filter_prompt_and_the_delete_question_replace_the_keys() {
    let mut monit = connected(&["api", "worker"]);
    monit.handle(Intent::OpenFilter);
    monit.handle(Intent::FilterPush('w'));
    let lines = screen(&monit, 80, 24);
    assert!(lines[23].contains("filter: w"), "{:?}", lines[23]);
    assert!(text(&lines).contains("Processes 1/2"), "{}", text(&lines));
    monit.handle(Intent::KeepFilter);
    monit.handle(Intent::AskDelete);
    let lines = screen(&monit, 80, 24);
    assert!(
        lines[23].contains("Delete worker (id 1)?"),
        "{:?}",
        lines[23]
    );
}

#[test]
fn a_lost_daemon_is_said_over_the_last_data() {
    let mut monit = connected(&["api"]);
    monit.link = Link::Down("the daemon closed the connection".into());
    let all = text(&screen(&monit, 80, 24));
    assert!(all.contains("PM2 daemon unreachable"), "{all}");
    assert!(all.contains("waiting for it"), "{all}");
    let all = text(&screen(&Monit::new(), 80, 24));
    assert!(all.contains("connecting"), "{all}");
}

#[test]
fn helpers_fit_text() {
    assert_eq!(panes::tail_fit("/a/b/c.log", 20), "/a/b/c.log");
    assert_eq!(panes::tail_fit("/a/b/c.log", 6), "…c.log");
    assert_eq!(panes::tail_fit("abc", 0), "");
    assert_eq!(panes::wrap("abcdef", 4), ["abcd", "ef"]);
    assert_eq!(panes::wrap("", 4), [""]);
    assert_eq!(list::spark_text(&[0.0, 50.0, 100.0], 5), "  ▁▅█");
    assert_eq!(list::spark_text(&[0.0, 0.0], 2), "▁▁");
    assert_eq!(list::cpu_text(0.26), "0.3%");
    assert_eq!(list::cpu_text(12.4), "12%");
}
