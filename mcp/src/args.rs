//! The tools' inputs. Names and shapes are PM2's (`process` is an id, a name or "all"), so
//! an agent's prompts and habits carry over; the doc comments become the schema
//! descriptions an agent reads.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments naming processes.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProcessArgs {
    /// A process id, an app name, or "all".
    pub process: String,
}

/// Arguments of `pm2_describe_process`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DescribeArgs {
    /// A process id, an app name, or "all".
    pub process: String,
    /// Show the values of secret-looking environment variables (KEY, TOKEN, SECRET,
    /// PASSWORD...) instead of "[redacted]". Default false.
    #[serde(default)]
    pub reveal_secrets: Option<bool>,
}

/// Arguments of restart and reload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartArgs {
    /// A process id, an app name, or "all".
    pub process: String,
    /// Replace the saved environment with the server's environment.
    #[serde(default)]
    pub update_env: Option<bool>,
}

/// Arguments of `pm2_start_process`: a script, or an ecosystem file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartArgs {
    /// The script or binary to run (a path, or a command found in PATH).
    #[serde(default)]
    pub script: Option<String>,
    /// An ecosystem file (ecosystem.toml, .json, .yaml or .config.js) to start instead of a
    /// script.
    #[serde(default)]
    pub json_config_file: Option<String>,
    /// The app name (defaults to the script's name).
    #[serde(default)]
    pub name: Option<String>,
    /// Arguments passed to the script.
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// Working directory of the app (relative paths resolve from the server's directory).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Restart the app when its files change.
    #[serde(default)]
    pub watch: Option<bool>,
    /// Number of instances (0 or -1 mean all cores, or all but that many).
    #[serde(default)]
    pub instances: Option<i64>,
    /// Extra environment variables for the app.
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    /// Interpreter ("node", "python3", "none" to execute directly...).
    #[serde(default)]
    pub interpreter: Option<String>,
}

/// Which log file to read.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogType {
    /// Standard output.
    #[default]
    Out,
    /// Standard error.
    Err,
    /// Both, output first.
    Combined,
}

/// Arguments of `pm2_tail_logs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TailArgs {
    /// A process id, an app name, or "all".
    pub process: String,
    /// Which log: out, err or combined (default out).
    #[serde(default, rename = "type")]
    pub kind: LogType,
    /// How many lines from the end, 1 to 500 (default 60).
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    pub lines: Option<u32>,
}

/// Arguments of `pm2_search_logs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// A process id, an app name, or "all".
    pub process: String,
    /// A regular expression (Rust regex syntax; plain text matches itself). Prefix with
    /// (?i) to ignore case.
    pub pattern: String,
    /// Which log: out, err or combined (default combined).
    #[serde(default, rename = "type")]
    pub kind: Option<LogType>,
    /// How many recent lines of each file to search, 1 to 20000 (default 2000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 20000))]
    pub lines: Option<u32>,
    /// Most matches to return, 1 to 500 (default 100; the latest are kept).
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}
