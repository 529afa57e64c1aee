//! What the Monitor reads of a process in `/proc`, and the units it is counted in.
//!
//! sysinfo's process refresh did this job with about seventeen system calls per process each
//! second (directory scans, `statx`, `lseek`, two files per process); with fifty idle apps
//! that alone was most of the daemon's idle CPU (sysinfo still samples the host, see
//! [`super::host`]). Everything a process figure needs is in `/proc/<pid>/stat` (read through [`super::files`]), and the parsers here are pure so
//! they are tested on fixed text.

use std::sync::OnceLock;

/// What the Monitor needs of one process, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Resident set size, in pages.
    pub rss_pages: u64,
    /// Threads (each may have children of its own).
    pub threads: u64,
    /// Start time after boot, in clock ticks: with the pid, names a process uniquely.
    pub start_ticks: u64,
}

/// Parses the single line of `/proc/<pid>/stat`. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat(text: &[u8]) -> Option<ProcStat> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
    // Field n of proc(5) is at index n - 3 here: the state (field 3) comes first.
    let mut fields = rest.split_ascii_whitespace();
    let mut at = 3;
    let mut field = |n: usize| {
        let word = fields.nth(n - at)?;
        at = n + 1;
        word.parse::<u64>().ok()
    };
    let (utime, stime) = (field(14)?, field(15)?);
    let threads = field(20)?;
    let start_ticks = field(22)?;
    let rss_pages = field(24)?;
    Some(ProcStat {
        cpu_ticks: utime.checked_add(stime)?,
        rss_pages,
        threads,
        start_ticks,
    })
}

/// Parses a `children` file: pids separated by spaces.
pub fn parse_pids(text: &[u8]) -> impl Iterator<Item = u32> + '_ {
    text.split(|b| b.is_ascii_whitespace())
        .filter_map(|word| std::str::from_utf8(word).ok()?.parse().ok())
}

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

    const STAT: &str = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 310 0 0 0 \
        25 7 0 0 20 0 3 0 987654 12345678 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 \
        0 17 1 0 0 0 0 0";

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let stat = parse_stat(STAT.as_bytes()).unwrap();
        assert_eq!(
            stat,
            ProcStat {
                cpu_ticks: 32,
                rss_pages: 2560,
                threads: 3,
                start_ticks: 987654,
            }
        );
    }

    #[test]
    fn a_truncated_or_garbled_stat_is_none() {
        assert_eq!(parse_stat(b"4242 (x) S 1 2 3"), None);
        assert_eq!(parse_stat(b"no parenthesis at all"), None);
        assert_eq!(parse_stat(b""), None);
        let garbled = STAT.replace(" 25 7 ", " x 7 ");
        assert_eq!(parse_stat(garbled.as_bytes()), None);
    }

    #[test]
    fn children_are_pids_between_spaces() {
        let pids: Vec<u32> = parse_pids(b"12 345 6789 \n").collect();
        assert_eq!(pids, [12, 345, 6789]);
        assert_eq!(parse_pids(b"").count(), 0);
    }

    #[test]
    fn our_own_stat_parses() {
        let text = std::fs::read("/proc/self/stat").unwrap();
        let stat = parse_stat(&text).unwrap();
        assert!(stat.threads >= 1);
        assert!(stat.rss_pages > 0);
        assert!(ticks_per_second() > 0 && page_size() >= 4096);
    }
}
