//! The resources: `pm2://processes` (the list) and `pm2://process/{id}` (one process), and
//! the change feed behind their subscriptions.
//!
//! A subscribed session subscribes to the tree's process table (`Request::SubscribeTable`,
//! as `pm2 monit` does): the tree pushes each change, nothing is polled, and nothing at all
//! happens while nobody subscribes. The URIs whose processes changed status, pid or restart
//! count are reported (the figures that move each second are not a change of a resource).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pm2_protocol::{ProcessInfo, Request, Response, TableChange, TableMirror, Target};
use rmcp::model::{Resource, ResourceContents, ResourceTemplate};

use crate::backend::Backend;
use crate::client::Client;
use crate::views::{ProcessDetails, ProcessList};

/// The list resource.
pub const PROCESSES_URI: &str = "pm2://processes";
/// The prefix of one process's resource.
pub const PROCESS_PREFIX: &str = "pm2://process/";
/// The longest wait for a change before [`Changes::next`] returns (empty), so the caller
/// looks again whether its session is still there; also how often an unreachable tree is
/// tried again.
pub const WAKE_EVERY: Duration = Duration::from_millis(500);

/// The static resources.
pub fn listed() -> Vec<Resource> {
    vec![Resource::new(PROCESSES_URI, "processes")
        .with_title("PM2 processes")
        .with_description("Every process PM2 manages: name, id, pid, status, restarts, CPU, memory")
        .with_mime_type("application/json")]
}

/// The resource templates.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![ResourceTemplate::new("pm2://process/{id}", "process")
        .with_title("One PM2 process")
        .with_description("One process by PM2 id: status, script, logs, uptime, restarts, environment (secrets redacted)")
        .with_mime_type("application/json")]
}

/// What a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// The list.
    Processes,
    /// One process by id.
    Process(u32),
}

/// Parses one of our URIs; the error says what is accepted.
pub fn parse(uri: &str) -> Result<Named, String> {
    if uri == PROCESSES_URI {
        return Ok(Named::Processes);
    }
    if let Some(id) = uri.strip_prefix(PROCESS_PREFIX) {
        return id.parse().map(Named::Process).map_err(|_| {
            format!(
                "unknown resource {uri:?}: the id in pm2://process/{{id}} is a PM2 id (a number)"
            )
        });
    }
    Err(format!(
        "unknown resource {uri:?}: use pm2://processes or pm2://process/{{id}}"
    ))
}

/// Reads a resource as JSON text.
pub async fn read(backend: &Backend, uri: &str) -> Result<ResourceContents, String> {
    let text = match parse(uri)? {
        Named::Processes => {
            let list = list(backend).await?;
            serde_json::to_string_pretty(&ProcessList::of(&list))
        }
        Named::Process(id) => {
            let request = Request::Describe {
                targets: vec![Target::Id(id)],
                allow_empty: false,
            };
            let process = match backend.ask(request).await? {
                Response::Processes(list) => list.into_iter().find(|p| p.pm_id == id),
                _ => None,
            }
            .ok_or_else(|| format!("no process with id {id}"))?;
            serde_json::to_string_pretty(&ProcessDetails::of(&process, false))
        }
    }
    .map_err(|e| format!("cannot encode {uri}: {e}"))?;
    Ok(ResourceContents::text(text, uri).with_mime_type("application/json"))
}

async fn list(backend: &Backend) -> Result<Vec<ProcessInfo>, String> {
    match backend.ask(Request::ListBrief).await? {
        Response::Processes(list) => Ok(list),
        _ => Ok(Vec::new()),
    }
}

/// What is compared between two looks: status, pid and restart count per id.
type Snapshot = BTreeMap<u32, (String, Option<u32>, u32)>;

fn snapshot<'a>(rows: impl IntoIterator<Item = &'a ProcessInfo>) -> Snapshot {
    rows.into_iter()
        .map(|p| {
            (
                p.pm_id,
                (p.status.as_str().to_string(), p.pid, p.restart_time),
            )
        })
        .collect()
}

