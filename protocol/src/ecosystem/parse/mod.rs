//! Reading ecosystem files into [`AppConfig`]s.
//!
//! The format comes from the file name: `.toml` (our primary format, `[[apps]]` tables),
//! `.json`, `.yaml`/`.yml`, and `*.config.js`/`.cjs`/`.mjs`, which `node` evaluates
//! (see [`js`]). Every format is first read into a neutral [`tree`] that remembers where
//! keys are written, then [`options`] maps each app's keys to [`AppConfig`] fields.
//!
//! The apps are found as PM2 finds them: under `apps` (a list, or a single table), else under
//! `pm2`; a JSON/YAML/JS document may also be a list of apps or a single app. A top-level
//! `deploy` section and TOML `[[groups]]` are accepted and ignored here.
//!
//! Unknown keys and options without effect yet become warnings; wrong types, syntax errors
//! and a missing `script` are [`EcosystemError::Invalid`] with the line they are written on.

mod convert;
mod js;
mod locate;
mod logrotate;
mod options;
mod tree;
mod watch;

#[cfg(test)]
mod tests;

use std::path::Path;

use super::{Ecosystem, EcosystemError};
use tree::{Node, Seg, Value};

/// True when `path` names an ecosystem file rather than a script (by its name, as PM2 decides).
pub fn is_ecosystem_file(path: &Path) -> bool {
    Format::of(path).is_some()
}

/// Reads an ecosystem file: its apps in file order, and one warning line per unknown key or
/// option without effect yet.
///
/// Errors: [`EcosystemError::UnsupportedType`] for a name we do not read,
/// [`EcosystemError::Io`] when the file cannot be read, [`EcosystemError::NodeMissing`] for
/// a JavaScript file without `node` in PATH, and [`EcosystemError::Invalid`] (with the
/// 1-based line) for syntax errors, wrong option types, an app without `script`, or a file
/// without apps.
pub fn load(path: &Path) -> Result<Ecosystem, EcosystemError> {
    let format = Format::of(path).ok_or_else(|| EcosystemError::UnsupportedType {
        path: path.to_path_buf(),
    })?;
    let mut format = format;
    let src = match format {
        Format::Js => js::evaluate(path)?,
        _ => std::fs::read_to_string(path).map_err(|error| EcosystemError::Io {
            path: path.to_path_buf(),
            error,
        })?,
    };
    // PM2 evaluates .json files as JavaScript: comments, trailing commas, unquoted keys and
    // expressions are fine there. Strict JSON is read here (with lines for messages); the
    // rest is handed to node as PM2 would, and only a file node refuses too is an error.
    let src = match format {
        Format::Json
            if serde_json::from_str::<serde::de::IgnoredAny>(
                src.trim_start_matches('\u{feff}'),
            )
            .is_err() =>
        {
            match js::evaluate_expression(path) {
                Ok(json) => {
                    format = Format::Js;
                    json
                }
                Err(EcosystemError::NodeMissing { .. }) => src,
                Err(err) => return Err(strict_json_error(path, &src).unwrap_or(err)),
            }
        }
        _ => src,
    };
    // A byte-order mark is not part of any of these formats' text.
    let src = src.strip_prefix('\u{feff}').unwrap_or(&src);
    let doc = Doc {
        path,
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        src,
        format,
    };
    let root = doc.parse()?;
    let mut ecosystem = Ecosystem {
        path: path.to_path_buf(),
        apps: Vec::new(),
        warnings: Vec::new(),
    };
    let deploy_env = deploy_environments(&root);
    for (index, (node, app_path)) in doc
        .find_apps(&root, &mut ecosystem.warnings)?
        .into_iter()
        .enumerate()
    {
        let mut app = options::parse_app(&doc, node, app_path, index + 1, &mut ecosystem.warnings)?;
        app.deploy_env = deploy_env.clone();
        ecosystem.apps.push(app);
    }
    Ok(ecosystem)
}

