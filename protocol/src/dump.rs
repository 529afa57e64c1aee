//! The saved process list (`dump.pm2`): what `pm2 save` writes and `pm2 resurrect` reads,
//! and what the daemon keeps continuously to recover from its own crash.
//!
//! Our format is JSON: `{"format": "pm2-rs/1", "apps": [{"ids": [0, 1], "spec": {...}}]}`.
//! A dump written by PM2 itself (a JSON array of `pm2_env` objects, one per process) is read
//! too, so users can migrate. Writes are atomic (temp file, fsync, rename) and keep the
//! previous file as `<file>.bak`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::procfs::Stat;
use crate::{AppSpec, ExecMode, ProcessInfo, Status};

/// The tag of our format.
pub const FORMAT: &str = "pm2-rs/1";

/// One app as saved: its spec and the ids of its processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedApp {
    /// The ids its processes had (restored when free).
    pub ids: Vec<u32>,
    /// How to run it.
    pub spec: AppSpec,
    /// Pids and start times of its processes when saved (for crash recovery).
    #[serde(default)]
    pub running: Vec<RunningProcess>,
    /// The ids (of `ids`) that were stopped when saved: they come back registered but not
    /// started, as PM2's resurrect does with a saved `status: "stopped"`. Absent from dumps
    /// written before it was kept: every process is started, as then. (Always written:
    /// the wire's bincode cannot skip a field.)
    #[serde(default)]
    pub stopped: Vec<u32>,
}

impl SavedApp {
    /// Whether the process saved at `index` of `ids` was stopped.
    pub fn was_stopped(&self, index: usize) -> bool {
        self.ids
            .get(index)
            .is_some_and(|id| self.stopped.contains(id))
    }
}

/// A process that was running when the state was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningProcess {
    /// Its pid.
    pub pid: u32,
    /// Its start time in clock ticks since boot (`/proc/<pid>/stat` field 22), to tell it
    /// from a later process that reused the pid.
    pub start_ticks: u64,
}

/// A saved process list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    /// Always [`FORMAT`].
    pub format: String,
    /// Apps in id order.
    pub apps: Vec<SavedApp>,
}

