//! What the Monitor reads of a process in `/proc`, and the units it is counted in.
//!
//! sysinfo's process refresh did this job with about seventeen system calls per process each
//! second (directory scans, `statx`, `lseek`, two files per process); with fifty idle apps
//! that alone was most of the daemon's idle CPU (sysinfo still samples the host, see
//! [`super::host`]). Everything a process figure needs is in `/proc/<pid>/stat` (read through
//! [`super::files`], parsed by the project's one parser, [`pm2_protocol::procfs`], whose pure
//! parsers are tested on fixed text there).

use std::sync::OnceLock;

pub use pm2_protocol::procfs::{parse_pids, Stat};

/// The kernel's clock tick rate (`USER_HZ`), which `stat` times are counted in.
pub fn ticks_per_second() -> u64 {
    static HZ: OnceLock<u64> = OnceLock::new();
    *HZ.get_or_init(|| {
        // SAFETY: sysconf has no preconditions; it only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(hz).ok().filter(|&hz| hz > 0).unwrap_or(100)
    })
}

/// The size of a memory page, which `stat` counts resident memory in.
pub fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: as above.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_stat_parses() {
        let text = std::fs::read("/proc/self/stat").unwrap();
        let stat = Stat::parse(&text).unwrap();
        assert!(stat.threads >= 1);
        assert!(stat.rss_pages > 0);
        assert!(ticks_per_second() > 0 && page_size() >= 4096);
    }
}