/// `deploy.<profile>.env` of the file, by profile (tables that are not variables skipped:
/// the deploy section is PM2's deploy tool's, read here only for its `env`).
fn deploy_environments(
    root: &Node,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let Some(deploy) = root.value.get("deploy") else {
        return Default::default();
    };
    let Value::Map(profiles) = &deploy.node.value else {
        return Default::default();
    };
    profiles
        .iter()
        .filter_map(|profile| {
            let env = profile.node.value.get("env")?;
            Some((profile.key.clone(), convert::env(&env.node.value)?))
        })
        .collect()
}

/// The strict-JSON reading of a file node could not evaluate either: its syntax error has
/// the line (node's message does not); `None` when the JSON reading has no error to tell.
fn strict_json_error(path: &Path, src: &str) -> Option<EcosystemError> {
    let err = serde_json::from_str::<serde::de::IgnoredAny>(src).err()?;
    let text = err.to_string();
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |at| &text[..at]);
    Some(EcosystemError::Malformed {
        path: path.to_path_buf(),
        line: err.line().max(1),
        message: format!("invalid JSON (nor a JavaScript expression): {message}"),
    })
}

/// The formats we read, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
    Yaml,
    /// `*.config.js`, `.cjs`, `.mjs`: evaluated by node into JSON.
    Js,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".toml") {
            Some(Format::Toml)
        } else if name.ends_with(".json") || name.ends_with(".json5") {
            Some(Format::Json)
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Some(Format::Yaml)
        } else if [".config.js", ".config.cjs", ".config.mjs"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        {
            Some(Format::Js)
        } else {
            None
        }
    }
}

/// The document being read: where it comes from, for lines in messages.
struct Doc<'a> {
    /// The file, as given.
    path: &'a Path,
    /// The file name, as warnings show it.
    name: String,
    /// The text (for a JS file: the JSON node printed).
    src: &'a str,
    format: Format,
}

/// Top-level keys that are not apps and are read elsewhere (or later).
const IGNORED_TOP_LEVEL: [&str; 2] = ["deploy", "groups"];

