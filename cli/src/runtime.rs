//! The `pm2-runtime` command line: PM2's runtime flags, the apps they describe, and how
//! their output is printed. The foreground host itself is `pm2_runtime::foreground`.

use std::io::Write;

use anyhow::{Context as _, Result};
use clap::Parser;
use pm2_protocol::ecosystem::{self, AppConfig, Instances, ResolveContext};
use pm2_protocol::{AppSpec, Home, LogLine, LogStream};

use crate::render::logline::{LineStyle, LineWriter};

/// `pm2-runtime`: run apps in the foreground (containers).
#[derive(Debug, Parser)]
#[command(name = "pm2-runtime", version, about)]
pub struct RuntimeArgs {
    /// Script, binary, ecosystem file, or a command (`npm -- start`).
    pub target: String,
    /// Arguments for the script or command (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
    /// Number of instances.
    #[arg(short = 'i', long, allow_hyphen_values = true)]
    pub instances: Option<String>,
    /// Use `env_<name>` of the ecosystem file.
    #[arg(long = "env")]
    pub env: Option<String>,
    /// Only these apps of the ecosystem file (comma separated).
    #[arg(long)]
    pub only: Option<String>,
    /// One JSON object per log line.
    #[arg(long)]
    pub json: bool,
    /// `key=value` log lines.
    #[arg(long)]
    pub format: bool,
    /// Raw log lines (the default).
    #[arg(long)]
    pub raw: bool,
    /// `0|app | line` prefixed log lines.
    #[arg(long)]
    pub formatted: bool,
    /// Keep running when every app has stopped.
    #[arg(long = "no-auto-exit")]
    pub no_auto_exit: bool,
    /// Arguments for node.
    #[arg(long = "node-args", allow_hyphen_values = true)]
    pub node_args: Option<String>,
    /// App name.
    #[arg(long)]
    pub name: Option<String>,
}

/// What the host needs: where, what, and how to print.
pub struct Prepared {
    /// `PM2_HOME`.
    pub home: Home,
    /// The apps, resolved.
    pub apps: Vec<AppSpec>,
    /// Exit once every app has stopped.
    pub auto_exit: bool,
    /// Prints one line as asked.
    pub print: Box<dyn FnMut(&LogLine) + Send>,
}

/// Parses the command line and resolves the apps; an error is one line for the user.
pub fn prepare() -> Result<Prepared> {
    let args = RuntimeArgs::try_parse().map_err(|e| {
        if matches!(
            e.kind(),
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
        ) {
            let _ = e.print();
            std::process::exit(0);
        }
        let text = e.to_string();
        anyhow::anyhow!(
            "{}",
            text.lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
        )
    })?;
    let home = Home::from_env()?;
    let apps = apps(&args, &home)?;
    let style = if args.json {
        LineStyle::Json
    } else if args.format {
        LineStyle::KeyValue
    } else if args.formatted {
        LineStyle::Prefixed
    } else {
        LineStyle::Raw
    };
    let timestamp = (style == LineStyle::KeyValue).then(|| "YYYY-MM-DD-HH:mm:ssZZ".to_string());
    let mut writer = LineWriter::new(style, false, timestamp, None);
    let print = Box::new(move |line: &LogLine| {
        let (text, to_err) = writer.live(line);
        let _ = if to_err || (line.stream == LogStream::Err && writer.style == LineStyle::Raw) {
            std::io::stderr().lock().write_all(text.as_bytes())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|_| out.flush())
        };
    });
    Ok(Prepared {
        home,
        apps,
        auto_exit: !args.no_auto_exit,
        print,
    })
}

fn apps(args: &RuntimeArgs, home: &Home) -> Result<Vec<AppSpec>> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let context = |dir: std::path::PathBuf| ResolveContext {
        cwd: dir,
        caller_env: std::env::vars().collect(),
        env_profile: args.env.clone(),
        home: home.clone(),
        cpus: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
    };
    let path = std::path::Path::new(&args.target);
    let instances = args.instances.as_deref().map(parse_instances).transpose()?;
    if ecosystem::is_ecosystem_file(path) {
        let file = ecosystem::load(path)?;
        for warning in &file.warnings {
            eprintln!("[PM2][WARN] {warning}");
        }
        let dir = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
            .unwrap_or(cwd);
        let only: Option<Vec<&str>> = args.only.as_deref().map(|o| o.split(',').collect());
        let mut specs = Vec::new();
        for mut app in file.apps {
            if let (Some(only), Some(name)) = (&only, &app.name) {
                if !only.contains(&name.as_str()) {
                    continue;
                }
            }
            if instances.is_some() {
                app.instances = instances;
            }
            let label = app.name.clone().unwrap_or_default();
            specs.push(
                ecosystem::resolve(&app, &context(dir.clone()))
                    .map_err(|e| anyhow::anyhow!("{}: app {label:?}: {e}", path.display()))?,
            );
        }
        anyhow::ensure!(
            !specs.is_empty(),
            "{}: no app to start (check --only)",
            path.display()
        );
        return Ok(specs);
    }
    let config = AppConfig {
        name: args.name.clone(),
        script: Some(args.target.clone()),
        args: args.args.clone(),
        instances,
        interpreter_args: args
            .node_args
            .as_deref()
            .map(|a| a.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        ..AppConfig::default()
    };
    Ok(vec![ecosystem::resolve(&config, &context(cwd))?])
}

fn parse_instances(value: &str) -> Result<Instances> {
    Ok(match value {
        "max" | "0" => Instances::Max,
        v => match v.parse::<i64>() {
            Ok(n) if n > 0 => Instances::Count(n as u32),
            Ok(n) => Instances::AllBut(n.unsigned_abs() as u32),
            Err(_) => anyhow::bail!("invalid -i value {v:?}: expected a number or \"max\""),
        },
    })
}
