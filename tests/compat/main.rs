//! Differential end-to-end tests: the same command lines against the real PM2 7 (installed
//! by `.ci/run` in `target/pm2-ref`) and against our binary, comparing what users script
//! against: exit codes, `jlist` fields, output lines, log files, the dump.
//!
//! The scenarios are data, one TOML file per area in `scenarios/`; differences kept on
//! purpose are listed, with their reasons, in `DIFFERENCES.md`. One test per file, so cargo
//! runs the areas in parallel; each reuses its two daemons for all its scenarios.
//!
//! While iterating: `COMPAT_ONLY=<part of a scenario name>` runs only those scenarios and
//! `COMPAT_VERBOSE=1` prints every command with its exit code, time and output.

mod compare;
mod differences;
mod fixtures;
mod normalize;
mod observe;
mod scenario;
mod side;
mod steps;
mod suite;

/// Every scenario file, one test each (below).
const AREAS: [&str; 12] = [
    "start_flags",
    "ecosystem",
    "targets",
    "lifecycle",
    "list",
    "env",
    "dump",
    "signals",
    "ready",
    "logs",
    "cluster",
    "conf",
];

/// Declares one test per scenario file.
macro_rules! area_tests {
    ($($area:ident),* $(,)?) => {
        $(
            #[test]
            fn $area() {
                suite::run_file(stringify!($area));
            }
        )*
    };
}

area_tests!(
    start_flags,
    ecosystem,
    targets,
    lifecycle,
    list,
    env,
    dump,
    signals,
    ready,
    logs,
    cluster,
    conf
);

/// Every file in `scenarios/` has its test, and every kept difference is documented.
#[test]
fn scenario_files_and_differences_are_consistent() {
    let mut files: Vec<String> = std::fs::read_dir(scenario::dir())
        .expect("scenarios dir")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect();
    files.sort();
    let mut areas: Vec<String> = AREAS.iter().map(|a| a.to_string()).collect();
    areas.sort();
    assert_eq!(files, areas, "scenarios/*.toml and AREAS differ");
    suite::check_documented(&AREAS);
}

/// README's "Coming from PM2" names every kept difference of DIFFERENCES.md, and nothing else
/// in its table: the two say the same.
#[test]
fn readme_lists_every_kept_difference() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let section = readme
        .split("\n## Coming from PM2\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has a \"Coming from PM2\" section");
    let listed: std::collections::BTreeSet<String> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect();
    assert_eq!(listed, differences::documented());
}