/// Why a dump could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The content is neither our format nor PM2's.
    #[error("{path} is not a process list: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Dump {
    /// The dump of the processes listed (grouped by app, in id order).
    pub fn from_processes(procs: &[ProcessInfo]) -> Dump {
        let mut by_name: BTreeMap<String, SavedApp> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut sorted: Vec<&ProcessInfo> = procs.iter().collect();
        sorted.sort_by_key(|p| p.pm_id);
        for p in sorted {
            let entry = by_name.entry(p.spec.name.clone()).or_insert_with(|| {
                order.push(p.spec.name.clone());
                SavedApp {
                    ids: Vec::new(),
                    spec: p.spec.clone(),
                    running: Vec::new(),
                    stopped: Vec::new(),
                }
            });
            entry.ids.push(p.pm_id);
            if p.status == Status::Stopped {
                entry.stopped.push(p.pm_id);
            }
            if let Some(pid) = p.pid {
                if let Some(Stat { start_ticks, .. }) = Stat::read(pid) {
                    entry.running.push(RunningProcess { pid, start_ticks });
                }
            }
        }
        let apps = order
            .into_iter()
            .filter_map(|name| by_name.remove(&name))
            .map(|mut app| {
                app.spec.instances = app.ids.len() as u32;
                app
            })
            .collect();
        Dump {
            format: FORMAT.into(),
            apps,
        }
    }

    /// Writes the dump atomically, keeping the previous file as `<path>.bak`.
    pub fn write(&self, path: &Path) -> Result<(), DumpError> {
        let io = |source| DumpError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let temp = path.with_extension("pm2.tmp");
        {
            let mut file = std::fs::File::create(&temp).map_err(io)?;
            file.write_all(&text).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        if path.exists() {
            std::fs::rename(path, backup_of(path)).map_err(io)?;
        }
        std::fs::rename(&temp, path).map_err(io)?;
        // The renames are durable only once the folder is: a power loss right after must
        // leave the new file or the old one, never neither.
        if let Some(folder) = path.parent() {
            std::fs::File::open(folder)
                .and_then(|dir| dir.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }

    /// Reads the dump at `path`, or, when it is missing, torn or not a dump (a power loss
    /// mid-write, a full disk), the previous good one kept beside it ([`backup_of`]).
    /// Answers which file was read.
    pub fn read_or_backup(path: &Path) -> Result<(Dump, PathBuf), DumpError> {
        match Dump::read(path) {
            Ok(dump) => Ok((dump, path.to_path_buf())),
            Err(error) => {
                let backup = backup_of(path);
                Dump::read(&backup)
                    .map(|dump| (dump, backup))
                    .map_err(|_| error)
            }
        }
    }

    /// Reads a dump in our format or PM2's.
    pub fn read(path: &Path) -> Result<Dump, DumpError> {
        let text = std::fs::read(path).map_err(|source| DumpError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message: String| DumpError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
        if value.is_array() {
            return from_pm2(&value).map_err(invalid);
        }
        let dump: Dump = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        if dump.format != FORMAT {
            return Err(invalid(format!("unknown format {:?}", dump.format)));
        }
        Ok(dump)
    }
}

/// `<path>.bak`.
pub fn backup_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".bak");
    PathBuf::from(name)
}

/// Reads PM2's dump: one `pm2_env` object per process.
fn from_pm2(value: &serde_json::Value) -> Result<Dump, String> {
    let mut apps: Vec<SavedApp> = Vec::new();
    for (index, env) in value.as_array().into_iter().flatten().enumerate() {
        let text = |key: &str| env[key].as_str().map(str::to_string);
        let name = text("name").ok_or_else(|| format!("entry {index} has no name"))?;
        let exec_path = text("pm_exec_path").ok_or_else(|| format!("{name}: no pm_exec_path"))?;
        let cwd = text("pm_cwd").unwrap_or_else(|| "/".into());
        let pm_id = env["pm_id"].as_u64().unwrap_or(index as u64) as u32;
        // PM2's resurrect registers a process saved as stopped without starting it.
        let stopped = text("status").as_deref() == Some("stopped");
        if let Some(app) = apps.iter_mut().find(|a| a.spec.name == name) {
            app.ids.push(pm_id);
            if stopped {
                app.stopped.push(pm_id);
            }
            app.spec.instances += 1;
            // PM2 gives several instances their own files unless merge_logs says otherwise.
            if env["merge_logs"].as_bool().is_none() {
                app.spec.merge_logs = false;
            }
            continue;
        }
        let pid_file = text("pm_pid_path").unwrap_or_else(|| format!("/tmp/{name}.pid"));
        let mut spec = AppSpec::new(&name, exec_path.into(), cwd.into(), pid_file.into());
        spec.namespace = text("namespace").unwrap_or_else(|| "default".into());
        spec.interpreter = text("exec_interpreter").filter(|i| i != "none");
        spec.args = strings(&env["args"]);
        spec.interpreter_args = strings(&env["node_args"]);
        spec.exec_mode = if text("exec_mode").as_deref() == Some("cluster_mode") {
            ExecMode::Cluster
        } else {
            ExecMode::Fork
        };
        if let Some(vars) = env["env"].as_object() {
            spec.env = vars
                .iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k.clone(), s.clone())),
                    serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                    serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect();
        }
        if let Some(b) = env["autorestart"].as_bool() {
            spec.autorestart = b;
        }
        if let Some(n) = env["max_restarts"].as_u64() {
            spec.max_restarts = n as u32;
        }
        if let Some(n) = env["min_uptime"].as_u64() {
            spec.min_uptime_ms = n;
        }
        if let Some(n) = env["kill_timeout"].as_u64() {
            spec.kill_timeout_ms = n;
        }
        if let Some(n) = env["restart_delay"].as_u64() {
            spec.restart_delay_ms = n;
        }
        // PM2 saves each process's own paths (`api-out-0.log`, `api-0.pid`); the spec holds
        // the app's, and the id suffix is added again per process.
        spec.out_file = text("pm_out_log_path").map(|p| without_id(&p, "log", pm_id).into());
        spec.error_file = text("pm_err_log_path").map(|p| without_id(&p, "log", pm_id).into());
        spec.pid_file = without_id(&spec.pid_file.to_string_lossy(), "pid", pm_id).into();
        spec.merge_logs = env["merge_logs"].as_bool().unwrap_or(true);
        apps.push(SavedApp {
            ids: vec![pm_id],
            spec,
            running: Vec::new(),
            stopped: if stopped { vec![pm_id] } else { Vec::new() },
        });
    }
    Ok(Dump {
        format: FORMAT.into(),
        apps,
    })
}

