//! Running one scenario on one side and recording, normalised, everything it may compare:
//! exit codes, outputs, waits, `jlist`, `prettylist`, the files under `$PM2_HOME`, the dump.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::fixtures;
use crate::normalize::Normalizer;
use crate::scenario::{split, Scenario};
use crate::side::{parse_jlist, Kind, Output, Side};
use crate::steps::{log_path, our_deadline, run_step, wait_for, Step, WAIT};

/// What one side did in one scenario, normalised.
#[derive(Debug, Default)]
pub struct Observation {
    /// Each pm2 command line with its output, in order (`@` steps left out).
    pub commands: Vec<(String, Output)>,
    /// Each wait (`@wait` steps, then the scenario's `wait`): reached before the deadline?
    pub waits: Vec<bool>,
    /// How long each wait took.
    pub wait_times: Vec<Duration>,
    /// `pm2 jlist` after the wait, in pm_id order.
    pub jlist: Vec<Value>,
    /// `pm2 prettylist` after the wait (only when grepped).
    pub prettylist: String,
    /// File names under `$PM2_HOME/logs` and `$PM2_HOME/pids` (`logs/a-out.log`).
    pub log_files: Vec<String>,
    /// The text of each log file a `log_contains` check names.
    pub logs: BTreeMap<String, String>,
    /// `missing`, `empty` or `not empty` for each `log_empty` file.
    pub emptiness: Vec<String>,
    /// `$PM2_HOME/dump.pm2`, parsed (empty when missing or not an array).
    pub dump: Vec<Value>,
}

/// Runs `scenario` on `side` in `work` (reset to the fixtures first) and observes it; then
/// `cleanup` and `delete all`, leaving the daemon up for the next scenario. `reference`:
/// the reference's observation, whose wait times bound ours ([`our_deadline`]).
pub fn observe(
    side: &Side,
    work: &Path,
    scenario: &Scenario,
    reference: Option<&Observation>,
) -> Observation {
    let deadline = |i: usize| match reference {
        Some(r) => our_deadline(Some(r.wait_times.get(i).copied().unwrap_or(WAIT))),
        None => WAIT,
    };
    let ours = side.kind == Kind::Ours;
    let mut files = vec![&scenario.files];
    if ours {
        files.push(&scenario.files_ours);
    }
    fixtures::reset(work, &files);
    let mut env: Vec<(String, String)> = scenario
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut raw = Vec::new();
    let mut waits = Vec::new();
    let mut wait_times = Vec::new();
    for line in scenario.lines(ours) {
        let line = expand(line, side, work);
        let words = split(&line);
        if let Some(step) = words[0].strip_prefix('@') {
            let mut words = words.clone();
            words[0] = step.to_string();
            let step = run_step(side, work, &words, &mut env, deadline(waits.len()));
            if let Step::Waited(reached, took) = step {
                waits.push(reached);
                wait_times.push(took);
            }
        } else {
            let t = std::time::Instant::now();
            let out = side.run(&words, &env);
            if std::env::var_os("COMPAT_VERBOSE").is_some() {
                eprintln!(
                    "  {} `{line}` -> {} in {:.1}s\n{}{}",
                    side.kind.label(),
                    out.code,
                    t.elapsed().as_secs_f64(),
                    out.stdout,
                    out.stderr
                );
            }
            raw.push((line.clone(), out));
        }
    }
    if let Some(wait) = &scenario.wait {
        let (reached, took) = wait_for(side, work, wait, deadline(waits.len()));
        waits.push(reached);
        wait_times.push(took);
    }
    let mut jlist = side.jlist();
    jlist.sort_by_key(|p| p["pm_id"].as_u64());
    let pids: Vec<i64> = jlist.iter().filter_map(|p| p["pid"].as_i64()).collect();
    let norm = Normalizer::new(side.home(), &pids);
    let prettylist = if scenario.prettylist_grep.is_empty() {
        String::new()
    } else {
        norm.text(&side.run(&["prettylist".to_string()], &[]).stdout)
    };
    let logs = scenario
        .log_contains
        .iter()
        .map(|check| {
            let read = || {
                let text = std::fs::read_to_string(log_path(side, work, &check.file));
                norm.text(&text.unwrap_or_default())
            };
            // An app writes its lines when it gets to them: where the reference's log has
            // the line, give ours as long to write it as a wait gets.
            let expected = reference.and_then(|r| r.logs.get(&check.file));
            let regex = regex::Regex::new(&check.re).expect("regex checked at load");
            let found = |text: &str| text.lines().any(|line| regex.is_match(line));
            let mut text = read();
            if expected.is_some_and(|t| found(t)) {
                let until = std::time::Instant::now() + our_deadline(Some(WAIT));
                while !found(&text) && std::time::Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(50));
                    text = read();
                }
            }
            (check.file.clone(), text)
        })
        .collect();
    let emptiness = scenario
        .log_empty
        .iter()
        .map(|name| match std::fs::metadata(log_path(side, work, name)) {
            Err(_) => "missing".to_string(),
            Ok(m) if m.len() == 0 => "empty".to_string(),
            Ok(_) => "not empty".to_string(),
        })
        .collect();
    let dump = std::fs::read_to_string(side.home().join("dump.pm2")).unwrap_or_default();
    let observation = Observation {
        commands: raw
            .into_iter()
            .map(|(line, out)| {
                let out = Output {
                    code: out.code,
                    stdout: norm.text(&out.stdout),
                    stderr: norm.text(&out.stderr),
                };
                (norm.text(&line), out)
            })
            .collect(),
        waits,
        wait_times,
        jlist: jlist.iter().map(|p| norm.json(p)).collect(),
        prettylist,
        log_files: home_files(side.home()),
        logs,
        emptiness,
        dump: parse_jlist(&dump).iter().map(|p| norm.json(p)).collect(),
    };
    for line in &scenario.cleanup {
        side.run(&split(&expand(line, side, work)), &env);
    }
    // Nothing to delete when the list was empty (PM2's CLI costs ~0.4 s a command).
    if !jlist.is_empty() || !scenario.cleanup.is_empty() {
        side.run(&["delete".to_string(), "all".to_string()], &[]);
    }
    forget_files(side.home());
    observation
}

