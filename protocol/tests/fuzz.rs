//! Bounded fuzzing of what comes from outside: frame bodies for every request type, and
//! ecosystem files of each format mutated at random. No input may panic; a bad ecosystem
//! file is one error naming `file:line`. The generator is seeded (`FUZZ_SEED`) and the
//! counts can be raised (`FUZZ_FRAMES`, `FUZZ_FILES`; the benchmark runs 10^6 frames).

use std::collections::BTreeMap;

use pm2_protocol::ecosystem::{load, EcosystemError};
use pm2_protocol::frame::{decode_body, encode_body};
use pm2_protocol::{
    Action, AppSpec, ClientFrame, Hello, LogStream, Request, ScaleTo, Target, WatchChange,
};

/// xorshift64: the same seed gives the same inputs, so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    env_count("FUZZ_SEED", 0x00f0_22ed) as u64 | 1
}

/// One valid frame of every request type (and the hello), to mutate.
fn valid_frames() -> Vec<Vec<u8>> {
    let spec = AppSpec::new("app", "/bin/true".into(), "/".into(), "/tmp/app.pid".into());
    let targets = vec![Target::Name("app".into()), Target::Id(3), Target::All];
    let requests = vec![
        Request::Ping,
        Request::Start {
            apps: vec![spec],
            force: true,
            existing: Some(Action::Restart),
        },
        Request::Act {
            action: Action::Reload,
            targets: targets.clone(),
            update_env: Some(BTreeMap::from([("A".into(), "1".into())])),
            attributes: None,
        },
        Request::Scale {
            name: "app".into(),
            to: ScaleTo::By(-1),
        },
        Request::Signal {
            signal: "SIGUSR2".into(),
            targets: targets.clone(),
        },
        Request::SendLine {
            target: Target::Regex("^a".into()),
            line: "hello".into(),
        },
        Request::List,
        Request::ListBrief,
        Request::Describe {
            targets: targets.clone(),
            allow_empty: true,
        },
        Request::Kill,
        Request::Subscribe {
            targets: targets.clone(),
        },
        Request::SubscribeTable,
        Request::Flush {
            targets: targets.clone(),
        },
        Request::ReloadLogs,
        Request::RecentLogs {
            targets,
            stream: Some(LogStream::Err),
            lines: 20,
        },
        Request::Vitals,
        Request::Restore { apps: Vec::new() },
        Request::Update,
        Request::SetConf {
            key: "pm2-logrotate:max_size".into(),
            value: "10M".into(),
        },
        Request::GetConf { key: None },
        Request::UnsetConf { key: "all".into() },
        Request::Watch {
            targets: vec![Target::All],
            change: WatchChange::Toggle,
        },
    ];
    let mut frames: Vec<Vec<u8>> = requests
        .into_iter()
        .map(|r| encode_body(&ClientFrame::Request(r)).expect("encode"))
        .collect();
    frames.push(encode_body(&ClientFrame::Hello(Hello::current())).expect("encode"));
    frames
}

/// A random change of `body`: bytes flipped, cut, repeated, or a length-like run of 0xff.
fn mutate(dice: &mut Dice, body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    for _ in 0..=dice.below(4) {
        match dice.below(5) {
            0 if !out.is_empty() => {
                let at = dice.below(out.len());
                out[at] = dice.next() as u8;
            }
            1 => out.truncate(dice.below(out.len() + 1)),
            2 if !out.is_empty() => {
                let at = dice.below(out.len());
                let run = out[at..].to_vec();
                out.extend_from_slice(&run);
            }
            3 => {
                let at = dice.below(out.len() + 1);
                out.splice(at..at, [0xfc, 0xff, 0xff, 0xff, 0xff].iter().copied());
            }
            _ => out.push(dice.next() as u8),
        }
    }
    out
}

#[test]
fn no_frame_body_panics_the_decoder() {
    let frames = valid_frames();
    for frame in &frames {
        let decoded: ClientFrame = decode_body(frame).expect("a valid frame decodes");
        assert!(matches!(
            decoded,
            ClientFrame::Request(_) | ClientFrame::Hello(_)
        ));
    }
    let mut dice = Dice(seed());
    let count = env_count("FUZZ_FRAMES", 200_000);
    let mut decoded = 0;
    for i in 0..count {
        let body = if i % 4 == 0 {
            (0..dice.below(64)).map(|_| dice.next() as u8).collect()
        } else {
            let pick = dice.below(frames.len());
            mutate(&mut dice, &frames[pick])
        };
        // Ok or a typed error, never a panic (the test harness would report it).
        if decode_body::<ClientFrame>(&body).is_ok() {
            decoded += 1;
        }
    }
    assert!(decoded < count, "some inputs must be refused");
}

