//! The host line under `pm2 ls` while `pm2 set pm2:sysmonit true` is on, in the style of
//! PM2's `host metrics` line (lib/API/UX/pm2-ls.js `miniMonitBar`):
//!
//! ```text
//! host metrics | web-1 | cpu: 3.2% | mem: 1.2gb/7.8gb (15.4%) | load: 0.12 0.08 0.01 | disk: ⇓ 0b/s ⇑ 12.0kb/s | net: ⇓ 1.2kb/s ⇑ 800b/s
//! ```
//!
//! Figures are coloured as PM2 colours them: green, bold yellow from the warning level,
//! bold red past the alert level (cpu 40/70 %, memory 70/90 %). On a narrow terminal
//! the last parts (net, then disk, then load) are left out so the line fits.

use pm2_protocol::HostVitals;

use super::color::Paint;
use super::units::human_bytes;

/// One part of the line: its plain text (for the width) and its painted text.
struct Part {
    plain: String,
    painted: String,
}

/// The parts always kept, whatever the width: the title, host name, cpu and memory.
const KEPT: usize = 4;

/// PM2's `colorizedMetric`: green below `warn`, bold yellow up to `alert`, bold red above.
fn level(value: f64, warn: f64, alert: f64) -> Paint {
    if value < warn {
        Paint::GREEN
    } else if value <= alert {
        Paint::BOLD_YELLOW
    } else {
        Paint::BOLD_RED
    }
}

/// A throughput as `12.0kb/s`.
fn rate(bytes_per_second: u64) -> String {
    format!("{}/s", human_bytes(bytes_per_second))
}

/// A load average with two decimals, as `uptime` prints it.
fn load(value: f64) -> String {
    format!("{value:.2}")
}

/// The host line for `vitals` of machine `host`; `columns` is the terminal's width
/// (`None`: not a terminal, nothing left out).
pub fn host_line(vitals: &HostVitals, host: &str, color: bool, columns: Option<usize>) -> String {
    let label = |name: &str| Paint::BOLD.apply(name, color);
    let cpu = format!("{:.1}%", vitals.cpu_percent);
    let mem_percent = if vitals.mem_total == 0 {
        0.0
    } else {
        vitals.mem_used as f64 * 100.0 / vitals.mem_total as f64
    };
    let mem = format!(
        "{}/{} ({mem_percent:.1}%)",
        human_bytes(vitals.mem_used),
        human_bytes(vitals.mem_total)
    );
    let loads = vitals.load.map(load).join(" ");
    let arrows = |down: u64, up: u64| (format!("⇓ {}", rate(down)), format!("⇑ {}", rate(up)));
    let (disk_read, disk_write) = arrows(vitals.disk_read_bps, vitals.disk_write_bps);
    let (net_rx, net_tx) = arrows(vitals.net_rx_bps, vitals.net_tx_bps);
    let parts = [
        Part {
            plain: "host metrics".into(),
            painted: Paint::BOLD_CYAN.apply("host metrics", color),
        },
        Part {
            plain: host.into(),
            painted: Paint::BOLD.apply(host, color),
        },
        Part {
            plain: format!("cpu: {cpu}"),
            painted: format!(
                "{}: {}",
                label("cpu"),
                level(f64::from(vitals.cpu_percent), 40.0, 70.0).apply(&cpu, color)
            ),
        },
        Part {
            plain: format!("mem: {mem}"),
            painted: format!(
                "{}: {}",
                label("mem"),
                level(mem_percent, 70.0, 90.0).apply(&mem, color)
            ),
        },
        Part {
            plain: format!("load: {loads}"),
            painted: format!("{}: {loads}", label("load")),
        },
        Part {
            plain: format!("disk: {disk_read} {disk_write}"),
            painted: format!("{}: {disk_read} {disk_write}", label("disk")),
        },
        Part {
            plain: format!("net: {net_rx} {net_tx}"),
            painted: format!("{}: {net_rx} {net_tx}", label("net")),
        },
    ];
    let width = |parts: &[Part]| {
        parts.iter().map(|p| p.plain.chars().count()).sum::<usize>() + 3 * (parts.len() - 1)
    };
    let mut shown = parts.len();
    if let Some(columns) = columns {
        while shown > KEPT && width(&parts[..shown]) > columns {
            shown -= 1;
        }
    }
    parts[..shown]
        .iter()
        .map(|p| p.painted.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// This machine's name (the daemon runs here: its socket is local), from the kernel.
pub fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vitals() -> HostVitals {
        HostVitals {
            cpus: 2,
            cpu_percent: 3.25,
            mem_used: 1288490189,
            mem_total: 8375186227,
            load: [0.12, 0.08, 0.0],
            disk_read_bps: 0,
            disk_write_bps: 12 * 1024,
            net_rx_bps: 1229,
            net_tx_bps: 800,
            at_ms: 0,
        }
    }

    #[test]
    fn the_line_has_every_figure_with_human_units() {
        assert_eq!(
            host_line(&vitals(), "web-1", false, None),
            "host metrics | web-1 | cpu: 3.2% | mem: 1.2gb/7.8gb (15.4%) | \
             load: 0.12 0.08 0.00 | disk: ⇓ 0b/s ⇑ 12.0kb/s | net: ⇓ 1.2kb/s ⇑ 800b/s"
        );
    }

    #[test]
    fn figures_are_coloured_by_level_as_pm2_does() {
        let mut busy = vitals();
        busy.cpu_percent = 85.0;
        busy.mem_used = busy.mem_total * 3 / 4;
        let line = host_line(&busy, "h", true, None);
        assert!(line.starts_with("\x1b[1m\x1b[36mhost metrics\x1b[39m\x1b[22m | "));
        assert!(
            line.contains("\x1b[1m\x1b[31m85.0%\x1b[39m\x1b[22m"),
            "{line:?}"
        );
        assert!(
            line.contains("\x1b[1m\x1b[33m5.8gb/7.8gb (75.0%)"),
            "{line:?}"
        );
        let calm = host_line(&vitals(), "h", true, None);
        assert!(calm.contains("\x1b[32m3.2%\x1b[39m"), "{calm:?}");
    }

    #[test]
    fn a_narrow_terminal_drops_net_then_disk_then_load() {
        let full = host_line(&vitals(), "web-1", false, None);
        let width = full.chars().count();
        assert_eq!(host_line(&vitals(), "web-1", false, Some(width)), full);
        let narrower = host_line(&vitals(), "web-1", false, Some(width - 1));
        assert!(!narrower.contains("net:") && narrower.contains("disk:"));
        let narrow = host_line(&vitals(), "web-1", false, Some(20));
        assert_eq!(
            narrow,
            "host metrics | web-1 | cpu: 3.2% | mem: 1.2gb/7.8gb (15.4%)"
        );
    }

    #[test]
    fn no_memory_figure_is_not_a_division_by_zero() {
        let line = host_line(&HostVitals::default(), "h", false, None);
        assert!(line.contains("mem: 0b/0b (0.0%)"), "{line}");
    }

    #[test]
    fn this_host_has_a_name() {
        assert!(!this_host().is_empty());
    }
}
