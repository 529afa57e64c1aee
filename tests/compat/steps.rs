//! Waiting on a side: the scenarios' `wait` conditions and the `@` steps a `run` list may
//! hold between commands (`@wait online=1`, `@sleep 500`, `@touch file`, `@env K=V`,
//! `@unenv K`). Waits poll `jlist` with a deadline, never a bare sleep.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::scenario::Wait;
use crate::side::Side;

/// How long the reference may take to reach a wait condition.
pub const WAIT: Duration = Duration::from_secs(15);

/// How long we may take to reach a wait the reference reached in `reference`: three times
/// that and 3 s more (we are faster than PM2, and a broken wait should not cost 15 s),
/// never more than [`WAIT`].
pub fn our_deadline(reference: Option<Duration>) -> Duration {
    reference.map_or(WAIT, |r| (r * 3 + Duration::from_secs(3)).min(WAIT))
}

/// Between two `jlist` polls (PM2's CLI costs ~0.2 s of CPU each).
const POLL: Duration = Duration::from_millis(150);

/// A log file named by a scenario: `./name` in the work dir, else under `$PM2_HOME/logs`
/// (`$PM2_HOME/...` for anything else in the home).
pub fn log_path(side: &Side, work: &Path, name: &str) -> PathBuf {
    if let Some(rest) = name.strip_prefix("./") {
        work.join(rest)
    } else if let Some(rest) = name.strip_prefix("$PM2_HOME/") {
        side.home().join(rest)
    } else {
        side.home().join("logs").join(name)
    }
}

/// Waits until `wait` holds on `side`, at most `deadline` (after `sleep_ms`): whether it
/// did, and how long that took.
pub fn wait_for(side: &Side, work: &Path, wait: &Wait, deadline: Duration) -> (bool, Duration) {
    if let Some(ms) = wait.sleep_ms {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let start = Instant::now();
    let needs_list = wait.online.is_some()
        || wait.count.is_some()
        || wait.status.is_some()
        || wait.restarts.is_some();
    loop {
        let list = if needs_list { side.jlist() } else { Vec::new() };
        if holds(side, work, wait, &list) {
            return (true, start.elapsed());
        }
        if start.elapsed() > deadline {
            return (false, start.elapsed());
        }
        std::thread::sleep(POLL);
    }
}

/// True when every condition of `wait` holds for this `list`.
fn holds(side: &Side, work: &Path, wait: &Wait, list: &[Value]) -> bool {
    let status = |p: &Value| p["pm2_env"]["status"].as_str().unwrap_or("").to_string();
    if let Some(n) = wait.online {
        if list.len() < n || !list.iter().all(|p| status(p) == "online") {
            return false;
        }
    }
    if let Some(n) = wait.count {
        if list.len() != n {
            return false;
        }
    }
    if let Some(want) = &wait.status {
        if list.is_empty() || !list.iter().all(|p| &status(p) == want) {
            return false;
        }
    }
    if let Some(n) = wait.restarts {
        let restarts = |p: &Value| p["pm2_env"]["restart_time"].as_u64().unwrap_or(0);
        if list.is_empty() || !list.iter().all(|p| restarts(p) >= n) {
            return false;
        }
    }
    if let Some(name) = &wait.log {
        let text = std::fs::read_to_string(log_path(side, work, name)).unwrap_or_default();
        if !text.contains(wait.contains.as_deref().unwrap_or("")) {
            return false;
        }
    }
    true
}

/// What an `@` step does to the commands after it.
pub enum Step {
    /// A wait: reached or not (reported as a field), and how long it took.
    Waited(bool, Duration),
    /// Nothing to report.
    Done,
}

/// Runs one `@` step (`words` without the `@`); `env` is the environment of the commands
/// that follow, `deadline` that of a wait.
pub fn run_step(
    side: &Side,
    work: &Path,
    words: &[String],
    env: &mut Vec<(String, String)>,
    deadline: Duration,
) -> Step {
    let arg = |i: usize| words.get(i).cloned().unwrap_or_default();
    match words[0].as_str() {
        "sleep" => {
            let ms: u64 = arg(1).parse().expect("@sleep <ms>");
            std::thread::sleep(Duration::from_millis(ms));
            Step::Done
        }
        "wait" => {
            let (reached, took) = wait_for(side, work, &parse_wait(&words[1..]), deadline);
            Step::Waited(reached, took)
        }
        "touch" => {
            use std::io::Write;
            let path = work.join(arg(1));
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .expect("@touch");
            writeln!(file, "// touched").expect("@touch write");
            Step::Done
        }
        "env" => {
            let pair = arg(1);
            let (key, value) = pair.split_once('=').expect("@env K=V");
            env.retain(|(k, _)| k != key);
            env.push((key.to_string(), value.to_string()));
            Step::Done
        }
        "unenv" => {
            env.retain(|(k, _)| *k != arg(1));
            Step::Done
        }
        other => panic!("unknown step @{other}"),
    }
}

/// `online=2 restarts=1 log=a-out.log contains=text` -> a [`Wait`].
fn parse_wait(words: &[String]) -> Wait {
    let mut wait = Wait::default();
    for word in words {
        let (key, value) = word.split_once('=').expect("@wait key=value");
        let number = || value.parse().expect("@wait number");
        match key {
            "online" => wait.online = Some(number() as usize),
            "count" => wait.count = Some(number() as usize),
            "restarts" => wait.restarts = Some(number()),
            "sleep_ms" => wait.sleep_ms = Some(number()),
            "status" => wait.status = Some(value.to_string()),
            "log" => wait.log = Some(value.to_string()),
            "contains" => wait.contains = Some(value.to_string()),
            other => panic!("unknown @wait key {other}"),
        }
    }
    wait
}
