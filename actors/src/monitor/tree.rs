//! A process and its descendants, read from `/proc` without scanning every process.
//!
//! Children are listed per thread (`/proc/<pid>/task/<tid>/children`). A single-threaded
//! process (most apps' children, `sleep`, shells) has one such file at a known path; the
//! task directory of a multi-threaded one is listed again only when its thread count
//! changes, or every [`RELIST_EVERY`] rounds in case one thread replaced another. Files
//! are held open between rounds ([`ProcFiles`]), so an idle tree costs one `pread` per
//! file each second.

use std::collections::HashMap;
use std::fs;

use super::files::{ProcFile, ProcFiles};
use super::procfs::{self, Stat};

/// Most processes a tree may have: a fork bomb must not make the Monitor's work unbounded.
const MAX_MEMBERS: usize = 4096;

/// Rounds after which a multi-threaded process's threads are listed again anyway.
const RELIST_EVERY: u64 = 10;

/// The threads of a multi-threaded process, as last listed.
#[derive(Debug)]
struct Threads {
    count: u64,
    tids: Vec<u32>,
    listed: u64,
    used: u64,
}

/// Reads process trees, reusing one buffer and the open files of the previous round.
#[derive(Debug)]
pub struct Walker {
    files: ProcFiles,
    threads: HashMap<u32, Threads>,
    round: u64,
    buf: Vec<u8>,
}

impl Default for Walker {
    fn default() -> Walker {
        Walker {
            files: ProcFiles::new(held_files_limit()),
            threads: HashMap::new(),
            round: 0,
            buf: Vec::new(),
        }
    }
}

impl Walker {
    /// Starts a round of trees (one sample); [`Walker::end_round`] lets go of the files
    /// of processes not seen in it.
    pub fn begin_round(&mut self) {
        self.round += 1;
        self.files.begin_round();
    }

    /// Ends the round begun by [`Walker::begin_round`].
    pub fn end_round(&mut self) {
        self.files.end_round();
        let round = self.round;
        self.threads.retain(|_, t| t.used == round);
    }

    /// `pid` and all its descendants with their figures, `pid` first. Processes that are
    /// gone by the time they are read are left out (an empty list: `pid` itself is gone).
    pub fn tree(&mut self, pid: u32) -> Vec<(u32, Stat)> {
        let mut found: Vec<(u32, Stat)> = Vec::new();
        let mut queue = vec![pid];
        while let Some(current) = queue.pop() {
            if found.len() >= MAX_MEMBERS {
                break;
            }
            let Some(stat) = self.stat(current) else {
                continue;
            };
            found.push((current, stat));
            for child in self.children(current, stat.threads) {
                if child != current
                    && !queue.contains(&child)
                    && !found.iter().any(|(p, _)| *p == child)
                {
                    queue.push(child);
                }
            }
        }
        found
    }

    fn stat(&mut self, pid: u32) -> Option<Stat> {
        let text = self.files.read(ProcFile::Stat(pid), &mut self.buf).ok()?;
        Stat::parse(text)
    }

    fn children(&mut self, pid: u32, count: u64) -> Vec<u32> {
        let tids = if count <= 1 {
            vec![pid]
        } else {
            self.tids(pid, count)
        };
        let mut children = Vec::new();
        for tid in tids {
            let file = ProcFile::Children { pid, tid };
            if let Ok(text) = self.files.read(file, &mut self.buf) {
                children.extend(procfs::parse_pids(text));
            }
        }
        children
    }

    /// The threads of `pid`, listed again when their number changed or the list is old.
    fn tids(&mut self, pid: u32, count: u64) -> Vec<u32> {
        let round = self.round;
        let fresh = self
            .threads
            .get(&pid)
            .is_some_and(|t| t.count == count && round - t.listed < RELIST_EVERY);
        if !fresh {
            let tids = list_threads(pid);
            self.threads.insert(
                pid,
                Threads {
                    count,
                    tids,
                    listed: round,
                    used: round,
                },
            );
        }
        match self.threads.get_mut(&pid) {
            Some(threads) => {
                threads.used = round;
                threads.tids.clone()
            }
            None => Vec::new(),
        }
    }
}

/// The thread ids in `/proc/<pid>/task`.
fn list_threads(pid: u32) -> Vec<u32> {
    match fs::read_dir(format!("/proc/{pid}/task")) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// How many `/proc` files may be held open: a quarter of the descriptors the daemon may
/// open (the rest are for the apps' pipes, logs and sockets), between 64 and 4096.
fn held_files_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024
    };
    (soft / 4).clamp(64, 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spawn(command: &str, args: &[&str]) -> std::process::Child {
        std::process::Command::new(command)
            .args(args)
            .spawn()
            .unwrap()
    }

    /// This test process's tree read while `child` runs, and `child`'s pid; `child` is
    /// killed and reaped.
    fn my_tree_with(mut child: std::process::Child) -> (Vec<(u32, Stat)>, u32) {
        let mut walker = Walker::default();
        walker.begin_round();
        let tree = walker.tree(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        (tree, child.id())
    }

    #[test]
    fn a_child_is_found_under_its_parent() {
        let (tree, child) = my_tree_with(spawn("sleep", &["30"]));
        assert_eq!(tree[0].0, std::process::id());
        assert!(tree.iter().any(|(p, _)| *p == child), "{tree:?}");
    }

    #[test]
    fn grandchildren_of_a_single_threaded_child_are_found() {
        // sh (one thread) -> sleep: found through the direct children file.
        let mut shell = spawn("sh", &["-c", "sleep 30 & sleep 30 & wait"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut tree = Vec::new();
        while std::time::Instant::now() < deadline {
            let mut walker = Walker::default();
            walker.begin_round();
            tree = walker.tree(shell.id());
            if tree.len() == 3 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        for (pid, _) in &tree[1..] {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = shell.kill();
        let _ = shell.wait();
        assert_eq!(tree.len(), 3, "{tree:?}");
        assert_eq!(tree[0].0, shell.id());
    }

    #[test]
    fn a_gone_process_is_an_empty_tree() {
        let mut child = spawn("true", &[]);
        let pid = child.id();
        child.wait().unwrap();
        assert!(Walker::default().tree(pid).is_empty());
    }

    #[test]
    fn files_of_a_tree_that_is_gone_are_let_go() {
        let mut child = spawn("sleep", &["30"]);
        let mut walker = Walker::default();
        walker.begin_round();
        assert_eq!(walker.tree(child.id()).len(), 1);
        walker.end_round();
        assert_eq!(walker.files.held(), 2, "stat and children held");
        child.kill().unwrap();
        child.wait().unwrap();
        walker.begin_round();
        assert!(walker.tree(child.id()).is_empty());
        walker.end_round();
        assert_eq!(walker.files.held(), 0);
    }

    #[test]
    fn children_of_every_thread_count() {
        // This test process has several threads (the harness); a child spawned from
        // another thread is found through that thread's children file.
        let handle = std::thread::spawn(|| spawn("sleep", &["30"]));
        let (tree, child) = my_tree_with(handle.join().unwrap());
        assert!(tree.iter().any(|(p, _)| *p == child), "{tree:?}");
    }
}