/// `x-3.log` → `x.log` for process 3: PM2's per-process suffix removed, nothing else.
fn without_id(path: &str, extension: &str, pm_id: u32) -> String {
    match path.strip_suffix(&format!("-{pm_id}.{extension}")) {
        Some(base) => format!("{base}.{extension}"),
        None => path.to_string(),
    }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        serde_json::Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> AppSpec {
        AppSpec::new(
            name,
            "/bin/sleep".into(),
            "/tmp".into(),
            "/tmp/x.pid".into(),
        )
    }

    #[test]
    fn write_then_read_round_trips_and_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.pm2");
        let first = Dump {
            format: FORMAT.into(),
            apps: vec![SavedApp {
                ids: vec![0, 1],
                spec: spec("a"),
                running: vec![],
                stopped: vec![1],
            }],
        };
        first.write(&path).unwrap();
        let mut second = first.clone();
        second.apps[0].spec.name = "b".into();
        second.write(&path).unwrap();
        assert_eq!(Dump::read(&path).unwrap(), second);
        assert_eq!(Dump::read(&backup_of(&path)).unwrap(), first);
        assert!(!dir.path().join("dump.pm2.tmp").exists());
    }

    #[test]
    fn a_truncated_dump_is_invalid_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.pm2");
        std::fs::write(&path, b"{\"format\": \"pm2-rs/1\", \"apps\": [").unwrap();
        let err = Dump::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("dump.pm2") && err.contains("not a process list"),
            "{err}"
        );
    }

    #[test]
    fn a_pm2_dump_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.pm2");
        let pm2 = serde_json::json!([
            {"name": "api", "pm_id": 0, "pm_exec_path": "/srv/api.js", "pm_cwd": "/srv",
             "exec_interpreter": "node", "exec_mode": "cluster_mode", "namespace": "web",
             "args": ["--port", "3000"], "env": {"NODE_ENV": "production", "N": 3},
             "autorestart": true, "max_restarts": 5, "kill_timeout": 3000},
            {"name": "api", "pm_id": 1, "pm_exec_path": "/srv/api.js", "pm_cwd": "/srv",
             "exec_interpreter": "node", "exec_mode": "cluster_mode"},
            {"name": "worker", "pm_id": 2, "pm_exec_path": "/srv/w.sh", "pm_cwd": "/srv",
             "exec_interpreter": "none"}
        ]);
        std::fs::write(&path, pm2.to_string()).unwrap();
        let dump = Dump::read(&path).unwrap();
        assert_eq!(dump.apps.len(), 2);
        let api = &dump.apps[0];
        assert_eq!(api.ids, vec![0, 1]);
        assert_eq!(api.spec.instances, 2);
        assert_eq!(api.spec.exec_mode, ExecMode::Cluster);
        assert_eq!(api.spec.namespace, "web");
        assert_eq!(api.spec.args, vec!["--port", "3000"]);
        assert_eq!(api.spec.env.get("N").map(String::as_str), Some("3"));
        assert_eq!(api.spec.max_restarts, 5);
        assert_eq!(dump.apps[1].spec.interpreter, None);
    }

    #[test]
    fn stopped_processes_are_saved_as_stopped_and_old_dumps_start_everything() {
        let online = |pm_id, name| ProcessInfo {
            status: Status::Online,
            ..ProcessInfo::new(pm_id, spec(name))
        };
        let list = [
            online(0, "a"),
            ProcessInfo::new(1, spec("a")),
            ProcessInfo::new(2, spec("b")),
            online(3, "c"),
        ];
        let dump = Dump::from_processes(&list);
        let stopped: Vec<(&str, Vec<u32>)> = dump
            .apps
            .iter()
            .map(|a| (a.spec.name.as_str(), a.stopped.clone()))
            .collect();
        assert_eq!(stopped, [("a", vec![1]), ("b", vec![2]), ("c", vec![])]);
        assert!(!dump.apps[0].was_stopped(0) && dump.apps[0].was_stopped(1));

        // Written and read back, and carried to the daemon (`pm2 resurrect`) on the wire.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.pm2");
        dump.write(&path).unwrap();
        assert_eq!(Dump::read(&path).unwrap(), dump);
        let request = crate::Request::Restore {
            apps: dump.apps.clone(),
        };
        let wire = crate::frame::encode_body(&request).unwrap();
        match crate::frame::decode_body::<crate::Request>(&wire).unwrap() {
            crate::Request::Restore { apps } => assert_eq!(apps, dump.apps),
            other => panic!("{other:?}"),
        }
        let text: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();

        // A dump written before `stopped` was kept: nothing stopped.
        let mut old = text.clone();
        for app in old["apps"].as_array_mut().unwrap() {
            app.as_object_mut().unwrap().remove("stopped");
        }
        std::fs::write(&path, old.to_string()).unwrap();
        let read = Dump::read(&path).unwrap();
        assert!(read.apps.iter().all(|a| a.stopped.is_empty()));
    }

    #[test]
    fn a_pm2_dump_keeps_its_stopped_processes_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.pm2");
        // PM2 deletes pm_id when it saves: the ids are the entries' order.
        let pm2 = serde_json::json!([
            {"name": "a", "pm_exec_path": "/srv/a.js", "status": "online"},
            {"name": "b", "pm_exec_path": "/srv/b.js", "status": "stopped"},
            {"name": "b", "pm_exec_path": "/srv/b.js", "status": "errored"}
        ]);
        std::fs::write(&path, pm2.to_string()).unwrap();
        let dump = Dump::read(&path).unwrap();
        assert_eq!(dump.apps[0].stopped, Vec::<u32>::new());
        assert_eq!(dump.apps[1].ids, vec![1, 2]);
        assert_eq!(dump.apps[1].stopped, vec![1]);
    }

    #[test]
    fn start_ticks_of_this_process() {
        let start_ticks = |pid| Stat::read(pid).map(|stat| stat.start_ticks);
        assert!(start_ticks(std::process::id()).is_some());
        assert_eq!(start_ticks(u32::MAX), None);
    }
}