/// Finds which URIs changed, from the tree's pushed table changes.
pub struct Changes {
    backend: Backend,
    /// The subscription and the table it keeps; `None` while the tree is unreachable.
    feed: Option<(Client, TableMirror)>,
    last: Snapshot,
}

impl Changes {
    /// Subscribes to the tree as it is now (an unreachable tree counts as empty).
    pub async fn start(backend: Backend) -> Changes {
        let mut changes = Changes {
            backend,
            feed: None,
            last: Snapshot::new(),
        };
        changes.last = changes.subscribe().await;
        changes
    }

    /// A new subscription; the rows it starts from (none when the tree is unreachable).
    async fn subscribe(&mut self) -> Snapshot {
        let Ok(Some(mut client)) = self.backend.connect_existing().await else {
            return Snapshot::new();
        };
        match client.request(Request::SubscribeTable).await {
            Ok(Response::Processes(rows)) => {
                let now = snapshot(&rows);
                self.feed = Some((client, TableMirror::new(rows)));
                now
            }
            _ => Snapshot::new(),
        }
    }

    /// Waits for changes (at most [`WAKE_EVERY`]) and returns the URIs that changed since
    /// the last call, if any.
    pub async fn next(&mut self) -> Vec<String> {
        let now = match &mut self.feed {
            Some((client, table)) => {
                match tokio::time::timeout(WAKE_EVERY, client.next_change()).await {
                    // Nothing pushed yet (dropping the read loses nothing: bytes stay buffered).
                    Err(_) => return Vec::new(),
                    // A round of figures changes no status, pid or restart count.
                    Ok(Ok(Some(TableChange::Metrics(_)))) => return Vec::new(),
                    Ok(Ok(Some(change))) => {
                        table.apply(change);
                        snapshot(table.rows())
                    }
                    // The tree went away: every process is gone until one answers again.
                    Ok(_) => {
                        self.feed = None;
                        Snapshot::new()
                    }
                }
            }
            None => {
                tokio::time::sleep(WAKE_EVERY).await;
                self.subscribe().await
            }
        };
        let changed = changed_ids(&self.last, &now);
        self.last = now;
        if changed.is_empty() {
            return Vec::new();
        }
        std::iter::once(PROCESSES_URI.to_string())
            .chain(changed.iter().map(|id| format!("{PROCESS_PREFIX}{id}")))
            .collect()
    }
}

/// Ids added, removed or changed.
fn changed_ids(before: &Snapshot, after: &Snapshot) -> BTreeSet<u32> {
    let mut ids: BTreeSet<u32> = before
        .iter()
        .filter(|(id, state)| after.get(id) != Some(state))
        .map(|(id, _)| *id)
        .collect();
    ids.extend(after.keys().filter(|id| !before.contains_key(id)));
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_or_say_what_is_accepted() {
        assert_eq!(parse("pm2://processes"), Ok(Named::Processes));
        assert_eq!(parse("pm2://process/12"), Ok(Named::Process(12)));
        assert!(parse("pm2://process/api").unwrap_err().contains("PM2 id"));
        assert!(parse("file:///etc/passwd")
            .unwrap_err()
            .contains("pm2://processes"));
    }

    #[test]
    fn a_change_of_status_pid_or_restarts_is_seen() {
        let before = Snapshot::from([
            (0, ("online".into(), Some(10), 0)),
            (1, ("online".into(), Some(11), 0)),
            (2, ("stopped".into(), None, 0)),
        ]);
        let after = Snapshot::from([
            (0, ("online".into(), Some(10), 0)),
            (1, ("online".into(), Some(12), 1)),
            (3, ("online".into(), Some(13), 0)),
        ]);
        assert_eq!(changed_ids(&before, &after), BTreeSet::from([1, 2, 3]));
        assert!(changed_ids(&after, &after).is_empty());
    }
}
