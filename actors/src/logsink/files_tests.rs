//! The sink's files: opening, appending, rotating, reopening, flushing.

use super::*;
use crate::proc::LogPaths;

fn target(dir: &Path) -> LogTarget {
    LogTarget {
        pm_id: 0,
        name: "a".into(),
        namespace: "default".into(),
        paths: LogPaths {
            out: Some(dir.join("a-out.log")),
            err: Some(dir.join("a-error.log")),
            combined: Some(dir.join("a.log")),
        },
        date_format: None,
        json: false,
        rotate: LogRotate::default(),
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn streams_go_to_their_files_and_the_combined_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let t = target(dir.path());
    files.write(&t, Stream::Out, b"one\n");
    files.write(&t, Stream::Err, b"oops\n");
    files.write(&t, Stream::Out, b"two\n");
    assert_eq!(read(dir.path(), "a-out.log"), "one\ntwo\n");
    assert_eq!(read(dir.path(), "a-error.log"), "oops\n");
    assert_eq!(read(dir.path(), "a.log"), "one\noops\ntwo\n");
}

#[test]
fn an_unwritable_path_is_reported_once_and_does_not_stop_the_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let mut t = target(dir.path());
    std::fs::write(dir.path().join("blocker"), "").unwrap();
    t.paths.out = Some(dir.path().join("blocker/sub/a-out.log"));
    let first = files.write(&t, Stream::Out, b"x\n");
    assert!(
        matches!(first, Some(Health::Failing(ref m)) if m.contains("blocker/sub")),
        "{first:?}"
    );
    assert_eq!(files.write(&t, Stream::Out, b"y\n"), None, "said once");
    assert_eq!(read(dir.path(), "a.log"), "x\ny\n");
}

#[test]
fn truncate_empties_and_writing_goes_on_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let t = target(dir.path());
    files.write(&t, Stream::Out, b"old line\n");
    assert!(files.truncate(&[dir.path().join("a-out.log")]).is_empty());
    files.write(&t, Stream::Out, b"new\n");
    assert_eq!(read(dir.path(), "a-out.log"), "new\n");
}

fn recent(files: &mut OpenFiles, dir: &Path, name: &str, n: usize) -> Option<Vec<String>> {
    let lines = files.recent(&dir.join(name), n)?;
    Some(
        lines
            .into_iter()
            .map(|l| String::from_utf8(l).unwrap())
            .collect(),
    )
}

#[test]
fn recent_lines_are_the_files_last_lines_and_cost_nothing_until_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let mut t = target(dir.path());
    t.date_format = Some("[at]".into());
    files.open(&t);
    assert!(files.files.values().all(|open| open.recent.is_none()));
    assert_eq!(recent(&mut files, dir.path(), "a-out.log", 5), Some(vec![]));
    files.write(&t, Stream::Out, b"one\ntw");
    files.write(&t, Stream::Out, b"o\n");
    files.write(&t, Stream::Err, b"oops\n");
    let out = recent(&mut files, dir.path(), "a-out.log", 5).unwrap();
    assert_eq!(
        out,
        ["at: one", "at: two"],
        "as in the file, prefix included"
    );
    let file = pm2_protocol::tail::last_lines(&dir.path().join("a-out.log"), 5).unwrap();
    assert_eq!(
        file,
        out.iter()
            .map(|l| l.as_bytes().to_vec())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        recent(&mut files, dir.path(), "a-error.log", 5).unwrap(),
        ["at: oops"]
    );
    assert!(
        files.files[&dir.path().join("a.log")].recent.is_none(),
        "the combined file keeps none"
    );
    assert_eq!(recent(&mut files, dir.path(), "other.log", 5), None);
}

#[test]
fn flush_empties_the_recent_lines_and_frees_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let t = target(dir.path());
    files.write(&t, Stream::Out, b"old\n");
    files.truncate(&[dir.path().join("a-out.log")]);
    assert!(files.files[&dir.path().join("a-out.log")].recent.is_none());
    assert_eq!(recent(&mut files, dir.path(), "a-out.log", 5), Some(vec![]));
    files.write(&t, Stream::Out, b"new\n");
    assert_eq!(
        recent(&mut files, dir.path(), "a-out.log", 5).unwrap(),
        ["new"]
    );
}

