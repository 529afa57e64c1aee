//! The `pm2-mcp` server: PM2's MCP tools over stdio (rmcp), talking to the daemon's socket.
//!
//! This slice covers the stdio transport and the daemon mode (`PM2_MCP_NO_DAEMON=false` in
//! PM2's terms): every tool call opens a connection to `$PM2_HOME/rpc.sock`, starting the
//! daemon through `pm2 ping` when none answers. The in-process mode, the streamable HTTP
//! transport and resource subscriptions are not built yet.

mod client;

use std::collections::BTreeMap;
use std::path::PathBuf;

use pm2_protocol::dump::Dump;
use pm2_protocol::ecosystem::{self, AppConfig, Instances, ResolveContext};
use pm2_protocol::{Action, Home, ProcessInfo, Request, Response, Target};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use client::Client;

/// Entry point of `pm2-mcp`; returns the process exit code.
pub fn main_entry() -> i32 {
    let home = match home_from_env() {
        Ok(home) => home,
        Err(e) => {
            eprintln!("pm2-mcp: {e}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("pm2-mcp: cannot start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(serve(home)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pm2-mcp: {e}");
            1
        }
    }
}

/// `PM2_MCP_HOME` overrides `PM2_HOME` for the server, else `PM2_HOME`, else `~/.pm2`.
fn home_from_env() -> Result<Home, pm2_protocol::HomeError> {
    match std::env::var_os("PM2_MCP_HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(Home::at(PathBuf::from(home))),
        None => Home::from_env(),
    }
}

async fn serve(home: Home) -> Result<(), String> {
    let service = Pm2Mcp::new(home)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("MCP handshake failed: {e}"))?;
    service
        .waiting()
        .await
        .map_err(|e| format!("MCP session ended abnormally: {e}"))?;
    Ok(())
}

/// Arguments naming processes.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProcessArgs {
    /// A process id, an app name, or "all".
    pub process: String,
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

/// Arguments of `pm2_start_process`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct StartArgs {
    /// The script or binary to run (a path, or a command found in PATH).
    pub script: String,
    /// The app name (defaults to the script's name).
    #[serde(default)]
    pub name: Option<String>,
    /// Arguments passed to the script.
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// Working directory of the app.
    #[serde(default)]
    pub cwd: Option<String>,
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

/// The MCP server: one handle on a PM2 home.
#[derive(Clone)]
pub struct Pm2Mcp {
    home: Home,
    tool_router: ToolRouter<Self>,
}

/// A tool failure, shown to the model as an `isError` result.
fn failure(message: impl Into<String>) -> CallToolResult {
    let message = message.into();
    let mut result = CallToolResult::error(vec![ContentBlock::text(message.clone())]);
    result.structured_content = Some(json!({ "error": message }));
    result
}

/// A success with a human line and the structured value.
fn success(text: impl Into<String>, value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text.into())]);
    result.structured_content = Some(value);
    result
}

/// The compact view of a process (`pm2://processes` and the list tool).
pub fn summary(p: &ProcessInfo) -> Value {
    json!({
        "name": p.spec.name,
        "pm_id": p.pm_id,
        "pid": p.pid,
        "status": p.status.as_str(),
        "restart_time": p.restart_time,
        "cpu": p.monit.cpu,
        "memory": p.monit.memory,
    })
}

fn details(p: &ProcessInfo) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    json!({
        "name": p.spec.name,
        "namespace": p.spec.namespace,
        "pm_id": p.pm_id,
        "pid": p.pid,
        "status": p.status.as_str(),
        "restart_time": p.restart_time,
        "unstable_restarts": p.unstable_restarts,
        "uptime_ms": p.uptime_ms(now),
        "created_at": p.created_at,
        "exit_code": p.exit_code,
        "exec_mode": p.spec.exec_mode.pm2_name(),
        "instances": p.spec.instances,
        "script": p.spec.exec_path,
        "args": p.spec.args,
        "interpreter": p.spec.interpreter_name(),
        "cwd": p.spec.cwd,
        "out_log": p.out_log,
        "err_log": p.err_log,
        "combined_log": p.combined_log,
        "cpu": p.monit.cpu,
        "memory": p.monit.memory,
        "username": p.username,
        "last_error": p.last_error,
    })
}

