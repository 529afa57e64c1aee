//! Target words, as every command that acts on processes takes them: ids, names, namespaces,
//! `all`, `/regex/` and ecosystem files (the apps they declare), several at once — and
//! PM2's lines about them (`Applying action ... (ids: [ 0 ])`, `No process found`).

use std::path::Path;

use anyhow::Result;
use pm2_protocol::{ecosystem, ProcessInfo, Request, Target};

use super::{ask, processes};
use crate::client::Client;
use crate::output::Verbatim;
use crate::render;

/// One word of the command line and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// A target as typed (`0`, `api`, `back`, `all`, `/^api-/`).
    Target {
        /// The word, for PM2's messages (`on app [api]`).
        text: String,
        /// What it names.
        target: Target,
    },
    /// An ecosystem file that exists: it names the apps it declares (after `--only`).
    File {
        /// The path as typed.
        path: String,
        /// Its apps' names.
        apps: Vec<String>,
    },
}

impl Word {
    /// The targets the word stands for.
    pub fn targets(&self) -> Vec<Target> {
        match self {
            Word::Target { target, .. } => vec![target.clone()],
            Word::File { apps, .. } => apps.iter().cloned().map(Target::Name).collect(),
        }
    }
}

/// Reads target words: an existing ecosystem file becomes the names of its apps (only those
/// in `only`, a comma- or space-separated list, when given); anything else is a target, a
/// name standing for a script file in the current folder too, as in PM2.
pub fn read(words: &[String], only: Option<&str>) -> Result<Vec<Word>> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let only: Option<Vec<&str>> =
        only.map(|l| l.split([',', ' ']).filter(|s| !s.is_empty()).collect());
    let mut read = Vec::new();
    for word in words {
        let path = Path::new(word);
        if ecosystem::is_ecosystem_file(path) && path.exists() {
            let apps = ecosystem::load(path)?
                .apps
                .into_iter()
                .filter_map(|app| app_name(app.name, app.script.as_deref()))
                .filter(|name| only.as_ref().is_none_or(|o| o.contains(&name.as_str())))
                .collect();
            read.push(Word::File {
                path: word.clone(),
                apps,
            });
        } else {
            read.push(Word::Target {
                text: word.clone(),
                target: Target::parse_in(word, &cwd),
            });
        }
    }
    Ok(read)
}

/// Every target of the words, in order.
pub fn flatten(words: &[Word]) -> Vec<Target> {
    words.iter().flat_map(Word::targets).collect()
}

/// The name an app of an ecosystem file gets: its `name`, else its script's file stem.
fn app_name(name: Option<String>, script: Option<&str>) -> Option<String> {
    name.or_else(|| {
        script.and_then(|s| {
            Path::new(s)
                .file_stem()
                .and_then(|n| n.to_str())
                .map(str::to_string)
        })
    })
}

/// The processes the targets name now (none is not an error here).
pub async fn lookup(client: &mut Client, targets: Vec<Target>) -> Result<Vec<ProcessInfo>> {
    processes(
        ask(
            client,
            Request::Describe {
                targets,
                allow_empty: true,
            },
        )
        .await?,
    )
}

/// The error for a word that names no process, in PM2's words: `No process found` (a
/// warning) for `all` and regexes, `Process or Namespace x not found` for names, and
/// `Process 3 not found` for ids (PM2's fallback wording: its daemon's own differs by verb).
pub fn nothing_found(text: &str, target: &Target) -> anyhow::Error {
    match target {
        Target::All | Target::Regex(_) => Verbatim("[PM2][WARN] No process found".into()).into(),
        Target::Id(id) | Target::Number(id) => anyhow::anyhow!("Process {id} not found"),
        Target::Name(_) | Target::Script { .. } => {
            anyhow::anyhow!("Process or Namespace {text} not found")
        }
    }
}

