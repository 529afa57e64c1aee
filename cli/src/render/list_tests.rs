//! Tests of the `pm2 ls` listing: the `-m` mini list against PM2 7's, the order `--sort`
//! gives the table, and colours on and off.

use pm2_protocol::{ExecMode, ProcessInfo, Status};

use super::fixture::{process, stopped, NOW};
use super::{list, mini_list, ListStyle, SortSpec};

fn names(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with('│') && !line.contains(" id "))
        .filter_map(|line| line.split('│').nth(2))
        .map(|cell| cell.trim().to_owned())
        .collect()
}

fn three() -> Vec<ProcessInfo> {
    let mut beta = stopped(0, "beta");
    beta.restart_time = 0;
    let mut alpha = process(1, "alpha");
    alpha.monit.memory = 40 << 20;
    let mut gamma = process(2, "gamma");
    gamma.monit.memory = 20 << 20;
    gamma.spec.exec_mode = ExecMode::Cluster;
    vec![beta, alpha, gamma]
}

#[test]
fn mini_list_is_pm2s_byte_for_byte() {
    let procs = three();
    let rows: Vec<&ProcessInfo> = procs.iter().collect();
    // `pm2 ls -m` of PM2 7.0.4, less the final newline `console.log` adds.
    let expected = "\
+--- beta
namespace : default
version : N/A
pid : 0
pm2 id : 0
status : stopped
mode : fork
restarted : 0
uptime : 0
memory usage : 0b 
error log : /home/u/.pm2/logs/beta-error.log
watching : no
PID file : /home/u/.pm2/pids/beta-0.pid

+--- alpha
namespace : default
version : N/A
pid : 4243
pm2 id : 1
status : online
mode : fork
restarted : 1
uptime : 5m
memory usage : 40.0mb 
error log : /home/u/.pm2/logs/alpha-error.log
watching : no
PID file : /home/u/.pm2/pids/alpha-1.pid

+--- gamma
namespace : default
version : N/A
pid : 4244
pm2 id : 2
status : online
mode : cluster
restarted : 1
uptime : 5m
memory usage : 20.0mb 
error log : /home/u/.pm2/logs/gamma-error.log
watching : no
PID file : /home/u/.pm2/pids/gamma-2.pid
";
    assert_eq!(mini_list(&rows, NOW), expected);
}

#[test]
fn mini_list_of_nothing_is_empty() {
    assert_eq!(mini_list(&[], NOW), "");
}

#[test]
fn mini_list_keeps_id_order_unless_sorted() {
    let procs = three();
    let heads = |style: &ListStyle| -> Vec<String> {
        list(&procs, NOW, style)
            .lines()
            .filter_map(|l| l.strip_prefix("+--- "))
            .map(str::to_owned)
            .collect()
    };
    let mini = ListStyle {
        mini: true,
        ..ListStyle::default()
    };
    assert_eq!(heads(&mini), ["beta", "alpha", "gamma"]);
    let by_memory = ListStyle {
        sort: Some("memory:desc".parse().expect("spec")),
        ..mini
    };
    assert_eq!(heads(&by_memory), ["alpha", "gamma", "beta"]);
}

#[test]
fn table_is_by_name_unless_sorted() {
    let procs = three();
    let plain = ListStyle::default();
    assert_eq!(
        names(&list(&procs, NOW, &plain)),
        ["alpha", "beta", "gamma"]
    );
    let desc = ListStyle {
        sort: Some("name:desc".parse().expect("spec")),
        ..plain
    };
    assert_eq!(names(&list(&procs, NOW, &desc)), ["gamma", "beta", "alpha"]);
    let by_id = ListStyle {
        sort: Some(SortSpec::BY_ID),
        ..plain
    };
    assert_eq!(
        names(&list(&procs, NOW, &by_id)),
        ["beta", "alpha", "gamma"]
    );
}

#[test]
fn table_width_picks_pm2s_layout() {
    let procs = three();
    let at = |columns| ListStyle {
        columns,
        ..ListStyle::default()
    };
    let header = |style| list(&procs, NOW, &style).lines().nth(1).map(str::to_owned);
    let full = header(at(None)).expect("header");
    assert!(
        full.contains("namespace") && full.contains("watching"),
        "{full}"
    );
    let condensed = header(at(Some(100))).expect("header");
    assert!(
        condensed.contains("memory") && !condensed.contains("pid"),
        "{condensed}"
    );
    let mini = header(at(Some(60))).expect("header");
    assert!(!mini.contains("mode") && mini.contains("mem"), "{mini}");
}

#[test]
fn colours_follow_pm2s_status_colours() {
    let mut procs = three();
    let mut launching = process(3, "delta");
    launching.status = Status::Launching;
    procs.push(launching);
    let coloured = list(
        &procs,
        NOW,
        &ListStyle {
            color: true,
            ..ListStyle::default()
        },
    );
    assert!(coloured.contains("\x1b[32m\x1b[1monline\x1b[22m\x1b[39m"));
    assert!(coloured.contains("\x1b[31m\x1b[1mstopped\x1b[22m\x1b[39m"));
    assert!(coloured.contains("\x1b[34m\x1b[1mlaunching\x1b[22m\x1b[39m"));
}

#[test]
fn no_colour_means_no_escape_codes_at_all() {
    let procs = three();
    for mini in [false, true] {
        let style = ListStyle {
            mini,
            ..ListStyle::default()
        };
        let text = list(&procs, NOW, &style);
        assert!(!text.contains('\x1b'), "{text}");
    }
    // The mini list has no colours even when they are allowed, as in PM2.
    let mini = ListStyle {
        mini: true,
        color: true,
        ..ListStyle::default()
    };
    assert!(!list(&procs, NOW, &mini).contains('\x1b'));
}