/// Copies the reference's `dump.pm2` into our home, its home path made ours.
pub fn copy_dump(reference: &Side, ours: &Side) {
    let text = std::fs::read_to_string(reference.home().join("dump.pm2")).unwrap_or_default();
    let text = text.replace(
        &*reference.home().to_string_lossy(),
        &ours.home().to_string_lossy(),
    );
    std::fs::write(ours.home().join("dump.pm2"), text).expect("copy dump.pm2");
}

/// Runs the reference-only `ref_dump` commands (then its dump is copied to our side).
pub fn prepare_ref_dump(reference: &Side, work: &Path, scenario: &Scenario) {
    fixtures::reset(work, &[&scenario.files]);
    for line in &scenario.ref_dump {
        reference.run(&split(&expand(line, reference, work)), &[]);
    }
}

/// `$WORK` and `$PM2_HOME` in a command line, for this side.
fn expand(line: &str, side: &Side, work: &Path) -> String {
    line.replace("$WORK", &work.to_string_lossy())
        .replace("$PM2_HOME", &side.home().to_string_lossy())
}

/// Removes the dump and the files under `logs` and `pids`, so that the next scenario sees
/// only its own (no app holds them after `delete all`).
fn forget_files(home: &Path) {
    for name in ["dump.pm2", "dump.pm2.bak"] {
        let _ = std::fs::remove_file(home.join(name));
    }
    for folder in ["logs", "pids"] {
        for entry in std::fs::read_dir(home.join(folder))
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `logs/<name>` and `pids/<name>` for every file in those folders of `home`, sorted.
fn home_files(home: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for folder in ["logs", "pids"] {
        for entry in std::fs::read_dir(home.join(folder))
            .into_iter()
            .flatten()
            .flatten()
        {
            names.push(format!("{folder}/{}", entry.file_name().to_string_lossy()));
        }
    }
    names.sort();
    names
}
