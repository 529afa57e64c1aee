//! Which paths count as changes: inside a watched root and not ignored.
//!
//! `ignore_watch` entries are globs. One without a slash (`node_modules`, `*.log`, `.git`)
//! matches any single name along the path, at any depth; one with a slash (`data/cache`,
//! `src/**/*.gen.js`) matches the path relative to the app's cwd (or an absolute path), and
//! a folder it matches is ignored with everything under it. Without `ignore_watch`, PM2's
//! default applies: names starting with a dot (`.git`) and `node_modules`.
//!
//! Always ignored, whatever the user wrote, so that the daemon's own writes never restart
//! an app (PM2 restarts in a loop when `PM2_HOME` or a log file is inside the watched
//! tree): `PM2_HOME`, and each process's log files (with their rotated copies,
//! `<name>__<date>.log`) and pid file.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A pattern of `ignore_watch` that is not a glob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ignore_watch pattern {pattern:?} is not a glob: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// Why.
    pub reason: String,
}

/// Decides, for a path an event names, whether it is a change worth a restart.
#[derive(Debug, Clone)]
pub struct Filter {
    cwd: PathBuf,
    roots: Vec<PathBuf>,
    /// `None`: PM2's default (dot names, `node_modules`).
    names: Option<GlobSet>,
    paths: GlobSet,
    /// Folders ignored with everything under them.
    dirs: Vec<PathBuf>,
    /// Files ignored, with their rotated copies.
    files: Vec<PathBuf>,
    /// `--ext`: when not empty, only files with one of these extensions count.
    extensions: Vec<String>,
}

impl Filter {
    /// A filter for changes under `roots`, ignoring `ignore` (`None`: PM2's default), the
    /// folders `dirs` and the files `files`. Patterns that are not globs are skipped and
    /// returned, for the daemon's log.
    pub fn new(
        cwd: &Path,
        roots: Vec<PathBuf>,
        ignore: Option<&[String]>,
        dirs: Vec<PathBuf>,
        files: Vec<PathBuf>,
    ) -> (Filter, Vec<PatternError>) {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        let mut errors = Vec::new();
        for pattern in ignore.unwrap_or_default() {
            let trimmed = pattern.trim().trim_end_matches('/');
            let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
            if trimmed.is_empty() {
                continue;
            }
            let (builder, text) = if trimmed.contains('/') {
                let text = if Path::new(trimmed).is_absolute() {
                    trimmed.to_string()
                } else {
                    format!("{}/{trimmed}", globset::escape(&cwd.to_string_lossy()))
                };
                (&mut paths, text)
            } else {
                (&mut names, trimmed.to_string())
            };
            match GlobBuilder::new(&text).literal_separator(true).build() {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(e) => errors.push(PatternError {
                    pattern: pattern.clone(),
                    reason: e.kind().to_string(),
                }),
            }
        }
        let filter = Filter {
            cwd: cwd.to_path_buf(),
            roots,
            names: ignore.map(|_| names.build().unwrap_or_else(|_| GlobSet::empty())),
            paths: paths.build().unwrap_or_else(|_| GlobSet::empty()),
            dirs,
            files,
            extensions: Vec::new(),
        };
        (filter, errors)
    }

    /// Only changes to files with one of `extensions` (`js`, `.json`) count, as PM2's `--ext`.
    pub fn only_extensions(mut self, extensions: &[String]) -> Filter {
        self.extensions = extensions
            .iter()
            .map(|e| e.trim().trim_start_matches('.').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        self
    }

    /// True when a change at `path` should not restart the app: outside every root, or
    /// ignored.
    pub fn ignores(&self, path: &Path) -> bool {
        !self.roots.iter().any(|root| path.starts_with(root))
            || self.is_ignored(path)
            || !self.has_wanted_extension(path)
    }

    fn has_wanted_extension(&self, path: &Path) -> bool {
        self.extensions.is_empty()
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| self.extensions.iter().any(|x| x == e))
    }

