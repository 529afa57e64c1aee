//! What the tools and resources return, as typed values: their JSON schemas are the tools'
//! declared output schemas, so an agent (and the client SDK validating it) knows the shape.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pm2_protocol::ProcessInfo;
use schemars::JsonSchema;
use serde::Serialize;

/// Words that mark an environment variable as a secret (matched in its upper-cased name).
const SECRET_MARKERS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "SESSION",
    "COOKIE",
    "DSN",
    "DATABASE_URL",
];

/// What replaces a secret's value.
pub const REDACTED: &str = "[redacted]";

/// One process in a list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProcessSummary {
    /// App name.
    pub name: String,
    /// PM2 id.
    pub pm_id: u32,
    /// OS pid while running.
    pub pid: Option<u32>,
    /// online, stopped, errored, launching, stopping, waiting restart...
    pub status: String,
    /// Restarts so far.
    pub restart_time: u32,
    /// CPU percent.
    pub cpu: f32,
    /// Resident memory in bytes.
    pub memory: u64,
}

impl ProcessSummary {
    /// The summary of one process.
    pub fn of(p: &ProcessInfo) -> ProcessSummary {
        ProcessSummary {
            name: p.spec.name.clone(),
            pm_id: p.pm_id,
            pid: p.pid,
            status: p.status.as_str().into(),
            restart_time: p.restart_time,
            cpu: p.monit.cpu,
            memory: p.monit.memory,
        }
    }
}

/// The processes a tool acted on or listed (also the `pm2://processes` resource).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProcessList {
    /// The processes.
    pub processes: Vec<ProcessSummary>,
}

impl ProcessList {
    /// The list of these processes.
    pub fn of(list: &[ProcessInfo]) -> ProcessList {
        ProcessList {
            processes: list.iter().map(ProcessSummary::of).collect(),
        }
    }

