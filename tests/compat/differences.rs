//! Differences kept on purpose: a scenario with `difference = "<id>"` asserts that the two
//! sides differ in the stated way, and `<id>` must be a heading (`## <id>`) of
//! `tests/compat/DIFFERENCES.md`, which gives the reason. A difference that disappears, or
//! shows another way, fails like any mismatch, so the document stays true.

use std::collections::BTreeSet;
use std::path::Path;

use crate::compare::Mismatch;
use crate::scenario::Scenario;

/// The ids (`## <id>` headings) of DIFFERENCES.md.
pub fn documented() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/DIFFERENCES.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|line| line.strip_prefix("## "))
        .map(|id| id.trim().to_string())
        .collect()
}

/// True when a reported value is the expected one (`no match` expects `no match in ...`).
fn is(value: &str, expected: &str) -> bool {
    value == expected || value.starts_with(&format!("{expected} "))
}

/// For a scenario that keeps a difference: removes the expected mismatch from `found`, or
/// adds one saying it was not seen. Other scenarios' mismatches pass through.
pub fn apply(scenario: &Scenario, found: Vec<Mismatch>) -> Vec<Mismatch> {
    let (Some(id), Some(want_ref), Some(want_ours)) = (
        &scenario.difference,
        &scenario.expect_ref,
        &scenario.expect_ours,
    ) else {
        return found;
    };
    let mut out = Vec::new();
    if !documented().contains(id) {
        out.push(Mismatch {
            field: format!("difference {id}"),
            reference: "a heading of DIFFERENCES.md".to_string(),
            ours: "missing there".to_string(),
        });
    }
    let expected = |m: &Mismatch| {
        scenario
            .field
            .as_ref()
            .is_none_or(|f| m.field.starts_with(f.as_str()))
            && is(&m.reference, want_ref)
            && is(&m.ours, want_ours)
    };
    let kept = found.iter().filter(|m| expected(m)).count();
    if kept == 0 {
        out.push(Mismatch {
            field: format!(
                "difference {id} ({}) not observed",
                scenario.field.as_deref().unwrap_or("any field")
            ),
            reference: want_ref.clone(),
            ours: format!("{want_ours} expected; differences seen: {found:?}"),
        });
    }
    out.extend(found.into_iter().filter(|m| !expected(m)));
    out
}
