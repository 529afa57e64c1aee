//! Host vitals (`pm2 set pm2:sysmonit true`): the machine's cpu, memory, load, disk and
//! network figures, read from five `/proc` files once a second while the setting is on.
//!
//! Throughputs are differences between two readings of the kernel's counters, so the first
//! sample after turning sysmonit on has cpu since boot and zero rates. The parsers are
//! pure functions of the files' text, tested on fixed samples.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use pm2_protocol::HostVitals;

use super::files::{ProcFile, ProcFiles};

/// How often the set of whole disks is looked up again (disks come and go rarely).
const DISKS_EVERY: Duration = Duration::from_secs(60);

/// Bytes in a sector of `/proc/diskstats` (always 512, whatever the disk's own sector).
const SECTOR: u64 = 512;

/// CPU time of the whole machine from the `cpu` line of `/proc/stat`, in ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks spent doing anything but idling or waiting for I/O.
    pub busy: u64,
    /// All ticks.
    pub total: u64,
}

/// Cumulative counters, the base of the rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// The machine's cpu times.
    pub cpu: CpuTimes,
    /// Bytes read from whole disks since boot.
    pub disk_read: u64,
    /// Bytes written to whole disks since boot.
    pub disk_write: u64,
    /// Bytes received on every interface but loopback.
    pub net_rx: u64,
    /// Bytes sent on every interface but loopback.
    pub net_tx: u64,
    /// When these were read.
    pub at: Instant,
}

/// The machine's cpu times and the number of CPUs (`cpuN` lines) from `/proc/stat`.
pub fn parse_cpu(stat: &str) -> Option<(CpuTimes, u32)> {
    let mut lines = stat.lines();
    let first = lines.next()?;
    let values: Vec<u64> = first
        .strip_prefix("cpu ")?
        .split_ascii_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    let cpus = lines
        .take_while(|l| l.starts_with("cpu"))
        .filter(|l| l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    let cpus = u32::try_from(cpus.max(1)).unwrap_or(1);
    Some((
        CpuTimes {
            busy: total.saturating_sub(idle),
            total,
        },
        cpus,
    ))
}

/// Memory in use (total minus available) and total, in bytes, from `/proc/meminfo`.
pub fn parse_meminfo(text: &str) -> Option<(u64, u64)> {
    let kb = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|rest| rest.split_ascii_whitespace().next()?.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    let total = kb("MemTotal")?;
    // Kernels before 3.14 have no MemAvailable: free memory is the nearest figure.
    let available = kb("MemAvailable").or_else(|| kb("MemFree"))?;
    Some((total.saturating_sub(available), total))
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut words = text.split_ascii_whitespace().map(str::parse::<f64>);
    Some([
        words.next()?.ok()?,
        words.next()?.ok()?,
        words.next()?.ok()?,
    ])
}

/// Bytes read and written by the devices `is_disk` accepts, from `/proc/diskstats`.
pub fn parse_diskstats(text: &str, is_disk: impl Fn(&str) -> bool) -> (u64, u64) {
    let mut read = 0u64;
    let mut written = 0u64;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        // major minor name reads merged sectors_read ms writes merged sectors_written ...
        let (Some(name), Some(sectors_read), Some(sectors_written)) =
            (fields.get(2), fields.get(5), fields.get(9))
        else {
            continue;
        };
        if !is_disk(name) {
            continue;
        }
        let sectors = |s: &str| s.parse::<u64>().unwrap_or(0).saturating_mul(SECTOR);
        read = read.saturating_add(sectors(sectors_read));
        written = written.saturating_add(sectors(sectors_written));
    }
    (read, written)
}

