//! `pm2 serve [path] [port]`: a folder over HTTP as a managed app, `static-page-server-<port>`
//! as PM2 names it, running this binary's hidden `__serve` command.

use std::collections::BTreeMap;

use anyhow::{bail, Context as _, Result};
use pm2_protocol::ecosystem::AppConfig;

use super::{show, start, Context};
use crate::serve::{basic_auth, parse_port, ServeArgs, DEFAULT_HOST, DEFAULT_PORT};

/// `pm2 serve`.
pub async fn serve(ctx: &Context, args: ServeArgs) -> Result<()> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let port = match var("PM2_SERVE_PORT")
        .map(|p| (p, "PM2_SERVE_PORT"))
        .or(args.port.map(|p| (p, "port")))
        .or(args.port_flag.map(|p| (p, "--port")))
    {
        Some((text, from)) => parse_port(&text, from)?,
        None => DEFAULT_PORT,
    };
    let path = var("PM2_SERVE_PATH")
        .or(args.path)
        .unwrap_or_else(|| ".".into());
    let root = std::fs::canonicalize(&path).with_context(|| format!("cannot serve {path}"))?;
    if !root.is_dir() {
        bail!("cannot serve {}: not a folder", root.display());
    }
    let auth = basic_auth(
        args.basic_auth_username.as_deref(),
        args.basic_auth_password.as_deref(),
    )?;
    let host = args.host.unwrap_or_else(|| DEFAULT_HOST.into());
    let mut env = BTreeMap::new();
    env.insert("PM2_SERVE_PORT".to_string(), port.to_string());
    env.insert("PM2_SERVE_PATH".to_string(), root.display().to_string());
    env.insert("PM2_SERVE_HOST".to_string(), host);
    env.insert("PM2_SERVE_SPA".to_string(), args.spa.to_string());
    env.insert("PM2_SERVE_FTP".to_string(), args.ftp.to_string());
    if auth.is_some() {
        env.insert("PM2_SERVE_BASIC_AUTH".to_string(), "true".into());
        for (key, value) in [
            ("PM2_SERVE_BASIC_AUTH_USERNAME", &args.basic_auth_username),
            ("PM2_SERVE_BASIC_AUTH_PASSWORD", &args.basic_auth_password),
        ] {
            env.insert(key.to_string(), value.clone().unwrap_or_default());
        }
    }
    let exe = std::env::current_exe().context("cannot find the pm2 binary")?;
    let config = AppConfig {
        name: Some(
            ctx.options
                .name
                .clone()
                .unwrap_or_else(|| format!("static-page-server-{port}")),
        ),
        script: Some(exe.display().to_string()),
        args: vec!["__serve".into()],
        interpreter: Some("none".into()),
        cwd: Some(root.display().to_string()),
        env,
        ..AppConfig::default()
    };
    let mut client = start::start_app(ctx, config).await?;
    ctx.printer
        .info(format!("Serving {} on port {port}", root.display()));
    show::print_table(ctx, &mut client).await
}
