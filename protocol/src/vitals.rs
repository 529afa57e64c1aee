//! Host vitals (PM2's "speedbar"): what `pm2 ls` prints on its host line and `pm2 monit`
//! shows in its host panel when `pm2 set pm2:sysmonit true`.

use serde::{Deserialize, Serialize};

/// One sample of the machine, taken by the daemon's Monitor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostVitals {
    /// Logical CPUs.
    pub cpus: u32,
    /// CPU use of the whole machine over the last interval, 0..=100.
    pub cpu_percent: f32,
    /// Memory in use (total minus available), bytes.
    pub mem_used: u64,
    /// Total memory, bytes.
    pub mem_total: u64,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Disk read throughput, bytes per second.
    pub disk_read_bps: u64,
    /// Disk write throughput, bytes per second.
    pub disk_write_bps: u64,
    /// Network receive throughput (all interfaces but loopback), bytes per second.
    pub net_rx_bps: u64,
    /// Network transmit throughput (all interfaces but loopback), bytes per second.
    pub net_tx_bps: u64,
    /// When the sample was taken, ms since the epoch.
    pub at_ms: i64,
}