/// Bytes received and sent by every interface but loopback, from `/proc/net/dev`.
pub fn parse_net_dev(text: &str) -> (u64, u64) {
    let mut rx = 0u64;
    let mut tx = 0u64;
    for line in text.lines() {
        let Some((name, counters)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let fields: Vec<u64> = counters
            .split_ascii_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        // Eight receive counters, then the transmit ones; bytes come first in each.
        if let (Some(r), Some(t)) = (fields.first(), fields.get(8)) {
            rx = rx.saturating_add(*r);
            tx = tx.saturating_add(*t);
        }
    }
    (rx, tx)
}

/// Per second, between two readings of a counter (a counter that went back counts as 0).
fn rate(before: u64, after: u64, seconds: f64) -> u64 {
    if seconds <= 0.0 {
        return 0;
    }
    (after.saturating_sub(before) as f64 / seconds).round() as u64
}

/// Cpu use in percent between two readings, one decimal.
fn cpu_percent(before: CpuTimes, after: CpuTimes) -> f32 {
    let total = after.total.saturating_sub(before.total);
    if total == 0 {
        return 0.0;
    }
    let busy = after.busy.saturating_sub(before.busy).min(total);
    ((busy as f64 * 1000.0 / total as f64).round() / 10.0) as f32
}

/// The rates between `before` (none for the first sample) and `now`.
pub fn rates(before: Option<&Counters>, now: &Counters) -> (f32, [u64; 4]) {
    let Some(before) = before else {
        return (cpu_percent(CpuTimes::default(), now.cpu), [0; 4]);
    };
    let seconds = now.at.saturating_duration_since(before.at).as_secs_f64();
    (
        cpu_percent(before.cpu, now.cpu),
        [
            rate(before.disk_read, now.disk_read, seconds),
            rate(before.disk_write, now.disk_write, seconds),
            rate(before.net_rx, now.net_rx, seconds),
            rate(before.net_tx, now.net_tx, seconds),
        ],
    )
}

/// Takes host samples, keeping the previous counters, the set of whole disks and the five
/// files open.
#[derive(Debug)]
pub struct HostSampler {
    previous: Option<Counters>,
    disks: HashSet<String>,
    disks_read_at: Option<Instant>,
    files: ProcFiles,
    buf: Vec<u8>,
}

impl Default for HostSampler {
    fn default() -> HostSampler {
        HostSampler {
            previous: None,
            disks: HashSet::new(),
            disks_read_at: None,
            files: ProcFiles::new(5),
            buf: Vec::new(),
        }
    }
}

impl HostSampler {
    /// One sample; `None` when `/proc` cannot be read (not Linux, or hidden).
    pub fn sample(&mut self, now: Instant, at_ms: i64) -> Option<HostVitals> {
        if self
            .disks_read_at
            .is_none_or(|at| now.saturating_duration_since(at) >= DISKS_EVERY)
        {
            self.disks = whole_disks();
            self.disks_read_at = Some(now);
        }
        let (cpu, cpus) = parse_cpu(self.read("/proc/stat")?)?;
        let (mem_used, mem_total) = parse_meminfo(self.read("/proc/meminfo")?)?;
        let load = self.read("/proc/loadavg").and_then(parse_loadavg);
        let disks = std::mem::take(&mut self.disks);
        let (disk_read, disk_write) = self
            .read("/proc/diskstats")
            .map(|text| parse_diskstats(text, |name| disks.contains(name)))
            .unwrap_or_default();
        self.disks = disks;
        let (net_rx, net_tx) = self
            .read("/proc/net/dev")
            .map(parse_net_dev)
            .unwrap_or_default();
        let counters = Counters {
            cpu,
            disk_read,
            disk_write,
            net_rx,
            net_tx,
            at: now,
        };
        let (cpu_percent, [disk_read_bps, disk_write_bps, net_rx_bps, net_tx_bps]) =
            rates(self.previous.as_ref(), &counters);
        self.previous = Some(counters);
        Some(HostVitals {
            cpus,
            cpu_percent,
            mem_used,
            mem_total,
            load: load.unwrap_or_default(),
            disk_read_bps,
            disk_write_bps,
            net_rx_bps,
            net_tx_bps,
            at_ms,
        })
    }

    fn read(&mut self, path: &'static str) -> Option<&str> {
        let bytes = self.files.read(ProcFile::Host(path), &mut self.buf).ok()?;
        std::str::from_utf8(bytes).ok()
    }
}

/// Whole disks: the block devices of `/sys/block` backed by a device, so partitions (not
/// listed there) and virtual devices stacked on disks (loop, zram, dm-*, md*) are not
/// counted twice.
fn whole_disks() -> HashSet<String> {
    let Ok(entries) = std::fs::read_dir("/sys/block") else {
        return HashSet::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().join("device").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

#[cfg(test)]
#[path = "host_test.rs"]
mod tests;
