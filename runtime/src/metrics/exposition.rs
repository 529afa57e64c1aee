//! The process list (and host vitals, while sysmonit is on) in Prometheus' text exposition
//! format 0.0.4: `# HELP` and `# TYPE` once per metric, then one sample per line.
//!
//! Every process carries the labels `name`, `id` and `namespace`; label values are
//! escaped as the format requires (`\\`, `\"`, `\n`), so any app name is safe.

use std::fmt::Write;

use pm2_protocol::{HostVitals, ProcessInfo, Status};

/// The content type of this format, for the HTTP answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every status a process can have, so `pm2_process_status` is a complete state set (one
/// series per status, 1 for the current one) and a status change never leaves a stale 1.
const STATUSES: [Status; 6] = [
    Status::Online,
    Status::Launching,
    Status::Stopping,
    Status::Stopped,
    Status::Errored,
    Status::WaitingRestart,
];

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: Prometheus spells the non-finite ones `NaN`, `+Inf`, `-Inf`.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        value.to_string()
    }
}

/// An `f32` as the `f64` of its shortest decimal form: 0.3, not 0.30000001192092896.
fn short(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// One metric being written: its header, then its samples.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out, name }
    }

    fn sample(&mut self, labels: &str, value: f64) {
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(self.out, "{}{braces} {}", self.name, number(value));
    }
}

/// `name="api",id="0",namespace="default"`.
fn labels(process: &ProcessInfo) -> String {
    format!(
        "name=\"{}\",id=\"{}\",namespace=\"{}\"",
        escape_label(&process.spec.name),
        process.pm_id,
        escape_label(&process.spec.namespace)
    )
}

/// The whole page at `now_ms` (ms since the epoch).
pub fn render(processes: &[ProcessInfo], vitals: Option<&HostVitals>, now_ms: i64) -> String {
    let mut out = String::new();
    let labelled: Vec<(String, &ProcessInfo)> = processes.iter().map(|p| (labels(p), p)).collect();
    type Value = fn(&ProcessInfo, i64) -> f64;
    let gauges: [(&str, &str, &str, Value); 4] = [
        (
            "pm2_process_cpu_percent",
            "gauge",
            "CPU use of the process and its children, percent of one core.",
            |p, _| short(p.monit.cpu),
        ),
        (
            "pm2_process_memory_bytes",
            "gauge",
            "Resident memory of the process and its children, bytes.",
            |p, _| p.monit.memory as f64,
        ),
        (
            "pm2_process_restarts_total",
            "counter",
            "Restarts of the process (pm2's restart_time).",
            |p, _| f64::from(p.restart_time),
        ),
        (
            "pm2_process_uptime_seconds",
            "gauge",
            "Seconds since the process started; 0 when it is not online.",
            |p, now| {
                if p.status == Status::Online {
                    p.uptime_ms(now).max(0) as f64 / 1000.0
                } else {
                    0.0
                }
            },
        ),
    ];
    for (name, kind, help, value) in gauges {
        let mut family = Family::new(&mut out, name, kind, help);
        for (labels, process) in &labelled {
            family.sample(labels, value(process, now_ms));
        }
    }
    let mut family = Family::new(
        &mut out,
        "pm2_process_status",
        "gauge",
        "The process's status: 1 for the current one, 0 for the others.",
    );
    for (labels, process) in &labelled {
        for status in STATUSES {
            let current = f64::from(u8::from(process.status == status));
            family.sample(&format!("{labels},status=\"{}\"", status.as_str()), current);
        }
    }
    if let Some(vitals) = vitals {
        host(&mut out, vitals);
    }
    out
}

/// The host's vitals (`pm2 set pm2:sysmonit true`).
fn host(out: &mut String, v: &HostVitals) {
    let gauges: [(&'static str, &str, f64); 8] = [
        (
            "pm2_host_cpu_percent",
            "CPU use of the whole machine, percent.",
            short(v.cpu_percent),
        ),
        (
            "pm2_host_memory_used_bytes",
            "Memory in use (total minus available), bytes.",
            v.mem_used as f64,
        ),
        (
            "pm2_host_memory_total_bytes",
            "Total memory, bytes.",
            v.mem_total as f64,
        ),
        ("pm2_host_cpus", "Logical CPUs.", f64::from(v.cpus)),
        (
            "pm2_host_disk_read_bytes_per_second",
            "Read throughput of the whole disks.",
            v.disk_read_bps as f64,
        ),
        (
            "pm2_host_disk_write_bytes_per_second",
            "Write throughput of the whole disks.",
            v.disk_write_bps as f64,
        ),
        (
            "pm2_host_network_receive_bytes_per_second",
            "Receive throughput of every interface but loopback.",
            v.net_rx_bps as f64,
        ),
        (
            "pm2_host_network_transmit_bytes_per_second",
            "Transmit throughput of every interface but loopback.",
            v.net_tx_bps as f64,
        ),
    ];
    for (name, help, value) in gauges {
        Family::new(out, name, "gauge", help).sample("", value);
    }
    let mut load = Family::new(
        out,
        "pm2_host_load_average",
        "gauge",
        "Load average over the period.",
    );
    for (period, value) in ["1m", "5m", "15m"].iter().zip(v.load) {
        load.sample(&format!("period=\"{period}\""), value);
    }
}

#[cfg(test)]
#[path = "exposition_tests.rs"]
mod tests;