#[test]
fn a_file_with_history_or_changed_behind_the_sinks_back_is_left_to_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let t = target(dir.path());
    std::fs::write(dir.path().join("a-out.log"), "from before\n").unwrap();
    let mut files = OpenFiles::new("a".into());
    files.write(&t, Stream::Out, b"now\n");
    assert_eq!(
        recent(&mut files, dir.path(), "a-out.log", 1).unwrap(),
        ["now"]
    );
    assert_eq!(recent(&mut files, dir.path(), "a-out.log", 2), None);

    // An external logrotate's copytruncate.
    files.write(&t, Stream::Err, b"e\n");
    std::fs::write(dir.path().join("a-error.log"), "").unwrap();
    assert_eq!(recent(&mut files, dir.path(), "a-error.log", 1), None);
    // An external logrotate's move: the name is another file now.
    std::fs::rename(dir.path().join("a-out.log"), dir.path().join("moved")).unwrap();
    std::fs::write(dir.path().join("a-out.log"), "").unwrap();
    assert_eq!(recent(&mut files, dir.path(), "a-out.log", 1), None);
}

#[test]
fn a_rotated_file_starts_its_recent_lines_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let mut t = target(dir.path());
    t.rotate.date_format = Some("[r]".into());
    files.write(&t, Stream::Out, b"line 1 is long\n");
    files.rotate_oversized(&small_policy());
    assert_eq!(recent(&mut files, dir.path(), "a-out.log", 5), Some(vec![]));
    files.write(&t, Stream::Out, b"2\n");
    assert_eq!(
        recent(&mut files, dir.path(), "a-out.log", 5).unwrap(),
        ["2"]
    );
}

#[test]
fn open_creates_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    assert_eq!(files.open(&target(dir.path())), None);
    assert_eq!(read(dir.path(), "a-out.log"), "");
    assert_eq!(read(dir.path(), "a-error.log"), "");
}

fn small_policy() -> RotationPolicy {
    let mut policy = RotationPolicy::default();
    policy.apply("max_size", "10").unwrap();
    policy
}

#[test]
fn a_file_past_max_size_is_renamed_and_writing_goes_on_in_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let mut t = target(dir.path());
    t.paths.combined = None;
    t.rotate.date_format = Some("[one]".into());
    files.write(&t, Stream::Out, b"line 1 is long\n");
    files.write(&t, Stream::Err, b"e\n");
    let rotations = files.rotate_oversized(&small_policy());
    assert_eq!(rotations.len(), 1, "only the out file is past 10 bytes");
    assert_eq!(rotations[0].rotated, dir.path().join("a-out__one.log"));
    assert_eq!(rotations[0].retain, 30);
    files.write(&t, Stream::Out, b"line 2\n");
    assert_eq!(read(dir.path(), "a-out__one.log"), "line 1 is long\n");
    assert_eq!(read(dir.path(), "a-out.log"), "line 2\n");
}

#[test]
fn a_log_rotates_once_per_date_stamp_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let mut t = target(dir.path());
    t.rotate.date_format = Some("[same]".into());
    files.write(&t, Stream::Out, b"first rotation\n");
    assert_eq!(files.rotate_oversized(&small_policy()).len(), 2);
    files.write(&t, Stream::Out, b"second batch of bytes\n");
    assert!(files.rotate_oversized(&small_policy()).is_empty());
    assert_eq!(read(dir.path(), "a-out__same.log"), "first rotation\n");
    assert_eq!(read(dir.path(), "a-out.log"), "second batch of bytes\n");
    t.rotate.date_format = Some("[next]".into());
    files.write(&t, Stream::Out, b"x\n");
    assert_eq!(files.rotate_oversized(&small_policy()).len(), 2);
    assert_eq!(
        read(dir.path(), "a-out__next.log"),
        "second batch of bytes\nx\n"
    );
}

#[test]
fn rotate_all_takes_every_non_empty_file_whatever_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = OpenFiles::new("a".into());
    let mut t = target(dir.path());
    t.rotate.date_format = Some("[cron]".into());
    files.open(&t);
    files.write(&t, Stream::Out, b"x\n");
    let rotated: Vec<PathBuf> = files
        .rotate_all(&RotationPolicy::default())
        .into_iter()
        .map(|r| r.rotated)
        .collect();
    assert_eq!(
        rotated.len(),
        2,
        "out and combined, not the empty error file"
    );
    assert!(rotated.contains(&dir.path().join("a-out__cron.log")));
    assert!(rotated.contains(&dir.path().join("a__cron.log")));
    assert_eq!(read(dir.path(), "a-error.log"), "");
}
