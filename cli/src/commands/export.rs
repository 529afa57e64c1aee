//! `pm2 export kubernetes|compose|systemd [ecosystem] [-o dir]`: the ecosystem file's apps
//! for an orchestrator. Everything is checked before the first file is written.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use pm2_protocol::ecosystem::{self, ResolveContext};

use super::Context;
use crate::args::ExportArgs;
use crate::export::{self, Target};

/// Runs `pm2 export`.
pub fn export(ctx: &Context, args: ExportArgs) -> Result<()> {
    let target = Target::parse(&args.target).ok_or_else(|| {
        anyhow!(
            "unknown export target {:?}: expected kubernetes, compose or systemd",
            args.target
        )
    })?;
    let path = PathBuf::from(args.file.as_deref().unwrap_or("ecosystem.toml"));
    if !path.is_file() {
        bail!("ecosystem file not found: {}", path.display());
    }
    let file = ecosystem::load(&path)?;
    for warning in &file.warnings {
        ctx.printer.warn(warning);
    }
    let dir = std::fs::canonicalize(&path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .context("cannot locate the ecosystem file's folder")?;
    let context = ResolveContext {
        cwd: dir,
        caller_env: std::env::vars().collect(),
        env_profile: ctx.options.env.clone(),
        home: ctx.home.clone(),
        cpus: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
    };
    let mut apps = Vec::new();
    for config in &file.apps {
        let (app, notes) =
            export::plan(config, &context).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        for note in notes {
            ctx.printer.warn(note);
        }
        apps.push(app);
    }
    if apps.is_empty() {
        bail!("{}: no app to export", path.display());
    }
    let image = args
        .image
        .as_deref()
        .unwrap_or(export::kubernetes::DEFAULT_IMAGE);
    let output = export::generate(target, &apps, image);
    for warning in &output.warnings {
        ctx.printer.warn(warning);
    }
    let out_dir = ctx
        .options
        .output
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("export-{}", target.name())));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    for file in &output.files {
        let dest = out_dir.join(&file.name);
        std::fs::write(&dest, &file.text)
            .with_context(|| format!("cannot write {}", dest.display()))?;
        ctx.printer.info(format!("Wrote {}", dest.display()));
    }
    Ok(())
}
