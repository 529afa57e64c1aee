//! `pm2 ecosystem` / `pm2 init [simple] [json|yaml]`: a sample ecosystem file in the current
//! folder. PM2 writes `ecosystem.config.js`; we write TOML, our first format, unless JSON or
//! YAML is asked for, and never overwrite a file that is there.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::Context;

/// The sample's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
    Yaml,
}

/// What the words after `pm2 init` ask for: a minimal sample or the full one, and a format.
fn choice(words: &[String]) -> Result<(bool, Format)> {
    let mut simple = false;
    let mut format = Format::Toml;
    for word in words {
        match word.to_ascii_lowercase().as_str() {
            "simple" => simple = true,
            "toml" => format = Format::Toml,
            "json" => format = Format::Json,
            "yaml" | "yml" => format = Format::Yaml,
            other => bail!("unknown mode {other:?}: expected simple, toml, json or yaml"),
        }
    }
    Ok((simple, format))
}

/// The file name and text of a sample.
fn sample(simple: bool, format: Format) -> (&'static str, &'static str) {
    match (format, simple) {
        (Format::Toml, false) => ("ecosystem.toml", include_str!("templates/ecosystem.toml")),
        (Format::Toml, true) => (
            "ecosystem.toml",
            include_str!("templates/ecosystem.simple.toml"),
        ),
        (Format::Json, false) => ("ecosystem.json", include_str!("templates/ecosystem.json")),
        (Format::Json, true) => (
            "ecosystem.json",
            include_str!("templates/ecosystem.simple.json"),
        ),
        (Format::Yaml, false) => ("ecosystem.yaml", include_str!("templates/ecosystem.yaml")),
        (Format::Yaml, true) => (
            "ecosystem.yaml",
            include_str!("templates/ecosystem.simple.yaml"),
        ),
    }
}

/// Writes `text` to `dir/name` unless a file of that name exists.
fn write_new(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} already exists: not overwritten (move it away first)",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// `pm2 ecosystem [simple] [toml|json|yaml]`.
pub fn ecosystem(ctx: &Context, words: Vec<String>) -> Result<()> {
    let (simple, format) = choice(&words)?;
    let (name, text) = sample(simple, format);
    let dir = std::env::current_dir().context("cannot read the current directory")?;
    let path = write_new(&dir, name, text)?;
    ctx.printer
        .text(format!("File {} generated", path.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pm2_protocol::ecosystem::load;

    #[test]
    fn modes_as_words() {
        assert_eq!(choice(&[]).unwrap(), (false, Format::Toml));
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(choice(&words(&["simple"])).unwrap(), (true, Format::Toml));
        assert_eq!(
            choice(&words(&["yaml", "simple"])).unwrap(),
            (true, Format::Yaml)
        );
        assert!(choice(&words(&["xml"])).is_err());
    }

    #[test]
    fn every_sample_reads_without_warnings_and_has_the_same_apps() {
        let dir = tempfile::tempdir().unwrap();
        for simple in [false, true] {
            let mut names = Vec::new();
            for format in [Format::Toml, Format::Json, Format::Yaml] {
                let sub = dir.path().join(format!("{simple}-{format:?}"));
                std::fs::create_dir(&sub).unwrap();
                let (name, text) = sample(simple, format);
                let path = write_new(&sub, name, text).unwrap();
                let file = load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(file.warnings.is_empty(), "{name}: {:?}", file.warnings);
                let apps: Vec<_> = file
                    .apps
                    .iter()
                    .map(|a| (a.name.clone(), a.env_profiles.len()))
                    .collect();
                names.push(apps);
            }
            assert!(names.windows(2).all(|w| w[0] == w[1]), "{names:?}");
        }
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ecosystem.toml"), "mine").unwrap();
        let error = write_new(dir.path(), "ecosystem.toml", "sample").unwrap_err();
        assert!(error.to_string().contains("already exists"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ecosystem.toml")).unwrap(),
            "mine"
        );
    }
}