impl Doc<'_> {
    /// An [`EcosystemError::Invalid`] at `line`.
    fn invalid(&self, line: usize, message: String) -> EcosystemError {
        EcosystemError::Invalid {
            path: self.path.to_path_buf(),
            line: line.max(1),
            message,
        }
    }

    /// An [`EcosystemError::Malformed`] at `line`: the text is not of its format.
    fn malformed(&self, line: usize, message: String) -> EcosystemError {
        EcosystemError::Malformed {
            path: self.path.to_path_buf(),
            line: line.max(1),
            message,
        }
    }

    /// A warning line: `file:line: message`, or `file: message` when the line is unknown.
    fn warning(&self, line: Option<usize>, message: &str) -> String {
        match line {
            Some(line) => format!("{}:{line}: {message}", self.name),
            None => format!("{}: {message}", self.name),
        }
    }

    /// The 1-based line of what `path` designates (a key, or a value's start), when the
    /// format lets us know it; `known` is the line the tree already holds (0 if none).
    fn line(&self, known: usize, path: &[Seg]) -> Option<usize> {
        if known > 0 {
            return Some(known);
        }
        match self.format {
            Format::Json => locate::locate_json(self.src, path),
            Format::Yaml => locate::locate_yaml(self.src, path),
            Format::Toml | Format::Js => None,
        }
    }

    /// Reads the text into a tree; syntax errors carry the line the parser reports.
    fn parse(&self) -> Result<Node, EcosystemError> {
        if self.src.trim().is_empty() {
            return Err(self.no_apps());
        }
        match self.format {
            Format::Toml => match toml::de::DeTable::parse(self.src) {
                Ok(table) => Ok(tree::from_toml(self.src, &table)),
                Err(err) => {
                    let line = err.span().map_or(1, |s| tree::line_at(self.src, s.start));
                    Err(self.malformed(line, format!("invalid TOML: {}", err.message())))
                }
            },
            Format::Json | Format::Js => serde_json::from_str::<Node>(self.src).map_err(|err| {
                let text = err.to_string();
                let message = match text.rfind(" at line ") {
                    Some(at) => &text[..at],
                    None => &text,
                };
                let line = if self.format == Format::Js {
                    1
                } else {
                    err.line()
                };
                self.malformed(line, format!("invalid JSON: {message}"))
            }),
            Format::Yaml => match serde_yaml_ng::from_str::<Node>(self.src) {
                Ok(mut node) => {
                    tree::apply_yaml_merges(&mut node);
                    Ok(node)
                }
                Err(err) => {
                    let line = err.location().map_or(1, |l| l.line());
                    Err(self.malformed(line, format!("invalid YAML: {err}")))
                }
            },
        }
    }

    fn no_apps(&self) -> EcosystemError {
        let hint = match self.format {
            Format::Toml => "expected one or more [[apps]] tables",
            _ => "expected an \"apps\" list",
        };
        self.invalid(1, format!("no apps found ({hint})"))
    }

    /// The apps of the document, each with its path from the root, as PM2 looks for them.
    fn find_apps<'n>(
        &self,
        root: &'n Node,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<(&'n Node, Vec<Seg>)>, EcosystemError> {
        let apps = match &root.value {
            Value::List(items) => list_apps(items, Vec::new()),
            Value::Map(entries) => {
                let holder = ["apps", "pm2"]
                    .iter()
                    .find_map(|key| entries.iter().find(|e| e.key == *key));
                match holder {
                    Some(holder) => {
                        for entry in entries {
                            let known = ["apps", "pm2"].contains(&entry.key.as_str())
                                || IGNORED_TOP_LEVEL.contains(&entry.key.as_str());
                            if !known {
                                let line = self.line(entry.line, &[Seg::Key(entry.key.clone())]);
                                let message =
                                    format!("unknown top-level key {:?} (ignored)", entry.key);
                                warnings.push(self.warning(line, &message));
                            }
                        }
                        let path = vec![Seg::Key(holder.key.clone())];
                        match &holder.node.value {
                            Value::List(items) => list_apps(items, path),
                            Value::Map(_) => vec![(&holder.node, path)],
                            Value::Null => Vec::new(),
                            other => {
                                let line = self.line(holder.line, &path).unwrap_or(1);
                                return Err(self.invalid(
                                    line,
                                    format!(
                                        "{:?} must be a list of apps, got {}",
                                        holder.key,
                                        other.describe()
                                    ),
                                ));
                            }
                        }
                    }
                    // A JSON/YAML/JS document may be a single app.
                    None if self.format != Format::Toml
                        && entries
                            .iter()
                            .any(|e| !IGNORED_TOP_LEVEL.contains(&e.key.as_str())) =>
                    {
                        vec![(root, Vec::new())]
                    }
                    None => {
                        let unknown: Vec<String> = entries
                            .iter()
                            .filter(|e| !IGNORED_TOP_LEVEL.contains(&e.key.as_str()))
                            .map(|e| format!("{:?}", e.key))
                            .collect();
                        if unknown.is_empty() {
                            return Err(self.no_apps());
                        }
                        return Err(self.invalid(
                            1,
                            format!(
                                "no apps found (expected one or more [[apps]] tables; unknown top-level keys: {})",
                                unknown.join(", ")
                            ),
                        ));
                    }
                }
            }
            _ => Vec::new(),
        };
        if apps.is_empty() {
            return Err(self.no_apps());
        }
        Ok(apps)
    }
}

fn list_apps(items: &[Node], path: Vec<Seg>) -> Vec<(&Node, Vec<Seg>)> {
    items
        .iter()
        .enumerate()
        .map(|(index, node)| {
            let mut app_path = path.clone();
            app_path.push(Seg::Index(index));
            (node, app_path)
        })
        .collect()
}
