//! What the server was asked to be: flags first, then `PM2_MCP_*` variables, then PM2's
//! defaults. Parsed once at start, so a bad value is one clear line before anything runs.

use std::ffi::OsString;

use clap::Parser;
use thiserror::Error;

/// PM2's default port for the HTTP transport.
pub const DEFAULT_PORT: u16 = 8849;
/// PM2's default endpoint path.
pub const DEFAULT_PATH: &str = "/mcp";
/// Loopback: nobody else on the network can reach the server unless told so.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// A setting that cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A transport name nobody knows.
    #[error("unknown transport {value:?} (from {from}): use stdio, http, streamable or sse")]
    Transport { value: String, from: &'static str },
    /// A port that is not a number from 1 to 65535 (0 asks the system for a free one).
    #[error("invalid port {value:?} (from {from}): use a number from 0 to 65535")]
    Port { value: String, from: &'static str },
    /// A boolean variable with another value.
    #[error("invalid value {value:?} for {name}: use true or false")]
    Bool { name: &'static str, value: String },
    /// The endpoint path must be absolute.
    #[error("invalid path {value:?} (from {from}): it must start with /")]
    Path { value: String, from: &'static str },
}

/// How MCP messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// JSON-RPC lines on stdin/stdout (the default; what desktop agents spawn).
    Stdio,
    /// Streamable HTTP (`http`, `streamable`, and `sse` as PM2's alias).
    Http,
}

impl Transport {
    fn parse(value: &str, from: &'static str) -> Result<Transport, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "stdio" => Ok(Transport::Stdio),
            "http" | "streamable" | "streamable-http" | "sse" => Ok(Transport::Http),
            _ => Err(ConfigError::Transport {
                value: value.into(),
                from,
            }),
        }
    }
}

/// The command line of `pm2-mcp`.
#[derive(Debug, Parser)]
#[command(
    name = "pm2-mcp",
    version = pm2_protocol::VERSION,
    about = "MCP server for PM2: lets AI agents list, start, restart, stop and inspect processes"
)]
struct Flags {
    /// stdio (default), http, streamable or sse (an alias of streamable HTTP).
    #[arg(long, value_name = "TRANSPORT")]
    transport: Option<String>,
    /// HTTP port (default 8849).
    #[arg(long, value_name = "PORT")]
    port: Option<String>,
    /// HTTP address to bind (default 127.0.0.1).
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// HTTP endpoint path (default /mcp).
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    /// Register this server as an app of the PM2 daemon (kept alive by it), then exit.
    #[arg(long)]
    pm2: bool,
    /// The app name used with --pm2 (default pm2-mcp).
    #[arg(long, value_name = "NAME")]
    pm2_name: Option<String>,
}

/// Everything the server needs to know, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Stdio or HTTP.
    pub transport: Transport,
    /// HTTP port.
    pub port: u16,
    /// HTTP bind address.
    pub host: String,
    /// HTTP endpoint path.
    pub path: String,
    /// Host the tree in this process (true, PM2's default) or use the daemon.
    pub no_daemon: bool,
    /// No log lines on stderr.
    pub silent: bool,
    /// More log lines on stderr.
    pub debug: bool,
    /// Extra `Host` values accepted by the HTTP transport (loopback is always accepted).
    pub allowed_hosts: Vec<String>,
    /// `Origin` values accepted by the HTTP transport (none: browsers' requests refused).
    pub allowed_origins: Vec<String>,
    /// Check `Host` and `Origin` at all (DNS-rebinding protection).
    pub dns_protection: bool,
    /// A bearer token every HTTP request must carry, when set.
    pub token: Option<String>,
    /// Register with the daemon and exit, under this name.
    pub register_as: Option<String>,
    /// The arguments to give the registered server (these, without --pm2 and --pm2-name).
    pub registered_args: Vec<String>,
}