    /// One line per process, for the text content.
    pub fn text(&self) -> String {
        if self.processes.is_empty() {
            return "No processes".into();
        }
        self.processes
            .iter()
            .map(|p| {
                format!(
                    "{} {} {} pid={} restarts={} cpu={:.1}% mem={}",
                    p.pm_id,
                    p.name,
                    p.status,
                    p.pid.map_or_else(|| "-".into(), |pid| pid.to_string()),
                    p.restart_time,
                    p.cpu,
                    p.memory
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Everything an agent needs to understand one process (`pm2://process/{id}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProcessDetails {
    /// App name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// PM2 id.
    pub pm_id: u32,
    /// OS pid while running.
    pub pid: Option<u32>,
    /// Status.
    pub status: String,
    /// Restarts so far.
    pub restart_time: u32,
    /// Restarts that came too fast (before min_uptime).
    pub unstable_restarts: u32,
    /// Milliseconds since the process started (0 when not running).
    pub uptime_ms: i64,
    /// When the app was created (ms since the epoch).
    pub created_at: i64,
    /// Exit code of the last run.
    pub exit_code: Option<i32>,
    /// fork_mode or cluster_mode.
    pub exec_mode: String,
    /// Instances of the app.
    pub instances: u32,
    /// The script or binary.
    pub script: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its interpreter ("none" when executed directly).
    pub interpreter: String,
    /// Working directory.
    pub cwd: PathBuf,
    /// Standard output log file.
    pub out_log: Option<PathBuf>,
    /// Standard error log file.
    pub err_log: Option<PathBuf>,
    /// Combined log file.
    pub combined_log: Option<PathBuf>,
    /// CPU percent.
    pub cpu: f32,
    /// Resident memory in bytes.
    pub memory: u64,
    /// User the process runs as.
    pub username: String,
    /// Why the last start failed, if it did.
    pub last_error: Option<String>,
    /// The environment; secret values are redacted unless asked for.
    pub env: BTreeMap<String, String>,
    /// Names whose values were redacted.
    pub redacted: Vec<String>,
}

impl ProcessDetails {
    /// The details of one process; `reveal` keeps secret values.
    pub fn of(p: &ProcessInfo, reveal: bool) -> ProcessDetails {
        let now = pm2_protocol::clock::now_ms();
        let (env, redacted) = redact(&p.env, reveal);
        ProcessDetails {
            name: p.spec.name.clone(),
            namespace: p.spec.namespace.clone(),
            pm_id: p.pm_id,
            pid: p.pid,
            status: p.status.as_str().into(),
            restart_time: p.restart_time,
            unstable_restarts: p.unstable_restarts,
            uptime_ms: p.uptime_ms(now),
            created_at: p.created_at,
            exit_code: p.exit_code,
            exec_mode: p.spec.exec_mode.pm2_name().into(),
            instances: p.spec.instances,
            script: p.spec.exec_path.clone(),
            args: p.spec.args.clone(),
            interpreter: p.spec.interpreter_name().into(),
            cwd: p.spec.cwd.clone(),
            out_log: p.out_log.clone(),
            err_log: p.err_log.clone(),
            combined_log: p.combined_log.clone(),
            cpu: p.monit.cpu,
            memory: p.monit.memory,
            username: p.username.clone(),
            last_error: p.last_error.clone(),
            env,
            redacted,
        }
    }
}

/// The output of `pm2_describe_process`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Described {
    /// The processes described.
    pub processes: Vec<ProcessDetails>,
}

/// Whether an environment variable's name marks a secret.
pub fn is_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|marker| upper.contains(marker))
}

/// The environment with secret values replaced, and the names replaced.
fn redact(env: &BTreeMap<String, String>, reveal: bool) -> (BTreeMap<String, String>, Vec<String>) {
    if reveal {
        return (env.clone(), Vec::new());
    }
    let mut redacted = Vec::new();
    let env = env
        .iter()
        .map(|(name, value)| {
            if is_secret(name) {
                redacted.push(name.clone());
                (name.clone(), REDACTED.to_string())
            } else {
                (name.clone(), value.clone())
            }
        })
        .collect();
    (env, redacted)
}

/// The lines read from one log file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogTail {
    /// PM2 id.
    pub pm_id: u32,
    /// App name.
    pub name: String,
    /// out or err.
    #[serde(rename = "type")]
    pub kind: String,
    /// The file read.
    pub file: PathBuf,
    /// The last lines, oldest first.
    pub lines: Vec<String>,
}

/// The output of `pm2_tail_logs`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Tails {
    /// One entry per file read.
    pub logs: Vec<LogTail>,
}

/// One line that matched a search.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogMatch {
    /// PM2 id.
    pub pm_id: u32,
    /// App name.
    pub name: String,
    /// out or err.
    #[serde(rename = "type")]
    pub kind: String,
    /// The line.
    pub line: String,
}

/// The output of `pm2_search_logs`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Matches {
    /// The pattern searched.
    pub pattern: String,
    /// How many recent lines were searched.
    pub searched: usize,
    /// The matching lines, oldest first per file.
    pub matches: Vec<LogMatch>,
    /// True when more lines matched than were returned.
    pub truncated: bool,
}

/// The output of `pm2_dump`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Dumped {
    /// The dump file written.
    pub file: PathBuf,
    /// How many processes it holds.
    pub count: usize,
}

/// The output of `pm2_reload_logs`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogsReloaded {
    /// Always true on success.
    pub reloaded: bool,
}

/// The output of `pm2_kill_daemon`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Killed {
    /// False when nothing was running.
    pub killed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_recognised_by_name() {
        for secret in [
            "API_KEY",
            "github_token",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "DATABASE_URL",
        ] {
            assert!(is_secret(secret), "{secret}");
        }
        for plain in ["PATH", "NODE_ENV", "PORT", "HOME"] {
            assert!(!is_secret(plain), "{plain}");
        }
    }

    #[test]
    fn redaction_keeps_names_and_hides_values() {
        let env = BTreeMap::from([
            ("API_TOKEN".to_string(), "hunter2".to_string()),
            ("NODE_ENV".to_string(), "production".to_string()),
        ]);
        let (shown, redacted) = redact(&env, false);
        assert_eq!(shown["API_TOKEN"], REDACTED);
        assert_eq!(shown["NODE_ENV"], "production");
        assert_eq!(redacted, ["API_TOKEN"]);
        let (shown, redacted) = redact(&env, true);
        assert_eq!(shown["API_TOKEN"], "hunter2");
        assert!(redacted.is_empty());
    }
}