    /// True when `path` (a file or a folder) is ignored, whatever the roots.
    pub fn is_ignored(&self, path: &Path) -> bool {
        if self.dirs.iter().any(|dir| path.starts_with(dir)) || self.is_own_file(path) {
            return true;
        }
        // Names are looked at below the cwd only (or below the root for paths elsewhere), so
        // that an app living in `~/.apps/api` is not ignored as a dot folder.
        let base = self
            .roots
            .iter()
            .chain(std::iter::once(&self.cwd))
            .filter(|root| path.starts_with(root))
            .min_by_key(|root| root.components().count());
        let relative = match base {
            Some(base) => path.strip_prefix(base).unwrap_or(path),
            None => path,
        };
        let names = relative.components().filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        });
        let by_name = match &self.names {
            Some(set) => names.clone().any(|name| set.is_match(name)),
            None => names.clone().any(|name| {
                let name = name.to_string_lossy();
                name.starts_with('.') || name == "node_modules"
            }),
        };
        by_name || (!self.paths.is_empty() && path.ancestors().any(|p| self.paths.is_match(p)))
    }

    fn is_own_file(&self, path: &Path) -> bool {
        self.files.iter().any(|file| {
            if path == file {
                return true;
            }
            // Rotated copies: `api-out.log` → `api-out__2026-03-07_09-05-02.log[.gz]`.
            match (
                file.parent(),
                file.file_stem(),
                path.parent(),
                path.file_name(),
            ) {
                (Some(dir), Some(stem), Some(parent), Some(name)) if dir == parent => {
                    let prefix = format!("{}__", stem.to_string_lossy());
                    name.to_string_lossy().starts_with(&prefix)
                }
                _ => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(ignore: Option<&[&str]>) -> Filter {
        let ignore: Option<Vec<String>> =
            ignore.map(|list| list.iter().map(|s| s.to_string()).collect());
        let (filter, errors) = Filter::new(
            Path::new("/app"),
            vec![PathBuf::from("/app")],
            ignore.as_deref(),
            vec![PathBuf::from("/home/u/.pm2")],
            vec![PathBuf::from("/app/logs/api-out.log")],
        );
        assert!(errors.is_empty(), "{errors:?}");
        filter
    }

    #[test]
    fn pm2_default_ignores_dot_names_and_node_modules() {
        let f = filter(None);
        assert!(!f.ignores(Path::new("/app/src/index.js")));
        assert!(f.ignores(Path::new("/app/.git/index")));
        assert!(f.ignores(Path::new("/app/src/.index.js.swp")));
        assert!(f.ignores(Path::new("/app/node_modules/x/index.js")));
        assert!(
            f.ignores(Path::new("/elsewhere/index.js")),
            "outside the roots"
        );
    }

    #[test]
    fn names_match_at_any_depth_and_paths_from_the_cwd() {
        let f = filter(Some(&["*.tmp", "data/cache", "/app/build/**/*.map"]));
        assert!(f.ignores(Path::new("/app/a.tmp")));
        assert!(f.ignores(Path::new("/app/deep/down/b.tmp")));
        assert!(f.ignores(Path::new("/app/data/cache")));
        assert!(f.ignores(Path::new("/app/data/cache/x/y.json")));
        assert!(!f.ignores(Path::new("/app/data/other.json")));
        assert!(f.ignores(Path::new("/app/build/js/a.map")));
        assert!(!f.ignores(Path::new("/app/build/js/a.js")));
        // Given patterns replace PM2's default, as chokidar's `ignored` does.
        assert!(!f.ignores(Path::new("/app/node_modules/x.js")));
    }

    #[test]
    fn with_extensions_only_those_files_count() {
        let f = filter(None).only_extensions(&["js".into(), ".json".into()]);
        assert!(!f.ignores(Path::new("/app/src/index.js")));
        assert!(!f.ignores(Path::new("/app/config.json")));
        assert!(f.ignores(Path::new("/app/notes.md")));
        assert!(f.ignores(Path::new("/app/Makefile")));
        assert!(
            f.ignores(Path::new("/app/.git/x.js")),
            "ignores still apply"
        );
    }

    #[test]
    fn the_daemons_own_files_are_always_ignored() {
        let f = filter(Some(&[]));
        assert!(f.ignores(Path::new("/app/logs/api-out.log")));
        assert!(f.ignores(Path::new("/app/logs/api-out__2026-03-07_09-05-02.log.gz")));
        assert!(!f.ignores(Path::new("/app/logs/other.log")));
        assert!(f.is_ignored(Path::new("/home/u/.pm2/pids/api-0.pid")));
    }

    #[test]
    fn dot_folders_above_the_cwd_do_not_count() {
        let (f, _) = Filter::new(
            Path::new("/home/u/.apps/api"),
            vec![PathBuf::from("/home/u/.apps/api")],
            None,
            Vec::new(),
            Vec::new(),
        );
        assert!(!f.ignores(Path::new("/home/u/.apps/api/index.js")));
    }

    #[test]
    fn a_bad_pattern_is_reported_and_skipped() {
        let (f, errors) = Filter::new(
            Path::new("/app"),
            vec![PathBuf::from("/app")],
            Some(&["a[".to_string(), "*.log".to_string()]),
            Vec::new(),
            Vec::new(),
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pattern, "a[");
        assert!(f.ignores(Path::new("/app/x.log")));
    }
}
