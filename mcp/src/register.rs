//! `pm2-mcp --pm2 [--pm2-name NAME]`: hand the server to the PM2 daemon as one of its apps,
//! so it is restarted when it dies and listed by `pm2 ls`, then exit.
//!
//! A server kept by the daemon has no client on its stdin, so it is registered with the
//! HTTP transport, and it talks to that daemon (`PM2_MCP_NO_DAEMON=false`) instead of
//! hosting a second tree.

use std::collections::BTreeMap;

use pm2_protocol::ecosystem::{self, AppConfig, ResolveContext};
use pm2_protocol::{Home, Request, Response};

use crate::client;
use crate::config::{Config, Transport};

/// Registers the server and returns the line to print.
pub async fn register(config: &Config, name: &str, home: &Home) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate pm2-mcp: {e}"))?;
    let mut args = config.registered_args.clone();
    if config.transport == Transport::Stdio {
        args.extend(["--transport".to_string(), "http".to_string()]);
    }
    let app = AppConfig {
        name: Some(name.into()),
        script: Some(exe.display().to_string()),
        args,
        interpreter: Some("none".into()),
        env: BTreeMap::from([("PM2_MCP_NO_DAEMON".to_string(), "false".to_string())]),
        ..AppConfig::default()
    };
    let context = ResolveContext {
        cwd: std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?,
        caller_env: std::env::vars().collect(),
        env_profile: None,
        home: home.clone(),
        cpus: 1,
    };
    let spec = ecosystem::resolve(&app, &context).map_err(|e| format!("cannot register: {e}"))?;
    let mut client = client::connect(home, true)
        .await?
        .ok_or("the PM2 daemon did not start")?;
    let request = Request::Start {
        apps: vec![spec],
        force: false,
        existing: None,
    };
    match client.request(request).await.map_err(|e| e.to_string())? {
        Response::Processes(list) => {
            let ids: Vec<String> = list.iter().map(|p| p.pm_id.to_string()).collect();
            Ok(format!(
                "[PM2] pm2-mcp registered as app {name} (id {}): MCP on http://{}:{}{}",
                ids.join(", "),
                config.host,
                config.port,
                config.path
            ))
        }
        Response::Error(e) => Err(e.message),
        other => Err(format!("unexpected answer from the daemon: {other:?}")),
    }
}
