//! Comparing the two sides' observations of a scenario field by field, into the mismatches
//! a report lists (scenario, field, reference value, our value).

use regex::Regex;
use serde_json::Value;

use crate::normalize::{at, show};
use crate::observe::Observation;
use crate::scenario::Scenario;
use crate::side::Output;

/// One field where the sides differ.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// What was compared (`exit[0] start echo.js`, `jlist[1].name`, `stdout_grep /re/`).
    pub field: String,
    /// The reference PM2's value.
    pub reference: String,
    /// Our value.
    pub ours: String,
}

/// Every field the scenario compares where the sides differ (or where the reference side
/// does not show what a grep looks for, which would make that check vacuous).
pub fn compare(scenario: &Scenario, reference: &Observation, ours: &Observation) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut differ = |field: String, r: String, o: String| {
        if r != o {
            out.push(Mismatch {
                field,
                reference: r,
                ours: o,
            });
        }
    };
    if scenario.exit {
        for (i, ((line, r), (_, o))) in reference.commands.iter().zip(&ours.commands).enumerate() {
            if r.code != o.code {
                // With what each side said, which is what a fix starts from.
                let said = |out: &Output| match excerpt(&format!("{}\n{}", out.stderr, out.stdout))
                {
                    text if text.is_empty() => out.code.to_string(),
                    text => format!("{} ({text})", out.code),
                };
                differ(format!("exit[{i}] {line}"), said(r), said(o));
            }
        }
    }
    let reached = |b: bool| if b { "reached" } else { "timed out" }.to_string();
    for (i, (r, o)) in reference.waits.iter().zip(&ours.waits).enumerate() {
        if *r {
            differ(format!("wait[{i}]"), reached(*r), reached(*o));
        } else {
            // A wait the reference does not reach is a broken scenario (and 15 s lost).
            let field = format!("wait[{i}] (must be reached by the reference)");
            differ(field, reached(*r), format!("{} (either way)", reached(*o)));
        }
    }
    if !scenario.jlist.is_empty() {
        list_fields(
            "jlist",
            &scenario.jlist,
            &reference.jlist,
            &ours.jlist,
            &mut differ,
        );
    }
    if !scenario.dump.is_empty() {
        list_fields(
            "dump",
            &scenario.dump,
            &reference.dump,
            &ours.dump,
            &mut differ,
        );
    }
    let on = |obs: &Observation| {
        let index = scenario
            .grep_on
            .unwrap_or(obs.commands.len().saturating_sub(1));
        obs.commands
            .get(index)
            .map(|(_, out)| out.clone())
            .unwrap_or_default()
    };
    let (r_out, o_out) = (on(reference), on(ours));
    for re in &scenario.stdout_grep {
        grep("stdout_grep", re, &r_out.stdout, &o_out.stdout, &mut differ);
    }
    for re in &scenario.stderr_grep {
        grep("stderr_grep", re, &r_out.stderr, &o_out.stderr, &mut differ);
    }
    for re in &scenario.prettylist_grep {
        grep(
            "prettylist_grep",
            re,
            &reference.prettylist,
            &ours.prettylist,
            &mut differ,
        );
    }
    for check in &scenario.log_contains {
        let text = |obs: &Observation| obs.logs.get(&check.file).cloned().unwrap_or_default();
        let kind = format!("log_contains {}", check.file);
        grep(&kind, &check.re, &text(reference), &text(ours), &mut differ);
    }
    for (i, name) in scenario.log_empty.iter().enumerate() {
        let state = |obs: &Observation| obs.emptiness.get(i).cloned().unwrap_or_default();
        differ(format!("log_empty {name}"), state(reference), state(ours));
    }
    if scenario.log_files {
        let r = reference.log_files.join(" ");
        let o = ours.log_files.join(" ");
        differ("log_files".to_string(), r, o);
    }
    out
}

/// Compares `paths` of each entry of two lists (jlist or dump), and their lengths.
fn list_fields(
    what: &str,
    paths: &[String],
    reference: &[Value],
    ours: &[Value],
    differ: &mut impl FnMut(String, String, String),
) {
    let names = |list: &[Value]| {
        let name = |p: &Value| show(at(p, "name").or_else(|| at(p, "pm2_env.name")));
        list.iter().map(name).collect::<Vec<_>>().join(",")
    };
    differ(
        format!("{what} count"),
        format!("{} [{}]", reference.len(), names(reference)),
        format!("{} [{}]", ours.len(), names(ours)),
    );
    for path in paths {
        // A path missing from every entry on both sides compares nothing: a typo, surely.
        let present = |list: &[Value]| list.iter().any(|p| at(p, path).is_some());
        if !reference.is_empty() && !present(reference) && !present(ours) {
            differ(
                format!("{what}[*].{path} (missing on both sides: compares nothing)"),
                "<missing>".to_string(),
                "<missing> (either way)".to_string(),
            );
        }
    }
    for (i, (r, o)) in reference.iter().zip(ours).enumerate() {
        for path in paths {
            differ(
                format!("{what}[{i}].{path}"),
                show(at(r, path)),
                show(at(o, path)),
            );
        }
    }
}

/// Whether some line matches `re`, on each side; the reference must match.
fn grep(
    kind: &str,
    re: &str,
    reference: &str,
    ours: &str,
    differ: &mut impl FnMut(String, String, String),
) {
    let regex = Regex::new(re).expect("regex checked at load");
    let found = |text: &str| text.lines().any(|line| regex.is_match(line));
    let show = |text: &str| {
        if found(text) {
            "match".to_string()
        } else {
            format!("no match in {:?}", excerpt(text))
        }
    };
    if !found(reference) {
        // The check would prove nothing: say so even when ours does not match either.
        differ(
            format!("{kind} /{re}/ (must match the reference)"),
            show(reference),
            format!("{} (either way)", show(ours)),
        );
        return;
    }
    differ(format!("{kind} /{re}/"), show(reference), show(ours));
}

/// The first lines of a text, for a report.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(6)
        .collect();
    let mut s = lines.join(" | ");
    if s.len() > 400 {
        let cut = (0..=400)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
}
