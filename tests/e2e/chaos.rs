//! Chaos, bounded: a fixed number of rounds of faults and commands picked by a seeded
//! generator (`CHAOS_SEED`, `CHAOS_ROUNDS` to run it longer), each followed by the
//! invariants: every app that should run runs, each instance exactly once, under the ids the
//! list shows; nothing the model does not expect runs (no orphan, no double start); no zombie
//! under the daemon; the state file parses; the daemon answers.

use std::collections::BTreeMap;
use std::io::Write;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::common::http::free_port;
use crate::common::{alive, processes_running, wait_until, Pm2};
use pm2_protocol::procfs::Stat;

/// xorshift64: the same seed gives the same rounds, so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What should run: each app's command-line marker and instance count.
struct Model {
    apps: BTreeMap<&'static str, (String, usize)>,
    /// Markers of apps deleted: none of their processes may run.
    gone: Vec<String>,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn start(pm2: &Pm2, name: &str, marker: &str, instances: usize) {
    let n = instances.to_string();
    pm2.run(&["start", "sleep", "--name", name, "-i", &n, "--", marker])
        .ok();
}

#[test]
fn random_faults_leave_every_app_running_once_and_nothing_else() {
    let seed = env_number("CHAOS_SEED", 0x5eed_cafe);
    let rounds = env_number("CHAOS_ROUNDS", 30);
    let mut dice = Dice(seed.max(1));
    let pm2 = Pm2::new();
    let base = free_port();
    let mut model = Model {
        apps: BTreeMap::new(),
        gone: Vec::new(),
    };
    for (k, (name, instances)) in [("a", 1), ("b", 2)].into_iter().enumerate() {
        let marker = format!("3600.{base}{k}");
        start(&pm2, name, &marker, instances);
        model.apps.insert(name, (marker, instances));
    }
    check(&pm2, &model, "start");
    let mut generation = 10;
    for round in 0..rounds {
        let names: Vec<&'static str> = model.apps.keys().copied().collect();
        let name = names[dice.below(names.len() as u64) as usize];
        let what = match dice.below(7) {
            0 => {
                let daemon = pm2.daemon_pid().expect("daemon pid");
                kill(Pid::from_raw(daemon), Signal::SIGKILL).expect("SIGKILL the daemon");
                wait_until("the daemon to die", || !alive(daemon));
                // The next command starts a daemon, which recovers (and says so).
                pm2.run(&["ping"]).ok();
                "SIGKILL the daemon".to_string()
            }
            1 => {
                let pids = processes_running(&model.apps[name].0);
                let victim = pids[dice.below(pids.len() as u64) as usize];
                let _ = kill(Pid::from_raw(victim), Signal::SIGKILL);
                format!("SIGKILL a process of {name}")
            }
            2 => {
                pm2.run(&["restart", name]).ok();
                format!("restart {name}")
            }
            3 => {
                let to = 1 + dice.below(3) as usize;
                pm2.run(&["scale", name, &to.to_string()]).ok();
                model.apps.get_mut(name).expect("app").1 = to;
                format!("scale {name} {to}")
            }
            4 => {
                pm2.run(&["delete", name]).ok();
                let (old, instances) = model.apps.remove(name).expect("app");
                model.gone.push(old);
                generation += 1;
                let marker = format!("3600.{base}{generation}");
                start(&pm2, name, &marker, instances);
                model.apps.insert(name, (marker, instances));
                format!("delete and start {name} again")
            }
            5 => {
                let mut socket = crate::common::socket::connect(&pm2);
                let _ = socket.write_all(&[0, 0, 0, 9, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5]);
                "a malformed frame".to_string()
            }
            _ => {
                pm2.run(&["update"]).ok();
                "pm2 update".to_string()
            }
        };
        let after = format!("round {round} (seed {seed:#x}): {what}");
        println!("chaos {after}");
        check(&pm2, &model, &after);
    }
}

/// The invariants, waited for with a deadline (a restart takes a moment).
fn check(pm2: &Pm2, model: &Model, after: &str) {
    let mut last = String::new();
    let mut holds = || {
        let list = pm2.jlist();
        let mut problems = Vec::new();
        for (name, (marker, instances)) in &model.apps {
            let rows: Vec<&Value> = list.iter().filter(|p| p["name"] == *name).collect();
            let online: Vec<i32> = rows
                .iter()
                .filter(|p| p["pm2_env"]["status"] == "online")
                .filter_map(|p| p["pid"].as_i64().map(|pid| pid as i32))
                .collect();
            let mut running = processes_running(marker);
            let mut listed = online.clone();
            running.sort_unstable();
            listed.sort_unstable();
            if rows.len() != *instances || online.len() != *instances || running != listed {
                problems.push(format!(
                    "{name}: {} rows, online {listed:?}, running {running:?}, want {instances}",
                    rows.len()
                ));
            }
        }
        for marker in &model.gone {
            let running = processes_running(marker);
            if !running.is_empty() {
                problems.push(format!("deleted {marker} still runs: {running:?}"));
            }
        }
        if list.len() != model.apps.values().map(|(_, n)| n).sum::<usize>() {
            problems.push(format!("{} rows in all", list.len()));
        }
        let state = pm2.home().join("state.pm2");
        if state.exists() && pm2_protocol::dump::Dump::read(&state).is_err() {
            problems.push("state.pm2 does not parse".to_string());
        }
        if let Some(daemon) = pm2.daemon_pid() {
            let zombies = zombies_of(daemon);
            if !zombies.is_empty() {
                problems.push(format!("zombies under the daemon: {zombies:?}"));
            }
        }
        last = problems.join("; ");
        problems.is_empty()
    };
    let deadline = std::time::Instant::now() + crate::common::DEADLINE;
    while !holds() {
        assert!(
            std::time::Instant::now() < deadline,
            "after {after}: {last}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Children of `parent` that exited and were not reaped.
fn zombies_of(parent: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&pid| {
                    Stat::read(pid as u32).is_some_and(|s| s.ppid as i32 == parent && s.is_zombie())
                })
                .collect()
        })
        .unwrap_or_default()
}
