//! The exposition text: headers, labels, escaping, values and the status set.

use super::*;
use pm2_protocol::{AppSpec, Monit};

fn process(pm_id: u32, name: &str, status: Status) -> ProcessInfo {
    let mut spec = AppSpec::new(name, "/bin/true".into(), "/".into(), "/tmp/a.pid".into());
    spec.namespace = "default".into();
    ProcessInfo {
        pid: Some(4242),
        status,
        restart_time: 3,
        pm_uptime: 1_000,
        monit: Monit {
            cpu: 12.5,
            memory: 104_857_600,
        },
        username: "u".into(),
        ..ProcessInfo::new(pm_id, spec)
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn each_metric_has_help_and_type_then_one_sample_per_process() {
    let text = render(&[process(0, "api", Status::Online)], None, 61_000);
    let lines = lines(&text);
    let at = |line: &str| lines.iter().position(|l| *l == line);
    let help = at("# HELP pm2_process_cpu_percent CPU use of the process and its children, percent of one core.").unwrap();
    assert_eq!(lines[help + 1], "# TYPE pm2_process_cpu_percent gauge");
    assert_eq!(
        lines[help + 2],
        r#"pm2_process_cpu_percent{name="api",id="0",namespace="default"} 12.5"#
    );
    for sample in [
        r#"pm2_process_memory_bytes{name="api",id="0",namespace="default"} 104857600"#,
        r#"pm2_process_restarts_total{name="api",id="0",namespace="default"} 3"#,
        r#"pm2_process_uptime_seconds{name="api",id="0",namespace="default"} 60"#,
        r#"pm2_process_status{name="api",id="0",namespace="default",status="online"} 1"#,
        r#"pm2_process_status{name="api",id="0",namespace="default",status="stopped"} 0"#,
        r#"pm2_process_status{name="api",id="0",namespace="default",status="waiting restart"} 0"#,
        "# TYPE pm2_process_restarts_total counter",
    ] {
        assert!(at(sample).is_some(), "missing {sample:?} in\n{text}");
    }
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("# TYPE")).count(),
        5,
        "no host metrics while sysmonit is off"
    );
    assert!(text.ends_with('\n'));
}

#[test]
fn a_stopped_process_has_no_uptime_and_one_current_status() {
    let text = render(&[process(4, "w", Status::Stopped)], None, 61_000);
    assert!(text.contains(r#"pm2_process_uptime_seconds{name="w",id="4",namespace="default"} 0"#));
    let ones: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("pm2_process_status{") && l.ends_with(" 1"))
        .collect();
    assert_eq!(
        ones,
        [r#"pm2_process_status{name="w",id="4",namespace="default",status="stopped"} 1"#]
    );
}

#[test]
fn label_values_are_escaped() {
    assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
    assert_eq!(escape_label("two\nlines"), "two\\nlines");
    assert_eq!(escape_label("plain é"), "plain é");
    let mut odd = process(1, "say \"hi\"\\", Status::Online);
    odd.spec.namespace = "n\ns".into();
    let text = render(&[odd], None, 0);
    assert!(
        text.contains(r#"{name="say \"hi\"\\",id="1",namespace="n\ns"}"#),
        "{text}"
    );
}

#[test]
fn no_process_still_gives_the_headers() {
    let text = render(&[], None, 0);
    assert!(text.contains("# TYPE pm2_process_memory_bytes gauge"));
    assert!(!text.lines().any(|l| l.starts_with("pm2_")));
}

#[test]
fn host_vitals_are_gauges_without_process_labels() {
    let vitals = HostVitals {
        cpus: 2,
        cpu_percent: 7.5,
        mem_used: 1024,
        mem_total: 4096,
        load: [0.5, 0.25, 0.0],
        disk_read_bps: 10,
        disk_write_bps: 20,
        net_rx_bps: 30,
        net_tx_bps: 40,
        at_ms: 0,
    };
    let text = render(&[], Some(&vitals), 0);
    for sample in [
        "pm2_host_cpu_percent 7.5",
        "pm2_host_memory_used_bytes 1024",
        "pm2_host_memory_total_bytes 4096",
        "pm2_host_cpus 2",
        "pm2_host_disk_write_bytes_per_second 20",
        "pm2_host_network_transmit_bytes_per_second 40",
        r#"pm2_host_load_average{period="1m"} 0.5"#,
        r#"pm2_host_load_average{period="15m"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == sample), "missing {sample:?}");
    }
}

#[test]
fn non_finite_values_are_spelled_as_prometheus_reads_them() {
    assert_eq!(number(f64::NAN), "NaN");
    assert_eq!(number(f64::INFINITY), "+Inf");
    assert_eq!(number(f64::NEG_INFINITY), "-Inf");
    assert_eq!(number(0.1), "0.1");
    assert_eq!(number(1e21), "1000000000000000000000");
    assert_eq!(number(short(0.3)), "0.3");
}
