//! Host vitals (`pm2 set pm2:sysmonit true`): the machine's cpu, memory, load, disk and
//! network figures, sampled once a second while the setting is on.
//!
//! cpu, memory and load come from sysinfo (one `System` kept between samples, refreshing
//! only those); disk and network throughput, which sysinfo does not measure per machine,
//! from `/proc/diskstats` and `/proc/net/dev`. Throughputs are differences between two
//! readings of the kernel's counters, so the first sample after turning sysmonit on has
//! zero rates. The parsers are pure functions of the files' text, tested on fixed samples.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use pm2_protocol::HostVitals;
use sysinfo::{MemoryRefreshKind, System};

use super::files::{ProcFile, ProcFiles};

/// How often the set of whole disks is looked up again (disks come and go rarely).
const DISKS_EVERY: Duration = Duration::from_secs(60);

/// Bytes in a sector of `/proc/diskstats` (always 512, whatever the disk's own sector).
const SECTOR: u64 = 512;

/// Cumulative counters, the base of the rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
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

/// The rates between `before` (none for the first sample) and `now`.
pub fn rates(before: Option<&Counters>, now: &Counters) -> [u64; 4] {
    let Some(before) = before else {
        return [0; 4];
    };
    let seconds = now.at.saturating_duration_since(before.at).as_secs_f64();
    [
        rate(before.disk_read, now.disk_read, seconds),
        rate(before.disk_write, now.disk_write, seconds),
        rate(before.net_rx, now.net_rx, seconds),
        rate(before.net_tx, now.net_tx, seconds),
    ]
}

/// Takes host samples, keeping sysinfo's view (its cpu baseline), the previous counters,
/// the set of whole disks and the two files open.
pub struct HostSampler {
    system: Option<System>,
    previous: Option<Counters>,
    disks: HashSet<String>,
    disks_read_at: Option<Instant>,
    files: ProcFiles,
    buf: Vec<u8>,
}

impl Default for HostSampler {
    fn default() -> HostSampler {
        HostSampler {
            system: System::new().ok(),
            previous: None,
            disks: HashSet::new(),
            disks_read_at: None,
            files: ProcFiles::new(2),
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
        let system = self.system.as_mut()?;
        system.refresh_cpu_usage();
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        let mem_total = system.total_memory();
        if mem_total == 0 {
            return None; // nothing readable: /proc hidden
        }
        let (mem_used, cpus) = (system.used_memory(), system.cpus().len());
        let cpu_percent = (system.global_cpu_usage() * 10.0).round() / 10.0;
        let load = System::load_average()
            .map(|l| [l.one, l.five, l.fifteen])
            .unwrap_or_default();
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
            disk_read,
            disk_write,
            net_rx,
            net_tx,
            at: now,
        };
        let [disk_read_bps, disk_write_bps, net_rx_bps, net_tx_bps] =
            rates(self.previous.as_ref(), &counters);

        self.previous = Some(counters);
        Some(HostVitals {
            cpus: u32::try_from(cpus.max(1)).unwrap_or(1),
            cpu_percent: cpu_percent.clamp(0.0, 100.0),
            mem_used,
            mem_total,
            load,
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
#[path = "host_tests.rs"]
mod tests;
