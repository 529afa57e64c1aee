//! The one reader of `/proc/<pid>/stat`, shared by the Monitor (figures each second), the
//! daemon and `pm2-runtime` (is a pid still running, whose zombie is it), the dump (a pid's
//! start time, to tell it from a reused one), `pm2 kill` and the tests.
//!
//! The command name (field 2) may hold spaces and parentheses, so every field is counted
//! from the last `)`: a copy that split at the first `") "` misread an app named
//! `a) b` (and several did). The parser is pure, so it is tested on fixed text.

/// The fields of `/proc/<pid>/stat` that this project reads (proc(5) numbering in the docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The state letter (field 3): `R`, `S`, `D`, `Z` for a zombie...
    pub state: char,
    /// The parent's pid (field 4).
    pub ppid: u32,
    /// The process group (field 5): an app we start leads its own.
    pub pgrp: u32,
    /// User plus system CPU time (fields 14 and 15), in clock ticks.
    pub cpu_ticks: u64,
    /// Threads (field 20; each may have children of its own).
    pub threads: u64,
    /// Start time after boot (field 22), in clock ticks: with the pid, names a process
    /// uniquely.
    pub start_ticks: u64,
    /// Resident set size (field 24), in pages.
    pub rss_pages: u64,
}

impl Stat {
    /// Parses the single line of `/proc/<pid>/stat`; `None` when it is truncated or garbled.
    pub fn parse(text: &[u8]) -> Option<Stat> {
        let close = text.iter().rposition(|&b| b == b')')?;
        let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
        // Field n of proc(5) is at index n - 3 here: the state (field 3) comes first.
        let mut fields = rest.split_ascii_whitespace();
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse::<u32>().ok()?;
        let pgrp = fields.next()?.parse::<u32>().ok()?;
        let mut at = 6;
        let mut field = |n: usize| {
            let word = fields.nth(n - at)?;
            at = n + 1;
            word.parse::<u64>().ok()
        };
        let (utime, stime) = (field(14)?, field(15)?);
        let threads = field(20)?;
        let start_ticks = field(22)?;
        let rss_pages = field(24)?;
        Some(Stat {
            state,
            ppid,
            pgrp,
            cpu_ticks: utime.checked_add(stime)?,
            threads,
            start_ticks,
            rss_pages,
        })
    }

    /// Reads and parses `/proc/<pid>/stat`; `None` when the process is gone.
    pub fn read(pid: u32) -> Option<Stat> {
        Stat::parse(&std::fs::read(format!("/proc/{pid}/stat")).ok()?)
    }

    /// Whether the process has exited and waits for its parent to reap it.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// Whether `pid` exists and is not a zombie (for our purposes a zombie is gone).
pub fn running(pid: u32) -> bool {
    Stat::read(pid).is_some_and(|stat| !stat.is_zombie())
}

/// Parses a `children` file (`/proc/<pid>/task/<tid>/children`): pids separated by spaces.
pub fn parse_pids(text: &[u8]) -> impl Iterator<Item = u32> + '_ {
    text.split(|b| b.is_ascii_whitespace())
        .filter_map(|word| std::str::from_utf8(word).ok()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 310 0 0 0 \
        25 7 0 0 20 0 3 0 987654 12345678 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 \
        0 17 1 0 0 0 0 0";

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let stat = Stat::parse(STAT.as_bytes()).unwrap();
        assert_eq!(
            stat,
            Stat {
                state: 'S',
                ppid: 1,
                pgrp: 4242,
                cpu_ticks: 32,
                threads: 3,
                start_ticks: 987654,
                rss_pages: 2560,
            }
        );
        assert!(!stat.is_zombie());
    }

    #[test]
    fn a_name_with_a_closing_parenthesis_and_a_space_is_not_a_state() {
        let text = STAT.replace("(my (odd) app) S", "(a) Z b) Z");
        let stat = Stat::parse(text.as_bytes()).unwrap();
        assert!(stat.is_zombie());
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.start_ticks, 987654);
    }

    #[test]
    fn a_truncated_or_garbled_stat_is_none() {
        assert_eq!(Stat::parse(b"4242 (x) S 1 2 3"), None);
        assert_eq!(Stat::parse(b"no parenthesis at all"), None);
        assert_eq!(Stat::parse(b""), None);
        let garbled = STAT.replace(" 25 7 ", " x 7 ");
        assert_eq!(Stat::parse(garbled.as_bytes()), None);
    }

    #[test]
    fn children_are_pids_between_spaces() {
        let pids: Vec<u32> = parse_pids(b"12 345 6789 \n").collect();
        assert_eq!(pids, [12, 345, 6789]);
        assert_eq!(parse_pids(b"").count(), 0);
    }

    #[test]
    fn our_own_stat_reads() {
        let stat = Stat::read(std::process::id()).unwrap();
        assert!(stat.threads >= 1);
        assert!(stat.rss_pages > 0);
        assert!(running(std::process::id()));
        assert!(!running(u32::MAX));
    }
}