/// `[PM2] Applying action stopProcessId on app [api](ids: [ 0, 1 ])`. As in PM2, the ids are
/// quoted (`[ '3' ]`) when a number was taken as an id, as typed, rather than a name.
pub fn applying(action: &str, text: &str, target: &Target, procs: &[ProcessInfo]) -> String {
    let as_typed = matches!(target, Target::Number(_))
        && procs
            .iter()
            .all(|p| p.spec.name != text && p.spec.namespace != text);
    let ids: Vec<serde_json::Value> = procs
        .iter()
        .map(|p| {
            if as_typed {
                text.into()
            } else {
                p.pm_id.into()
            }
        })
        .collect();
    format!(
        "Applying action {action} on app [{text}](ids: {})",
        render::inspect(&serde_json::Value::Array(ids))
    )
}

/// `[PM2] [api](0) ✓`, once per process acted on.
pub fn done(p: &ProcessInfo) -> String {
    format!("[{}]({}) \u{2713}", p.spec.name, p.pm_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pm_id: u32, name: &str) -> ProcessInfo {
        crate::render::fixture::process(pm_id, name)
    }

    #[test]
    fn applying_lines_are_pm2s() {
        let a = [info(0, "a"), info(1, "a")];
        assert_eq!(
            applying("stopProcessId", "a", &Target::parse("a"), &a),
            "Applying action stopProcessId on app [a](ids: [ 0, 1 ])"
        );
        assert_eq!(
            applying("restartProcessId", "1", &Target::parse("1"), &a[1..]),
            "Applying action restartProcessId on app [1](ids: [ '1' ])"
        );
        let named_3 = [info(5, "3")];
        assert_eq!(
            applying("stopProcessId", "3", &Target::parse("3"), &named_3),
            "Applying action stopProcessId on app [3](ids: [ 5 ])"
        );
        let many: Vec<ProcessInfo> = (0..7).map(|i| info(i, "w")).collect();
        assert_eq!(
            applying("deleteProcessId", "w", &Target::parse("w"), &many),
            "Applying action deleteProcessId on app [w](ids: [\n  0, 1, 2, 3,\n  4, 5, 6\n])"
        );
        assert_eq!(done(&a[1]), "[a](1) \u{2713}");
    }

    #[test]
    fn words_naming_nothing_get_pm2s_lines() {
        assert_eq!(
            nothing_found("all", &Target::All).to_string(),
            "[PM2][WARN] No process found"
        );
        assert_eq!(
            nothing_found("/x/", &Target::parse("/x/")).to_string(),
            "[PM2][WARN] No process found"
        );
        assert_eq!(
            nothing_found("nope", &Target::parse("nope")).to_string(),
            "Process or Namespace nope not found"
        );
        assert_eq!(
            nothing_found("42", &Target::parse("42")).to_string(),
            "Process 42 not found"
        );
    }

    #[test]
    fn ecosystem_files_stand_for_their_apps() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ecosystem.config.json");
        std::fs::write(
            &file,
            r#"{"apps":[{"name":"api","script":"a.js"},{"script":"lib/worker.py"},{"name":"web","script":"w.js"}]}"#,
        )
        .unwrap();
        let path = file.display().to_string();
        let words = read(&[path.clone(), "0".into(), "/^x/".into()], None).unwrap();
        assert_eq!(
            flatten(&words),
            vec![
                Target::Name("api".into()),
                Target::Name("worker".into()),
                Target::Name("web".into()),
                Target::Number(0),
                Target::Regex("^x".into()),
            ]
        );
        let only = read(std::slice::from_ref(&path), Some("web,worker")).unwrap();
        assert_eq!(
            only,
            vec![Word::File {
                path,
                apps: vec!["worker".into(), "web".into()]
            }]
        );
        let missing = read(&["gone.config.js".into()], None).unwrap();
        assert_eq!(
            flatten(&missing),
            vec![Target::parse_in(
                "gone.config.js",
                &std::env::current_dir().unwrap()
            )]
        );
    }
}