const TOML: &str = r#"[[apps]]
name = "api"
script = "server.js"
instances = 2
max_restarts = 10
min_uptime = "5s"
watch = ["src"]
cron_restart = "0 3 * * *"

[apps.env]
PORT = "3000"

[[apps]]
name = "worker"
script = "worker.py"
interpreter = "python3"
args = ["--queue", "jobs"]
"#;

const YAML: &str = "apps:\n  - name: api\n    script: server.js\n    instances: 2\n    env:\n      PORT: 3000\n  - name: worker\n    script: worker.py\n    args: [\"--queue\", \"jobs\"]\n";

const JSON: &str = "{\"apps\": [{\"name\": \"api\", \"script\": \"server.js\", \"instances\": 2,\n \"env\": {\"PORT\": 3000}},\n {\"name\": \"worker\", \"script\": \"worker.py\"}]}\n";

/// A random edit of `text`: characters deleted, repeated or replaced by syntax.
fn mutate_text(dice: &mut Dice, text: &str) -> String {
    const PIECES: [&str; 12] = [
        "\"", "[", "]", "{", "}", ":", "=", "\n", " ", "-", "[[apps]]", "\u{0}",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=dice.below(3) {
        let at = dice.below(chars.len() + 1);
        match dice.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let piece = PIECES[dice.below(PIECES.len())];
                for (k, c) in piece.chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            _ => {
                let end = (at + dice.below(20)).min(chars.len());
                let run: Vec<char> = chars[at.min(end)..end].to_vec();
                chars.splice(at..at, run);
            }
        }
    }
    chars.into_iter().collect()
}

/// Loads `count` mutants of `text` as `name`; every error names the file.
fn fuzz_file(name: &str, text: &str, count: usize, dice: &mut Dice) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    let mut refused = 0;
    for _ in 0..count {
        std::fs::write(&path, mutate_text(dice, text)).expect("write");
        match load(&path) {
            Ok(_) => {}
            Err(e @ (EcosystemError::Invalid { .. } | EcosystemError::Malformed { .. })) => {
                let line = e.to_string();
                let named = format!("{}:", path.display());
                assert!(line.contains(&named), "{line}");
                assert!(
                    !line.trim().contains('\n') || name.ends_with(".json"),
                    "{line}"
                );
                refused += 1;
            }
            Err(other) => panic!("{name}: an error with no line: {other}"),
        }
    }
    refused
}

#[test]
fn malformed_toml_and_yaml_files_never_panic_and_name_their_line() {
    let mut dice = Dice(seed());
    let count = env_count("FUZZ_FILES", 1500);
    let toml = fuzz_file("ecosystem.toml", TOML, count, &mut dice);
    let yaml = fuzz_file("ecosystem.yaml", YAML, count, &mut dice);
    assert!(toml > 0 && yaml > 0, "the mutations must break some files");
}

#[test]
fn malformed_json_files_never_panic_and_name_their_line() {
    // Not strict JSON is evaluated by node, as PM2 does: a few dozen, each one a node run.
    if std::process::Command::new("node")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("skipped: no node");
        return;
    }
    let mut dice = Dice(seed());
    let count = env_count("FUZZ_FILES", 1500) / 50;
    fuzz_file("ecosystem.json", JSON, count, &mut dice);
}

#[test]
fn no_request_nests_another_so_no_frame_nests_deeply() {
    // A frame that repeats a variant tag a million times decodes to an error at once
    // (a request holding a request would recurse once per tag and overflow the stack).
    let ping = encode_body(&ClientFrame::Request(Request::Ping)).expect("encode");
    let mut body = ping[..1].to_vec();
    body.extend(std::iter::repeat_n(ping[1], 1_000_000));
    let then_list = encode_body(&ClientFrame::ThenList(Request::List)).expect("encode");
    body.extend_from_slice(&then_list);
    assert!(decode_body::<ClientFrame>(&body).is_err());
}
