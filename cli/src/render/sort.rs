//! The order of `pm2 ls` rows: PM2's `--sort <field_name:sort>`.
//!
//! PM2 accepts `name`, `namespace`, `id`, `pid`, `uptime`, `status`, `cpu` and `memory`,
//! sorts by name ascending by default and treats any order other than `desc` as `asc`.
//! We add `restarts` (the ↺ column) and `mem` (the column's title), and refuse an unknown
//! field or order with one line naming it: PM2 silently falls back to `name`, which hides
//! a typo behind a plausible table.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use pm2_protocol::ProcessInfo;

use super::table::reported_monit;

/// A column rows can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// App name (PM2's default).
    Name,
    /// Namespace.
    Namespace,
    /// `pm_id`.
    Id,
    /// OS pid, 0 when not running.
    Pid,
    /// The uptime shown, 0 when not online.
    Uptime,
    /// Restart count (ours; PM2 has no key for ↺).
    Restarts,
    /// Status word, alphabetically as PM2 compares it.
    Status,
    /// CPU percent shown.
    Cpu,
    /// Memory shown.
    Memory,
}

/// Which way a [`SortKey`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest first (PM2's default).
    Asc,
    /// Largest first.
    Desc,
}

/// A parsed `--sort` value: `field` or `field:asc|desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortSpec {
    /// The column.
    pub key: SortKey,
    /// The direction.
    pub order: SortOrder,
}

/// Why a `--sort` value was refused; the message names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortSpecError {
    /// The field is not one we sort by.
    #[error("unknown sort field '{0}' (expected {KEYS})")]
    Key(String),
    /// The part after `:` is neither `asc` nor `desc`.
    #[error("unknown sort order '{0}' (expected asc or desc)")]
    Order(String),
}

/// The accepted field names, for messages and help.
pub const KEYS: &str = "name, namespace, id, pid, uptime, restarts, status, cpu or memory";

impl SortKey {
    fn parse(word: &str) -> Option<SortKey> {
        Some(match word.to_ascii_lowercase().as_str() {
            "name" => SortKey::Name,
            "namespace" => SortKey::Namespace,
            "id" => SortKey::Id,
            "pid" => SortKey::Pid,
            "uptime" => SortKey::Uptime,
            "restarts" => SortKey::Restarts,
            "status" => SortKey::Status,
            "cpu" => SortKey::Cpu,
            "memory" | "mem" => SortKey::Memory,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Namespace => "namespace",
            SortKey::Id => "id",
            SortKey::Pid => "pid",
            SortKey::Uptime => "uptime",
            SortKey::Restarts => "restarts",
            SortKey::Status => "status",
            SortKey::Cpu => "cpu",
            SortKey::Memory => "memory",
        }
    }
}

impl SortSpec {
    /// PM2's table order: by name, ascending.
    pub const BY_NAME: SortSpec = SortSpec {
        key: SortKey::Name,
        order: SortOrder::Asc,
    };
    /// The daemon's order, which PM2's `-m` list keeps: by id, ascending.
    pub const BY_ID: SortSpec = SortSpec {
        key: SortKey::Id,
        order: SortOrder::Asc,
    };

    /// `procs` in this order. Ties keep id order whichever the direction, as PM2's stable
    /// sort of the daemon's id-ordered list does.
    pub fn sorted<'a>(&self, procs: &'a [ProcessInfo], now_ms: i64) -> Vec<&'a ProcessInfo> {
        let mut rows: Vec<&ProcessInfo> = procs.iter().collect();
        rows.sort_by(|a, b| {
            let by_key = self.compare(a, b, now_ms);
            let by_key = match self.order {
                SortOrder::Asc => by_key,
                SortOrder::Desc => by_key.reverse(),
            };
            by_key.then(a.pm_id.cmp(&b.pm_id))
        });
        rows
    }

    /// Compares on the key alone, ascending. Values are those the table shows (CPU,
    /// memory and uptime count as 0 unless online). PM2 compares `pm_uptime`, the start
    /// time, so its `uptime` ascending lists the longest uptime first; ours reads ascending
    /// down the column.
    fn compare(&self, a: &ProcessInfo, b: &ProcessInfo, now_ms: i64) -> Ordering {
        match self.key {
            SortKey::Name => a.spec.name.cmp(&b.spec.name),
            SortKey::Namespace => a.spec.namespace.cmp(&b.spec.namespace),
            SortKey::Id => a.pm_id.cmp(&b.pm_id),
            SortKey::Pid => a.pid.unwrap_or(0).cmp(&b.pid.unwrap_or(0)),
            SortKey::Uptime => a.uptime_ms(now_ms).cmp(&b.uptime_ms(now_ms)),
            SortKey::Restarts => a.restart_time.cmp(&b.restart_time),
            SortKey::Status => a.status.as_str().cmp(b.status.as_str()),
            SortKey::Cpu => reported_monit(a).0.total_cmp(&reported_monit(b).0),
            SortKey::Memory => reported_monit(a).1.cmp(&reported_monit(b).1),
        }
    }
}

impl FromStr for SortSpec {
    type Err = SortSpecError;

    /// `name`, `memory:desc`, `CPU:ASC`: the field and the order are case-insensitive.
    fn from_str(text: &str) -> Result<SortSpec, SortSpecError> {
        let (field, order) = match text.split_once(':') {
            Some((field, order)) => (field, Some(order)),
            None => (text, None),
        };
        let key = SortKey::parse(field).ok_or_else(|| SortSpecError::Key(field.to_owned()))?;
        let order = match order.map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => SortOrder::Asc,
            Some("desc") => SortOrder::Desc,
            Some(_) => return Err(SortSpecError::Order(order.unwrap_or_default().to_owned())),
        };
        Ok(SortSpec { key, order })
    }
}

impl fmt::Display for SortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = match self.order {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        };
        write!(f, "{}:{order}", self.key.as_str())
    }
}
