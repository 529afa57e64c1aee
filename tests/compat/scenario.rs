//! The scenario files (`tests/compat/scenarios/*.toml`): what each scenario runs and what it
//! compares. Scenarios are data so that adding a PM2 behaviour to check is a few lines of
//! TOML, not code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One scenario file: `[[scenario]]` tables, run in order by one test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The scenarios, in the order they run.
    pub scenario: Vec<Scenario>,
}

/// One scenario: the same command lines on both sides, then the comparisons it asks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Names the scenario in reports.
    pub name: String,
    /// Extra files written into the shared work dir before each side runs (name -> text).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Files written on our side only (after `files`): for formats PM2 cannot read (TOML),
    /// whose reference side runs the equivalent JSON.
    #[serde(default)]
    pub files_ours: BTreeMap<String, String>,
    /// Environment variables given to every command (they reach the apps, as in PM2).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Commands run on the reference side only, before `run`; its `dump.pm2` is then copied
    /// to our `PM2_HOME`: checks that we resurrect what PM2 saved.
    #[serde(default)]
    pub ref_dump: Vec<String>,
    /// Command lines without the leading `pm2`, or `@` steps (see [`crate::steps`]).
    pub run: Vec<String>,
    /// Our command lines when they must differ (the TOML file of `files_ours`); same length.
    pub run_ours: Option<Vec<String>>,
    /// A condition to wait for on each side after the commands.
    pub wait: Option<Wait>,
    /// Compare the exit code of every command (on unless `exit = false`).
    #[serde(default = "yes")]
    pub exit: bool,
    /// Dotted paths into each `pm2 jlist` entry, compared per process in pm_id order.
    #[serde(default)]
    pub jlist: Vec<String>,
    /// Regexes over the stdout lines of the command `grep_on` (default: the last).
    #[serde(default)]
    pub stdout_grep: Vec<String>,
    /// Regexes over the stderr lines of the command `grep_on`.
    #[serde(default)]
    pub stderr_grep: Vec<String>,
    /// Index into `run` of the command the greps read (pm2 commands only, not `@` steps).
    pub grep_on: Option<usize>,
    /// Regexes over the lines of `pm2 prettylist` after the wait.
    #[serde(default)]
    pub prettylist_grep: Vec<String>,
    /// Compare the names of the files in `$PM2_HOME/logs` and `$PM2_HOME/pids`.
    #[serde(default)]
    pub log_files: bool,
    /// Regexes that must find a line in a log file.
    #[serde(default)]
    pub log_contains: Vec<LogCheck>,
    /// Log files (named as in `log_contains`) compared as missing, empty or not empty:
    /// what `flush` does.
    #[serde(default)]
    pub log_empty: Vec<String>,
    /// Dotted paths into each entry of `$PM2_HOME/dump.pm2`, compared per entry.
    #[serde(default)]
    pub dump: Vec<String>,
    /// Commands run after the observation, before `delete all` (`unset` of a conf key).
    #[serde(default)]
    pub cleanup: Vec<String>,
    /// A difference kept on purpose: a heading of DIFFERENCES.md.
    pub difference: Option<String>,
    /// With `difference`: the field (prefix of the report's field) that differs.
    pub field: Option<String>,
    /// With `difference`: the reference value of that field, as reported.
    pub expect_ref: Option<String>,
    /// With `difference`: our value of that field, as reported.
    pub expect_ours: Option<String>,
}

/// A wait condition; every field given must hold (deadline: [`crate::steps::WAIT`]).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    /// At least this many processes, every one online.
    pub online: Option<usize>,
    /// Exactly this many processes.
    pub count: Option<usize>,
    /// Every process (at least one) has this status.
    pub status: Option<String>,
    /// Every process has restarted at least this many times.
    pub restarts: Option<u64>,
    /// A log file (under `$PM2_HOME/logs`, or `./name` in the work dir) ...
    pub log: Option<String>,
    /// ... containing this text.
    pub contains: Option<String>,
    /// Sleep this long first (for what must *not* happen, which only time can show).
    pub sleep_ms: Option<u64>,
}

/// One `log_contains` check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogCheck {
    /// Under `$PM2_HOME/logs`, or `./name` in the work dir.
    pub file: String,
    /// A regex some line must match.
    pub re: String,
}

/// Serde's default for `exit`.
fn yes() -> bool {
    true
}

/// Where the scenario files live.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/scenarios")
}

/// Reads and checks one scenario file (`start_flags` -> `scenarios/start_flags.toml`).
pub fn load(area: &str) -> Vec<Scenario> {
    let path = dir().join(format!("{area}.toml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: ScenarioFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for scenario in &file.scenario {
        scenario.check(&path);
    }
    file.scenario
}

impl Scenario {
    /// Panics on a scenario that cannot mean anything (so a typo does not pass silently).
    fn check(&self, path: &Path) {
        let at = format!("{}: scenario {:?}", path.display(), self.name);
        assert!(!self.run.is_empty(), "{at}: empty run");
        if let Some(ours) = &self.run_ours {
            assert_eq!(ours.len(), self.run.len(), "{at}: run_ours length");
        }
        for line in self.run.iter().chain(self.run_ours.iter().flatten()) {
            assert!(!split(line).is_empty(), "{at}: empty command line");
        }
        let commands = self.run.iter().filter(|l| !l.starts_with('@')).count();
        if let Some(index) = self.grep_on {
            assert!(index < commands, "{at}: grep_on {index} out of range");
        }
        let regexes = self.stdout_grep.iter().chain(&self.stderr_grep);
        for re in regexes.chain(&self.prettylist_grep) {
            regex::Regex::new(re).unwrap_or_else(|e| panic!("{at}: bad regex {re:?}: {e}"));
        }
        for check in &self.log_contains {
            regex::Regex::new(&check.re).unwrap_or_else(|e| panic!("{at}: bad regex: {e}"));
        }
        let parts = [&self.expect_ref, &self.expect_ours];
        assert_eq!(
            self.difference.is_some(),
            parts.iter().all(|p| p.is_some()),
            "{at}: `difference` goes with `expect_ref` and `expect_ours`"
        );
    }

    /// The command lines one side runs.
    pub fn lines(&self, ours: bool) -> &[String] {
        match (&self.run_ours, ours) {
            (Some(lines), true) => lines,
            _ => &self.run,
        }
    }
}

/// Splits a command line on spaces, keeping quoted words ('...' or "...") whole.
pub fn split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unclosed quote in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn split_keeps_quoted_words() {
    assert_eq!(
        split(r#"start "a b.sh" --name 'x y' -- ''"#),
        ["start", "a b.sh", "--name", "x y", "--", ""]
    );
}
