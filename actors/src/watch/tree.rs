//! The OS side of a Watch: the notify backend (inotify, or polling) and the folders it
//! watches.
//!
//! Every folder is watched on its own (non-recursively), found by walking the tree and
//! skipping ignored folders, so `node_modules`, `.git` or `PM2_HOME` cost no kernel watch at
//! all; a folder created later is added when its creation is seen. (notify's recursive mode
//! would watch every folder, ignored or not, and has no filter.) Only folders take a watch,
//! so ten thousand files in a few folders cost a few watches.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{Config, EventHandler, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use pm2_protocol::WatchSpec;
use walkdir::WalkDir;

use super::filter::Filter;

/// A notify watcher of either kind.
pub type Backend = Box<dyn Watcher + Send>;

/// Kernel notifications, or polling at the spec's interval (`watch_options.usePolling`).
pub fn backend(spec: &WatchSpec, handler: impl EventHandler) -> notify::Result<Backend> {
    let config = Config::default().with_follow_symlinks(spec.follow_symlinks);
    Ok(if spec.use_polling {
        let interval = Duration::from_millis(spec.poll_interval_ms.max(1));
        Box::new(PollWatcher::new(
            handler,
            config.with_poll_interval(interval),
        )?)
    } else {
        Box::new(RecommendedWatcher::new(handler, config)?)
    })
}

/// What adding a tree did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Added {
    /// Folders now watched.
    pub folders: usize,
    /// Paths that could not be read or watched, with why (one line each).
    pub problems: Vec<String>,
}

impl Added {
    /// Counts another walk's result in.
    pub fn merge(&mut self, other: Added) {
        self.folders += other.folders;
        self.problems.extend(other.problems);
    }
}

/// Watches `top` and every folder below it the filter does not ignore. A file is watched
/// through its folder (the filter keeps only its own events), which survives editors that
/// save by replacing the file.
pub fn add_tree(watcher: &mut dyn Watcher, top: &Path, filter: &Filter, follow: bool) -> Added {
    let mut added = Added::default();
    if !top.is_dir() {
        match top.parent() {
            Some(folder) if top.exists() => watch_one(watcher, folder, &mut added),
            _ => added
                .problems
                .push(format!("{}: no such file or folder", top.display())),
        }
        return added;
    }
    let walk = WalkDir::new(top)
        .follow_links(follow)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !e.file_type().is_dir() || !filter.is_ignored(e.path())
        });
    for entry in walk {
        match entry {
            Ok(entry) if entry.file_type().is_dir() => watch_one(watcher, entry.path(), &mut added),
            Ok(_) => {}
            Err(e) => added.problems.push(e.to_string()),
        }
    }
    added
}

fn watch_one(watcher: &mut dyn Watcher, folder: &Path, added: &mut Added) {
    match watcher.watch(folder, RecursiveMode::NonRecursive) {
        Ok(()) => added.folders += 1,
        Err(e) => added.problems.push(describe(folder, &e)),
    }
}

/// One line for a watch that failed, with the fix for the usual one.
fn describe(folder: &Path, error: &notify::Error) -> String {
    match error.kind {
        notify::ErrorKind::MaxFilesWatch => format!(
            "{}: the inotify watch limit is reached (raise fs.inotify.max_user_watches, or \
             ignore more with ignore_watch)",
            folder.display()
        ),
        _ => format!("{}: {error}", folder.display()),
    }
}

/// Whether an event may be a folder appearing (created or moved in), which then needs
/// watches of its own.
pub fn may_add_folder(kind: &notify::EventKind) -> bool {
    use notify::event::{CreateKind, ModifyKind, RenameMode};
    use notify::EventKind;
    matches!(
        kind,
        EventKind::Create(CreateKind::Folder | CreateKind::Any | CreateKind::Other)
            | EventKind::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::Any
            ))
    )
}

/// The watched roots: the spec's paths against the cwd, or the cwd itself.
pub fn roots(cwd: &Path, spec: &WatchSpec) -> Vec<PathBuf> {
    if spec.paths.is_empty() {
        return vec![cwd.to_path_buf()];
    }
    spec.paths
        .iter()
        .map(|p| {
            let p = p.strip_prefix("./").unwrap_or(p);
            if p.is_empty() || p == "." {
                cwd.to_path_buf()
            } else {
                cwd.join(p)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_the_cwd_or_the_paths_below_it() {
        let cwd = Path::new("/app");
        let mut spec = WatchSpec::default();
        assert_eq!(roots(cwd, &spec), vec![PathBuf::from("/app")]);
        spec.paths = vec![
            "src".into(),
            "./config".into(),
            "/etc/app".into(),
            ".".into(),
        ];
        assert_eq!(
            roots(cwd, &spec),
            vec![
                PathBuf::from("/app/src"),
                PathBuf::from("/app/config"),
                PathBuf::from("/etc/app"),
                PathBuf::from("/app"),
            ]
        );
    }

    #[test]
    fn ignored_folders_take_no_watch() {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["src/a", "src/b", "node_modules/x/y", ".git/objects"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        std::fs::write(dir.path().join("src/a/file.js"), "").unwrap();
        let (filter, _) = Filter::new(
            dir.path(),
            vec![dir.path().to_path_buf()],
            None,
            Vec::new(),
            Vec::new(),
        );
        let mut watcher = PollWatcher::new(|_| {}, Config::default()).unwrap();
        let added = add_tree(&mut watcher, dir.path(), &filter, true);
        // The root, src, src/a, src/b.
        assert_eq!(added.folders, 4, "{added:?}");
        assert!(added.problems.is_empty());
        let missing = add_tree(&mut watcher, &dir.path().join("nope"), &filter, true);
        assert_eq!(missing.folders, 0);
        assert_eq!(missing.problems.len(), 1);
    }
}