impl Config {
    /// Reads the command line and the environment. `Err` carries clap's own output (help,
    /// version, usage errors) or a setting that cannot be used.
    pub fn load(
        args: impl IntoIterator<Item = OsString>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, LoadError> {
        let args: Vec<OsString> = args.into_iter().collect();
        let flags = Flags::try_parse_from(&args).map_err(LoadError::Usage)?;
        let transport = match (&flags.transport, env("PM2_MCP_TRANSPORT")) {
            (Some(value), _) => Transport::parse(value, "--transport")?,
            (None, Some(value)) => Transport::parse(&value, "PM2_MCP_TRANSPORT")?,
            (None, None) => Transport::Stdio,
        };
        let port = match (&flags.port, env("PM2_MCP_PORT")) {
            (Some(value), _) => parse_port(value, "--port")?,
            (None, Some(value)) => parse_port(&value, "PM2_MCP_PORT")?,
            (None, None) => DEFAULT_PORT,
        };
        let host = flags
            .host
            .clone()
            .or_else(|| env("PM2_MCP_HOST"))
            .unwrap_or_else(|| DEFAULT_HOST.into());
        let (path, from) = match (&flags.path, env("PM2_MCP_PATH")) {
            (Some(value), _) => (value.clone(), "--path"),
            (None, Some(value)) => (value, "PM2_MCP_PATH"),
            (None, None) => (DEFAULT_PATH.into(), "the default"),
        };
        if !path.starts_with('/') {
            return Err(ConfigError::Path { value: path, from }.into());
        }
        let list = |name| {
            env(name)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let registered_args = registered_args(&args);
        Ok(Config {
            transport,
            port,
            host,
            path,
            no_daemon: flag(env, "PM2_MCP_NO_DAEMON", true)?,
            silent: flag(env, "PM2_SILENT", false)?,
            debug: flag(env, "PM2_MCP_DEBUG", false)?,
            allowed_hosts: list("PM2_MCP_ALLOWED_HOSTS"),
            allowed_origins: list("PM2_MCP_ALLOWED_ORIGINS"),
            dns_protection: flag(env, "PM2_MCP_DNS_PROTECTION", true)?,
            token: env("PM2_MCP_TOKEN").filter(|t| !t.is_empty()),
            register_as: flags
                .pm2
                .then(|| flags.pm2_name.clone().unwrap_or_else(|| "pm2-mcp".into())),
            registered_args,
        })
    }
}

/// Why the server cannot start with what it was given.
#[derive(Debug, Error)]
pub enum LoadError {
    /// clap's help, version or usage text.
    #[error("{0}")]
    Usage(clap::Error),
    /// A setting with a bad value.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn parse_port(value: &str, from: &'static str) -> Result<u16, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Port {
        value: value.into(),
        from,
    })
}

/// A boolean variable: true/false, 1/0, yes/no (any case); unset or empty gives `default`.
fn flag(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    let Some(value) = env(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(default);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Bool { name, value }),
    }
}

/// The command line without `--pm2` and `--pm2-name <name>`: what the registered server runs.
fn registered_args(args: &[OsString]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut skip_next = false;
    for arg in args.iter().skip(1) {
        let arg = arg.to_string_lossy();
        if skip_next {
            skip_next = false;
        } else if arg == "--pm2" || arg.starts_with("--pm2-name=") {
        } else if arg == "--pm2-name" {
            skip_next = true;
        } else {
            kept.push(arg.into_owned());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(args: &[&str], vars: &[(&str, &str)]) -> Result<Config, LoadError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let argv = std::iter::once("pm2-mcp")
            .chain(args.iter().copied())
            .map(OsString::from);
        Config::load(argv, &|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_pm2s() {
        let config = load(&[], &[]).unwrap();
        assert_eq!(config.transport, Transport::Stdio);
        assert_eq!(config.port, 8849);
        assert_eq!(config.host, "127.0.0.1");
        assert_eq!(config.path, "/mcp");
        assert!(config.no_daemon);
        assert!(config.dns_protection);
        assert_eq!(config.register_as, None);
    }

    #[test]
    fn flags_win_over_the_environment() {
        let config = load(
            &["--transport", "sse", "--port", "9000"],
            &[("PM2_MCP_TRANSPORT", "stdio"), ("PM2_MCP_PORT", "1")],
        )
        .unwrap();
        assert_eq!(config.transport, Transport::Http);
        assert_eq!(config.port, 9000);
        let config = load(&[], &[("PM2_MCP_TRANSPORT", "streamable")]).unwrap();
        assert_eq!(config.transport, Transport::Http);
    }

    #[test]
    fn bad_values_name_what_and_where() {
        let err = load(&["--transport", "carrier-pigeon"], &[]).unwrap_err();
        assert!(err.to_string().contains("carrier-pigeon"), "{err}");
        assert!(err.to_string().contains("--transport"), "{err}");
        let err = load(&[], &[("PM2_MCP_PORT", "http")]).unwrap_err();
        assert!(err.to_string().contains("PM2_MCP_PORT"), "{err}");
        let err = load(&[], &[("PM2_MCP_NO_DAEMON", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("PM2_MCP_NO_DAEMON"), "{err}");
        let err = load(&["--path", "mcp"], &[]).unwrap_err();
        assert!(err.to_string().contains("must start with /"), "{err}");
    }

    #[test]
    fn registration_keeps_every_other_argument() {
        let config = load(
            &[
                "--pm2",
                "--transport",
                "http",
                "--pm2-name",
                "agent",
                "--port",
                "0",
            ],
            &[("PM2_MCP_ALLOWED_HOSTS", "a.example, b.example,")],
        )
        .unwrap();
        assert_eq!(config.register_as.as_deref(), Some("agent"));
        assert_eq!(
            config.registered_args,
            ["--transport", "http", "--port", "0"]
        );
        assert_eq!(config.allowed_hosts, ["a.example", "b.example"]);
    }
}