fn list_text(list: &[ProcessInfo]) -> String {
    if list.is_empty() {
        return "No processes".into();
    }
    list.iter()
        .map(|p| {
            format!(
                "{} {} {} pid={} restarts={} cpu={:.1}% mem={}",
                p.pm_id,
                p.spec.name,
                p.status.as_str(),
                p.pid
                    .map(|pid| pid.to_string())
                    .unwrap_or_else(|| "-".into()),
                p.restart_time,
                p.monit.cpu,
                p.monit.memory
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn processes_result(verb: &str, list: &[ProcessInfo]) -> CallToolResult {
    let text = format!("{verb} {} process(es)\n{}", list.len(), list_text(list));
    let processes: Vec<Value> = list.iter().map(summary).collect();
    success(text, json!({ "processes": processes }))
}

impl Pm2Mcp {
    /// A server on this home.
    pub fn new(home: Home) -> Pm2Mcp {
        Pm2Mcp {
            home,
            tool_router: Self::tool_router(),
        }
    }

    /// One request on a fresh connection (starting the daemon when needed).
    async fn ask(&self, request: Request) -> Result<Response, String> {
        let mut client = Client::connect(&self.home, true)
            .await?
            .ok_or_else(|| "the PM2 daemon is not running".to_string())?;
        match client.request(request).await? {
            Response::Error(e) => Err(e),
            response => Ok(response),
        }
    }

    async fn processes(&self, request: Request) -> Result<Vec<ProcessInfo>, String> {
        match self.ask(request).await? {
            Response::Processes(list) => Ok(list),
            Response::Ok => Ok(Vec::new()),
            other => Err(format!("unexpected answer from the daemon: {other:?}")),
        }
    }

    async fn act(&self, action: Action, process: &str, update_env: bool) -> CallToolResult {
        let request = Request::Act {
            action,
            targets: vec![Target::parse(process)],
            update_env: update_env.then(|| std::env::vars().collect()),
        };
        let verb = match action {
            Action::Stop => "Stopped",
            Action::Restart => "Restarted",
            Action::Reload => "Reloaded",
            Action::Delete => "Deleted",
            Action::Reset => "Reset",
        };
        match self.processes(request).await {
            Ok(list) => processes_result(verb, &list),
            Err(e) => failure(e),
        }
    }

    fn start_config(&self, a: &StartArgs) -> Result<AppConfig, String> {
        let instances = match a.instances {
            None => None,
            Some(0) => Some(Instances::Max),
            Some(n) if n > 0 => Some(Instances::Count(
                u32::try_from(n).map_err(|_| format!("instances {n} is too large"))?,
            )),
            Some(n) => Some(Instances::AllBut(
                u32::try_from(n.unsigned_abs())
                    .map_err(|_| format!("instances {n} is too small"))?,
            )),
        };
        Ok(AppConfig {
            name: a.name.clone(),
            script: Some(a.script.clone()),
            args: a.args.clone().unwrap_or_default(),
            interpreter: a.interpreter.clone(),
            cwd: a.cwd.clone(),
            instances,
            env: a.env.clone().unwrap_or_default(),
            ..AppConfig::default()
        })
    }
}

#[tool_router]
impl Pm2Mcp {
    #[tool(
        name = "pm2_list_processes",
        description = "List the processes PM2 manages, with status, pid, restarts, CPU and memory."
    )]
    async fn list_processes(&self) -> CallToolResult {
        match self.processes(Request::List).await {
            Ok(list) => processes_result("Listed", &list),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_describe_process",
        description = "Describe the processes an id, name or \"all\" names: status, script, logs, uptime, restarts."
    )]
    async fn describe_process(&self, Parameters(a): Parameters<ProcessArgs>) -> CallToolResult {
        let request = Request::Describe {
            targets: vec![Target::parse(&a.process)],
            allow_empty: false,
        };
        match self.processes(request).await {
            Ok(list) => {
                let described: Vec<Value> = list.iter().map(details).collect();
                let text = serde_json::to_string_pretty(&described).unwrap_or_default();
                success(text, json!({ "processes": described }))
            }
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_start_process",
        description = "Start a script or binary under PM2 (name, args, cwd, instances, env and interpreter are optional)."
    )]
    async fn start_process(&self, Parameters(a): Parameters<StartArgs>) -> CallToolResult {
        let config = match self.start_config(&a) {
            Ok(config) => config,
            Err(e) => return failure(e),
        };
        let cwd = match std::env::current_dir() {
            Ok(cwd) => cwd,
            Err(e) => return failure(format!("cannot read the current directory: {e}")),
        };
        let context = ResolveContext {
            cwd,
            caller_env: std::env::vars().collect(),
            env_profile: None,
            pm2_home: self.home.root.clone(),
            cpus: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1),
        };
        let spec = match ecosystem::resolve(&config, &context) {
            Ok(spec) => spec,
            Err(e) => return failure(format!("cannot start {}: {e}", a.script)),
        };
        let request = Request::Start {
            apps: vec![spec],
            force: false,
            existing: None,
        };
        match self.processes(request).await {
            Ok(list) => processes_result("Started", &list),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_restart_process",
        description = "Restart the processes an id, name or \"all\" names; updateEnv takes the server's environment."
    )]
    async fn restart_process(&self, Parameters(a): Parameters<RestartArgs>) -> CallToolResult {
        self.act(Action::Restart, &a.process, a.update_env.unwrap_or(false))
            .await
    }

    #[tool(
        name = "pm2_reload_process",
        description = "Reload (zero-downtime in cluster mode) the processes an id, name or \"all\" names."
    )]
    async fn reload_process(&self, Parameters(a): Parameters<RestartArgs>) -> CallToolResult {
        self.act(Action::Reload, &a.process, a.update_env.unwrap_or(false))
            .await
    }

    #[tool(
        name = "pm2_stop_process",
        description = "Stop the processes an id, name or \"all\" names (they stay in the list)."
    )]
    async fn stop_process(&self, Parameters(a): Parameters<ProcessArgs>) -> CallToolResult {
        self.act(Action::Stop, &a.process, false).await
    }

    #[tool(
        name = "pm2_delete_process",
        description = "Stop and remove the processes an id, name or \"all\" names."
    )]
    async fn delete_process(&self, Parameters(a): Parameters<ProcessArgs>) -> CallToolResult {
        self.act(Action::Delete, &a.process, false).await
    }

    #[tool(
        name = "pm2_flush_logs",
        description = "Empty the log files of the processes an id, name or \"all\" names."
    )]
    async fn flush_logs(&self, Parameters(a): Parameters<ProcessArgs>) -> CallToolResult {
        let request = Request::Flush {
            targets: vec![Target::parse(&a.process)],
        };
        match self.processes(request).await {
            Ok(list) => processes_result("Flushed the logs of", &list),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_reload_logs",
        description = "Reopen every log file (after an external logrotate moved them)."
    )]
    async fn reload_logs(&self) -> CallToolResult {
        match self.ask(Request::ReloadLogs).await {
            Ok(_) => success("Logs reloaded", json!({ "reloaded": true })),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_dump",
        description = "Save the process list to $PM2_HOME/dump.pm2 (pm2 save), for resurrect."
    )]
    async fn dump(&self) -> CallToolResult {
        let list = match self.processes(Request::List).await {
            Ok(list) => list,
            Err(e) => return failure(e),
        };
        let path = self.home.dump_file();
        match Dump::from_processes(&list).write(&path) {
            Ok(()) => success(
                format!("Saved {} process(es) to {}", list.len(), path.display()),
                json!({ "file": path, "count": list.len() }),
            ),
            Err(e) => failure(format!("cannot write {}: {e}", path.display())),
        }
    }

    #[tool(
        name = "pm2_tail_logs",
        description = "The last lines of the out, err or combined logs of the processes an id, name or \"all\" names."
    )]
    async fn tail_logs(&self, Parameters(a): Parameters<TailArgs>) -> CallToolResult {
        let lines = a.lines.unwrap_or(60);
        if !(1..=500).contains(&lines) {
            return failure(format!("lines must be between 1 and 500, not {lines}"));
        }
        let request = Request::Describe {
            targets: vec![Target::parse(&a.process)],
            allow_empty: false,
        };
        let list = match self.processes(request).await {
            Ok(list) => list,
            Err(e) => return failure(e),
        };
        let mut text = String::new();
        let mut logs = Vec::new();
        for p in &list {
            let files = match a.kind {
                LogType::Out => vec![("out", &p.out_log)],
                LogType::Err => vec![("err", &p.err_log)],
                LogType::Combined => vec![("out", &p.out_log), ("err", &p.err_log)],
            };
            for (kind, path) in files {
                let Some(path) = path else { continue };
                let read = match pm2_protocol::tail::last_lines(path, lines as usize) {
                    Ok(read) => read,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                    Err(e) => return failure(format!("cannot read {}: {e}", path.display())),
                };
                let read: Vec<String> = read
                    .iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect();
                text.push_str(&format!(
                    "{} {} {kind} ({}):\n",
                    p.pm_id,
                    p.spec.name,
                    path.display()
                ));
                for line in &read {
                    text.push_str(line);
                    text.push('\n');
                }
                logs.push(json!({
                    "pm_id": p.pm_id,
                    "name": p.spec.name,
                    "type": kind,
                    "file": path,
                    "lines": read,
                }));
            }
        }
        success(text, json!({ "logs": logs }))
    }

    #[tool(
        name = "pm2_kill_daemon",
        description = "Stop every process and the PM2 daemon."
    )]
    async fn kill_daemon(&self) -> CallToolResult {
        let client = match Client::connect(&self.home, false).await {
            Ok(client) => client,
            Err(e) => return failure(e),
        };
        let Some(mut client) = client else {
            return success("The PM2 daemon was not running", json!({ "killed": false }));
        };
        match client.request(Request::Kill).await {
            Ok(Response::Error(e)) => failure(e),
            Ok(_) => success("PM2 daemon killed", json!({ "killed": true })),
            Err(e) => failure(e),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Pm2Mcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("pm2-mcp", pm2_protocol::VERSION))
            .with_instructions(
                "Manage PM2 processes: list, describe, start, restart, reload, stop, delete, \
                 logs, dump, kill. `process` is an id, an app name or \"all\".",
            )
    }
}