/// One running process handed from a daemon to its successor (`pm2 update`): the new daemon
/// adopts it (same pid) and reads its output from the pipes it inherits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedProcess {
    /// Its id.
    pub pm_id: u32,
    /// Its app.
    pub name: String,
    /// Its instance number.
    pub instance: u32,
    /// Its pid (unchanged across the hand-over).
    pub pid: u32,
    /// The inherited read end of its stdout pipe.
    pub out_fd: i32,
    /// The inherited read end of its stderr pipe.
    pub err_fd: i32,
    /// The inherited write end of its stdin pipe (`pm2 send`); absent from daemons that
    /// gave apps no stdin pipe.
    #[serde(default)]
    pub in_fd: Option<i32>,
    /// Restarts so far.
    pub restart_time: u32,
    /// Unstable restarts so far.
    pub unstable_restarts: u32,
    /// Creation, ms since the epoch.
    pub created_at: i64,
    /// Last start, ms since the epoch.
    pub started_at: i64,
}

/// Everything a daemon hands its successor across `exec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    /// The apps (as in a dump), to rebuild the tree.
    pub apps: Vec<SavedApp>,
    /// The running processes to adopt.
    pub processes: Vec<HandedProcess>,
    /// Listening sockets of cluster apps: app name, then (port, inherited fd).
    pub sockets: Vec<(String, Vec<(u16, i32)>)>,
    /// UDP sockets of cluster apps (`udp_port`): app name, then (port, inherited fd).
    #[serde(default)]
    pub udp_sockets: Vec<(String, Vec<(u16, i32)>)>,
}
