//! `pm2 serve`'s static file server: what the managed app `static-page-server-<port>` runs
//! (`pm2 __serve`, a hidden command of this binary, as PM2 runs its `Serve.js`).
//!
//! Settings come from the environment the app is started with, PM2's variables
//! (`PM2_SERVE_PATH`, `PM2_SERVE_PORT`, `PM2_SERVE_HOST`, `PM2_SERVE_SPA`,
//! `PM2_SERVE_HOMEPAGE`, `PM2_SERVE_BASIC_AUTH*`), or from the command line when run by hand.
//! It binds 127.0.0.1 unless told otherwise (`--host 0.0.0.0`; PM2 binds every interface).
//!
//! ```text
//! pm2 serve ──Start{ pm2 __serve, env PM2_SERVE_* }──> daemon ──> pm2 __serve
//!                                                        files ──> http (hyper)
//! ```

mod auth;
mod files;
mod http;
mod listing;

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::Args;

/// PM2's default port.
pub const DEFAULT_PORT: u16 = 8080;
/// Our default address: loopback (PM2's is 0.0.0.0).
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Options of `pm2 serve [path] [port]`, PM2's plus `--host`.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Folder to serve (default: the current one).
    pub path: Option<String>,
    /// Port (default 8080).
    pub port: Option<String>,
    /// Port, as a flag.
    #[arg(long = "port", id = "port_flag", value_name = "PORT")]
    pub port_flag: Option<String>,
    /// Serve index.html for paths that match no file (single-page apps).
    #[arg(long)]
    pub spa: bool,
    /// Ask for this user name (HTTP basic auth, with --basic-auth-password).
    #[arg(long = "basic-auth-username")]
    pub basic_auth_username: Option<String>,
    /// Ask for this password (HTTP basic auth, with --basic-auth-username).
    #[arg(long = "basic-auth-password")]
    pub basic_auth_password: Option<String>,
    /// Address to listen on (default 127.0.0.1; `0.0.0.0` for every interface, as PM2).
    #[arg(long)]
    pub host: Option<String>,
    /// Directory listings for folders without index.html (as python's http.server).
    #[arg(long)]
    pub ftp: bool,
    /// PM2's front-end monitoring snippet (Keymetrics): accepted, no effect.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub monitor: Option<String>,
}

/// Arguments of the hidden `pm2 __serve [path] [port] [host]` (as PM2's `Serve.js`); the
/// `PM2_SERVE_*` variables win, as in PM2.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Folder to serve.
    pub path: Option<String>,
    /// Port.
    pub port: Option<String>,
    /// Address.
    pub host: Option<String>,
}

/// What the server does, settled before it binds.
#[derive(Debug, Clone)]
pub struct Options {
    /// The served folder, canonical.
    pub root: PathBuf,
    /// Port.
    pub port: u16,
    /// Address.
    pub host: String,
    /// Unknown paths get the homepage.
    pub spa: bool,
    /// `--ftp`: folders without `index.html` are listed.
    pub ftp: bool,
    /// The page for `/` and folders (`/index.html`).
    pub homepage: String,
    /// The `Authorization` value required, when basic auth is on.
    pub basic_auth: Option<String>,
}

/// Reads a port number, naming where it came from when it is not one.
pub fn parse_port(text: &str, from: &str) -> Result<u16> {
    match text.trim().parse::<u16>() {
        Ok(port) => Ok(port),
        Err(_) => bail!("invalid port {text:?} ({from}): expected 0 to 65535"),
    }
}

/// The basic-auth header both halves ask for; one half alone is a mistake.
pub fn basic_auth(username: Option<&str>, password: Option<&str>) -> Result<Option<String>> {
    match (username, password) {
        (Some(user), Some(password)) => Ok(Some(auth::expected_header(user, password))),
        (None, None) => Ok(None),
        _ => bail!("--basic-auth-username and --basic-auth-password go together"),
    }
}

impl Options {
    /// From the `PM2_SERVE_*` variables, then the arguments, then the defaults.
    pub fn from_env(args: RunArgs) -> Result<Options> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let path = var("PM2_SERVE_PATH")
            .or(args.path)
            .unwrap_or_else(|| ".".into());
        let root = std::fs::canonicalize(&path).with_context(|| format!("cannot serve {path}"))?;
        let port = match var("PM2_SERVE_PORT").or(args.port) {
            Some(text) => parse_port(&text, "PM2_SERVE_PORT")?,
            None => DEFAULT_PORT,
        };
        let on = |name: &str| var(name).as_deref() == Some("true");
        let basic_auth = if on("PM2_SERVE_BASIC_AUTH") {
            basic_auth(
                var("PM2_SERVE_BASIC_AUTH_USERNAME").as_deref(),
                var("PM2_SERVE_BASIC_AUTH_PASSWORD").as_deref(),
            )?
        } else {
            None
        };
        Ok(Options {
            root,
            port,
            host: var("PM2_SERVE_HOST")
                .or(args.host)
                .unwrap_or_else(|| DEFAULT_HOST.into()),
            spa: on("PM2_SERVE_SPA"),
            ftp: on("PM2_SERVE_FTP"),
            homepage: var("PM2_SERVE_HOMEPAGE").unwrap_or_else(|| "/index.html".into()),
            basic_auth,
        })
    }
}

/// `pm2 __serve`: binds, says where (as PM2's `Exposing <dir> directory on <host>:<port>`)
/// and serves until killed.
pub async fn run(args: RunArgs) -> Result<()> {
    let options = Options::from_env(args)?;
    let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", options.host, options.port))?;
    crate::output::emit(&format!(
        "Exposing {} directory on {}:{}",
        options.root.display(),
        options.host,
        options.port
    ));
    http::serve(listener, options).await;
    Ok(())
}
