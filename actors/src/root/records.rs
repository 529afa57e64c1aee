//! New process records for an app: ids, instance numbers and PM2's `-<id>` file suffixes.

use std::path::{Path, PathBuf};

use pm2_protocol::AppSpec;

use crate::proc::lifecycle::Lifecycle;
use crate::proc::state::Counters;
use crate::proc::{LogPaths, ProcRecord};
use pm2_protocol::clock::now_ms;

/// PM2's suffix rule: `x.log` and `x-3.log` become `x-<id>.log`; other names are kept.
pub fn with_id(path: &Path, pm_id: u32) -> PathBuf {
    let text = path.to_string_lossy();
    let Some(stem) = text.strip_suffix(".log") else {
        return path.to_path_buf();
    };
    let stem = match stem.rfind('-') {
        Some(dash)
            if stem[dash + 1..].chars().all(|c| c.is_ascii_digit()) && dash + 1 < stem.len() =>
        {
            &stem[..dash]
        }
        _ => stem,
    };
    PathBuf::from(format!("{stem}-{pm_id}.log"))
}

fn pid_path(path: &Path, pm_id: u32) -> PathBuf {
    let text = path.to_string_lossy();
    match text.strip_suffix(".pid") {
        Some(stem) => PathBuf::from(format!("{stem}-{pm_id}.pid")),
        None => path.to_path_buf(),
    }
}

/// The daemon's user name, looked up once (a passwd lookup per process adds up).
fn user_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::var("USER")
            .ok()
            .or_else(|| {
                nix::unistd::User::from_uid(nix::unistd::getuid())
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .unwrap_or_else(|| "unknown".into())
    })
    .clone()
}

/// A record for process `pm_id`, instance `instance` of `spec`.
pub fn new_record(spec: &AppSpec, pm_id: u32, instance: u32) -> ProcRecord {
    let suffixed = |path: &Option<PathBuf>| {
        path.as_ref().map(|p| {
            if spec.merge_logs || p == Path::new("/dev/null") {
                p.clone()
            } else {
                with_id(p, pm_id)
            }
        })
    };
    let now = now_ms();
    ProcRecord {
        pm_id,
        instance,
        spec: spec.clone(),
        life: if spec.autostart {
            Lifecycle::Pending
        } else {
            Lifecycle::Down { errored: false }
        },
        retiring: None,
        counters: Counters::default(),
        created_at: now,
        started_at: now,
        generation: 0,
        exits: Vec::new(),
        exit_code: None,
        env: Default::default(),
        logs: LogPaths {
            out: suffixed(&spec.out_file),
            err: suffixed(&spec.error_file),
            combined: suffixed(&spec.log_file),
        },
        pid_file: pid_path(&spec.pid_file, pm_id),
        last_error: None,
        sockets: None,
        pipes: None,
        stdin: Vec::new(),
        adopt_pipes: None,
        username: spec
            .run_as
            .as_ref()
            .map_or_else(user_name, |run_as| run_as.user.clone()),
        actor: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_suffixes_follow_pm2() {
        assert_eq!(
            with_id(Path::new("/l/api-out.log"), 3),
            PathBuf::from("/l/api-out-3.log")
        );
        assert_eq!(
            with_id(Path::new("/l/api-out-1.log"), 3),
            PathBuf::from("/l/api-out-3.log")
        );
        assert_eq!(
            with_id(Path::new("/l/api.txt"), 3),
            PathBuf::from("/l/api.txt")
        );
        assert_eq!(
            pid_path(Path::new("/p/api.pid"), 0),
            PathBuf::from("/p/api-0.pid")
        );
    }
}
