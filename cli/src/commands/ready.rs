//! `wait_ready` apps: PM2's `start`, `restart` and `reload` return once such an app is ready
//! (it said so, or `listen_timeout` passed), not as soon as it is spawned. The daemon answers
//! at spawn; the command then watches the processes' status.

use std::time::{Duration, Instant};

use anyhow::Result;
use pm2_protocol::{ProcessInfo, Request, Status, Target};

use super::{ask, processes};
use crate::client::Client;

/// How often the status is looked at while waiting.
const POLL: Duration = Duration::from_millis(25);

/// Waits until none of `procs` that wait for readiness is `launching` any more, at most
/// their `listen_timeout` (plus a margin for the daemon's own timer to fire). True when
/// there was something to wait for (a table taken before is then out of date).
pub async fn wait_until_ready(client: &mut Client, procs: &[ProcessInfo]) -> Result<bool> {
    let waiting: Vec<&ProcessInfo> = procs.iter().filter(|p| p.spec.wait_ready).collect();
    let Some(longest) = waiting.iter().map(|p| p.spec.listen_timeout_ms).max() else {
        return Ok(false);
    };
    let ids: Vec<Target> = waiting.iter().map(|p| Target::Id(p.pm_id)).collect();
    let deadline = Instant::now() + Duration::from_millis(longest) + Duration::from_secs(2);
    while Instant::now() < deadline {
        let request = Request::Describe {
            targets: ids.clone(),
            allow_empty: true,
        };
        let now = processes(ask(client, request).await?)?;
        if now.iter().all(|p| p.status != Status::Launching) {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(true)
}
