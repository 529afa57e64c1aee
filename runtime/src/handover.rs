//! `pm2 update` without restarting the apps: the daemon re-executes the installed binary
//! (same pid, so the apps stay its children) and the new daemon adopts every process, its
//! pipes and its sockets from the hand-over file.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use pm2_actors::root::RootMsg;
use pm2_protocol::dump::Handover;
use pm2_protocol::Home;
use ractor::ActorRef;

use crate::daemon::DAEMON_FLAG;

/// Longest wait for the tree to adopt the processes handed over.
const ADOPT_WAIT_MS: u64 = 60_000;

/// The argument naming the hand-over file.
pub const ADOPT_FLAG: &str = "--adopt";

/// The installed binary: the path this one was started from, even if it was replaced on
/// disk since (then `/proc/self/exe` reads `... (deleted)`).
fn installed_binary() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let text = exe.to_string_lossy();
    Ok(match text.strip_suffix(" (deleted)") {
        Some(original) => PathBuf::from(original),
        None => exe,
    })
}

/// Replaces this process with the installed binary as the daemon adopting the hand-over.
/// Returns only if that failed.
pub fn exec(home: &Home) -> std::io::Error {
    let binary = match installed_binary() {
        Ok(binary) => binary,
        Err(e) => return e,
    };
    tracing::info!(binary = %binary.display(), "re-executing the daemon");
    std::process::Command::new(binary)
        .arg(DAEMON_FLAG)
        .arg(ADOPT_FLAG)
        .arg(home.handover_file())
        .env("PM2_HOME", &home.root)
        .exec()
}

/// Adopts what the previous daemon handed over; false when there was nothing usable (the
/// caller then recovers from the state file, restarting the apps).
pub async fn adopt(root: &ActorRef<RootMsg>, path: &Path) -> bool {
    let handover: Handover = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_slice(&text).map_err(|e| e.to_string()))
    {
        Ok(handover) => handover,
        Err(e) => {
            tracing::error!("cannot read the hand-over {}: {e}", path.display());
            return false;
        }
    };
    let _ = std::fs::remove_file(path);
    match ractor::call_t!(root, RootMsg::Adopt, ADOPT_WAIT_MS, Box::new(handover)) {
        Ok(Ok(count)) => {
            tracing::info!(
                processes = count,
                "adopted the previous daemon's processes: none restarted"
            );
            true
        }
        Ok(Err(e)) => {
            tracing::error!("adoption failed: {e}");
            false
        }
        Err(e) => {
            tracing::error!("adoption failed: {e}");
            false
        }
    }
}
