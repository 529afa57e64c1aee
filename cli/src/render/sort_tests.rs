//! Tests of `--sort`: parsing the spec, each key, ties, and the order on both directions.

use pm2_protocol::{ProcessInfo, Status};

use super::fixture::{process, stopped, NOW};
use super::{SortKey, SortOrder, SortSpec, SortSpecError};

fn spec(text: &str) -> SortSpec {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn ids(spec: SortSpec, procs: &[ProcessInfo]) -> Vec<u32> {
    spec.sorted(procs, NOW).iter().map(|p| p.pm_id).collect()
}

#[test]
fn a_field_alone_sorts_ascending() {
    assert_eq!(
        spec("memory"),
        SortSpec {
            key: SortKey::Memory,
            order: SortOrder::Asc
        }
    );
}

#[test]
fn fields_and_orders_are_case_insensitive() {
    assert_eq!(
        spec("CPU:DESC"),
        SortSpec {
            key: SortKey::Cpu,
            order: SortOrder::Desc
        }
    );
    assert_eq!(spec("Name:Asc"), SortSpec::BY_NAME);
}

#[test]
fn every_pm2_field_and_ours_parse() {
    for (word, key) in [
        ("name", SortKey::Name),
        ("namespace", SortKey::Namespace),
        ("id", SortKey::Id),
        ("pid", SortKey::Pid),
        ("uptime", SortKey::Uptime),
        ("status", SortKey::Status),
        ("cpu", SortKey::Cpu),
        ("memory", SortKey::Memory),
        ("mem", SortKey::Memory),
        ("restarts", SortKey::Restarts),
    ] {
        assert_eq!(spec(&format!("{word}:desc")).key, key, "{word}");
    }
}

#[test]
fn an_unknown_field_is_named_in_the_error() {
    let err = "bogus:desc".parse::<SortSpec>().unwrap_err();
    assert_eq!(err, SortSpecError::Key("bogus".into()));
    let message = err.to_string();
    assert!(message.contains("'bogus'"), "{message}");
    assert!(message.contains("memory"), "lists the fields: {message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn an_unknown_order_is_named_in_the_error() {
    let err = "name:sideways".parse::<SortSpec>().unwrap_err();
    assert_eq!(err, SortSpecError::Order("sideways".into()));
    assert!(err.to_string().contains("'sideways'"));
    assert_eq!(
        "name:".parse::<SortSpec>(),
        Err(SortSpecError::Order(String::new()))
    );
    // PM2 would read `name:desc:x` as ascending; we say what is wrong.
    assert_eq!(
        "name:desc:x".parse::<SortSpec>(),
        Err(SortSpecError::Order("desc:x".into()))
    );
    assert_eq!(
        "".parse::<SortSpec>(),
        Err(SortSpecError::Key(String::new()))
    );
}

#[test]
fn display_round_trips() {
    for text in ["name:asc", "memory:desc", "restarts:asc"] {
        assert_eq!(spec(text).to_string(), text);
    }
}

#[test]
fn names_sort_both_ways() {
    let procs = [process(0, "beta"), process(1, "alpha"), process(2, "gamma")];
    assert_eq!(ids(spec("name"), &procs), [1, 0, 2]);
    assert_eq!(ids(spec("name:desc"), &procs), [2, 0, 1]);
}

#[test]
fn ties_keep_id_order_in_both_directions() {
    // Three processes of one app (same name, same memory), listed out of id order.
    let procs = [process(2, "api"), process(0, "api"), process(1, "api")];
    assert_eq!(ids(spec("name"), &procs), [0, 1, 2]);
    assert_eq!(ids(spec("name:desc"), &procs), [0, 1, 2]);
    assert_eq!(ids(spec("memory:desc"), &procs), [0, 1, 2]);
    let mut mixed = procs.to_vec();
    mixed.push(process(3, "zeta"));
    assert_eq!(ids(spec("name:desc"), &mixed), [3, 0, 1, 2]);
}

#[test]
fn memory_and_cpu_sort_by_what_the_table_shows() {
    let mut small = process(0, "small");
    small.monit.memory = 5 << 20;
    small.monit.cpu = 90.0;
    let mut big = process(1, "big");
    big.monit.memory = 40 << 20;
    big.monit.cpu = 1.5;
    // Stopped: its stale sample is shown (and sorted) as zero.
    let mut gone = stopped(2, "gone");
    gone.monit.memory = 99 << 20;
    gone.monit.cpu = 99.0;
    let procs = [small, big, gone];
    assert_eq!(ids(spec("memory:desc"), &procs), [1, 0, 2]);
    assert_eq!(ids(spec("memory"), &procs), [2, 0, 1]);
    assert_eq!(ids(spec("cpu:desc"), &procs), [0, 1, 2]);
}

#[test]
fn uptime_sorts_by_the_duration_shown() {
    let mut young = process(0, "young");
    young.pm_uptime = NOW - 1_000;
    let mut old = process(1, "old");
    old.pm_uptime = NOW - 3_600_000;
    let down = stopped(2, "down");
    let procs = [young, old, down];
    assert_eq!(ids(spec("uptime"), &procs), [2, 0, 1]);
    assert_eq!(ids(spec("uptime:desc"), &procs), [1, 0, 2]);
}

#[test]
fn pid_id_restarts_status_and_namespace_sort() {
    let mut a = process(0, "a");
    a.pid = Some(900);
    a.restart_time = 7;
    a.spec.namespace = "web".into();
    let mut b = stopped(1, "b");
    b.restart_time = 2;
    let mut c = process(2, "c");
    c.pid = Some(100);
    c.restart_time = 0;
    c.status = Status::Errored;
    c.spec.namespace = "jobs".into();
    let procs = [a, b, c];
    assert_eq!(ids(spec("pid"), &procs), [1, 2, 0]);
    assert_eq!(ids(spec("id:desc"), &procs), [2, 1, 0]);
    assert_eq!(ids(spec("restarts"), &procs), [2, 1, 0]);
    // errored < online < stopped, as PM2 compares the words.
    assert_eq!(ids(spec("status"), &procs), [2, 0, 1]);
    assert_eq!(ids(spec("namespace"), &procs), [1, 2, 0]);
}
