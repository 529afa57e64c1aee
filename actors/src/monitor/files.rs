//! `/proc` files held open between samples, so that reading one again is a single `pread`
//! instead of `open` + `read` + `close`.
//!
//! Opening is the dear part: each `open` walks `/proc/<pid>/...` and revalidates the pid
//! directory. A held `stat` file stays bound to its process: once that process is gone a
//! read fails (`ESRCH`) and the file is opened afresh (a reused pid is then a new process,
//! whose start time tells it apart). At most [`ProcFiles::new`]'s `limit` files are held,
//! so the daemon keeps descriptors for the apps it manages; beyond it files are opened
//! and closed each time. Files not read during a round are closed at its end.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// A `/proc` file the Monitor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcFile {
    /// `/proc/<pid>/stat`.
    Stat(u32),
    /// `/proc/<pid>/task/<tid>/children`.
    Children {
        /// The process.
        pid: u32,
        /// One of its threads.
        tid: u32,
    },
    /// A file about the whole machine (`/proc/stat`, `/proc/meminfo`...).
    Host(&'static str),
}

impl ProcFile {
    fn path(self) -> PathBuf {
        match self {
            ProcFile::Stat(pid) => format!("/proc/{pid}/stat").into(),
            ProcFile::Children { pid, tid } => format!("/proc/{pid}/task/{tid}/children").into(),
            ProcFile::Host(path) => path.into(),
        }
    }
}

/// The open files, each with the round it was last read in.
#[derive(Debug)]
pub struct ProcFiles {
    open: HashMap<ProcFile, (File, u64)>,
    round: u64,
    limit: usize,
}

/// Read size: one `pread` holds any `stat` line and most `children` lists.
const CHUNK: usize = 4096;

impl ProcFiles {
    /// Holds at most `limit` files open.
    pub fn new(limit: usize) -> ProcFiles {
        ProcFiles {
            open: HashMap::new(),
            round: 0,
            limit,
        }
    }

    /// Starts a round of reads.
    pub fn begin_round(&mut self) {
        self.round += 1;
    }

    /// Closes the files not read since [`ProcFiles::begin_round`]: their processes or
    /// threads are gone, or no longer watched.
    pub fn end_round(&mut self) {
        let round = self.round;
        self.open.retain(|_, (_, used)| *used == round);
    }

    /// The whole content of `file` in `buf`.
    pub fn read<'a>(&mut self, file: ProcFile, buf: &'a mut Vec<u8>) -> io::Result<&'a [u8]> {
        if let Some((held, used)) = self.open.get_mut(&file) {
            *used = self.round;
            if read_whole(held, buf).is_ok() {
                return Ok(buf.as_slice());
            }
            // Gone (or replaced, for a reused pid): open it afresh below.
            self.open.remove(&file);
        }
        let opened = File::open(file.path())?;
        read_whole(&opened, buf)?;
        if self.open.len() < self.limit {
            self.open.insert(file, (opened, self.round));
        }
        Ok(buf.as_slice())
    }

    /// How many files are held.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.open.len()
    }
}

/// Reads from offset 0 to the end: a short read of a proc file is its end.
fn read_whole(file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    loop {
        let len = buf.len();
        buf.resize(len + CHUNK, 0);
        let read = file.read_at(&mut buf[len..], len as u64)?;
        buf.truncate(len + read);
        if read < CHUNK {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_file_is_read_again_with_fresh_content() {
        let mut files = ProcFiles::new(8);
        let mut buf = Vec::new();
        let me = std::process::id();
        files.begin_round();
        let first = files.read(ProcFile::Stat(me), &mut buf).unwrap().to_vec();
        assert_eq!(files.held(), 1);
        // Touch 64 MiB so the resident size moves, then read the same descriptor again.
        let grown = vec![1u8; 64 << 20];
        std::hint::black_box(&grown);
        let second = files.read(ProcFile::Stat(me), &mut buf).unwrap().to_vec();
        assert!(second.starts_with(format!("{me} (").as_bytes()));
        assert_ne!(first, second, "pread at 0 regenerates the file");
    }

    #[test]
    fn a_gone_process_fails_and_its_file_is_closed() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut files = ProcFiles::new(8);
        let mut buf = Vec::new();
        files.begin_round();
        assert!(files.read(ProcFile::Stat(pid), &mut buf).is_ok());
        child.kill().unwrap();
        child.wait().unwrap();
        files.begin_round();
        assert!(files.read(ProcFile::Stat(pid), &mut buf).is_err());
        files.end_round();
        assert_eq!(files.held(), 0);
    }

    #[test]
    fn a_file_larger_than_one_read_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let text = "1 ".repeat(5000);
        std::fs::write(&path, &text).unwrap();
        let path: &'static str = Box::leak(path.to_string_lossy().into_owned().into_boxed_str());
        let mut files = ProcFiles::new(1);
        let mut buf = Vec::new();
        files.begin_round();
        assert_eq!(
            files.read(ProcFile::Host(path), &mut buf).unwrap(),
            text.as_bytes()
        );
        assert_eq!(
            files.read(ProcFile::Host(path), &mut buf).unwrap(),
            text.as_bytes()
        );
    }

    #[test]
    fn beyond_the_limit_files_are_read_but_not_held() {
        let mut files = ProcFiles::new(1);
        let mut buf = Vec::new();
        let me = std::process::id();
        files.begin_round();
        files.read(ProcFile::Stat(me), &mut buf).unwrap();
        let children = ProcFile::Children { pid: me, tid: me };
        assert!(files.read(children, &mut buf).is_ok());
        assert_eq!(files.held(), 1);
        files.begin_round();
        files.read(children, &mut buf).unwrap();
        files.end_round();
        assert_eq!(files.held(), 0, "the stat file was not read this round");
    }
}
