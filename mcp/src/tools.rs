//! The tools, with PM2's names and inputs. Each returns a line of text for people and a
//! `structuredContent` value matching its declared output schema for programs; a failure
//! (unknown process, bad argument, tree unreachable) is an `isError` result that says
//! what went wrong, never a protocol error.

use pm2_protocol::dump::Dump;
use pm2_protocol::{Action, ProcessInfo, Request, Response, Target};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{tool, tool_router};
use serde::Serialize;

use crate::args::{
    DescribeArgs, LogType, ProcessArgs, RestartArgs, SearchArgs, StartArgs, TailArgs,
};
use crate::logs;
use crate::server::Pm2Mcp;
use crate::start;
use crate::views::{
    Described, Dumped, Killed, LogsReloaded, Matches, ProcessDetails, ProcessList, Tails,
};

/// A tool failure, shown to the model as an `isError` result.
fn failure(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// A success: a human text and the structured value.
fn success(text: impl Into<String>, value: &impl Serialize) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text.into())]);
    match serde_json::to_value(value) {
        Ok(value) => result.structured_content = Some(value),
        Err(e) => return failure(format!("cannot encode the result: {e}")),
    }
    result
}

fn processes_result(verb: &str, list: &[ProcessInfo]) -> CallToolResult {
    let view = ProcessList::of(list);
    let text = format!("{verb} {} process(es)\n{}", list.len(), view.text());
    success(text, &view)
}

impl Pm2Mcp {
    async fn processes(&self, request: Request) -> Result<Vec<ProcessInfo>, String> {
        match self.backend.ask(request).await? {
            Response::Processes(list) => Ok(list),
            Response::Ok => Ok(Vec::new()),
            other => Err(format!("unexpected answer from the tree: {other:?}")),
        }
    }

    async fn described(&self, process: &str) -> Result<Vec<ProcessInfo>, String> {
        self.processes(Request::Describe {
            targets: vec![Target::parse(process)],
            allow_empty: false,
        })
        .await
    }

    async fn act(&self, action: Action, process: &str, update_env: bool) -> CallToolResult {
        let request = Request::Act {
            action,
            targets: vec![Target::parse(process)],
            update_env: update_env.then(|| std::env::vars().collect()),
            attributes: None,
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
}

#[tool_router(vis = "pub(crate)")]
impl Pm2Mcp {
    #[tool(
        name = "pm2_list_processes",
        description = "List the processes PM2 manages, with status, pid, restarts, CPU and memory.",
        output_schema = schema_for_output::<ProcessList>()
    )]
    async fn list_processes(&self) -> CallToolResult {
        match self.processes(Request::ListBrief).await {
            Ok(list) => processes_result("Listed", &list),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_describe_process",
        description = "Describe the processes an id, name or \"all\" names: status, script, \
                       interpreter, cwd, log files, uptime, restarts, environment (secret-looking \
                       values redacted unless revealSecrets is true).",
        output_schema = schema_for_output::<Described>()
    )]
    async fn describe_process(&self, Parameters(a): Parameters<DescribeArgs>) -> CallToolResult {
        let reveal = a.reveal_secrets.unwrap_or(false);
        match self.described(&a.process).await {
            Ok(list) => {
                let described = Described {
                    processes: list.iter().map(|p| ProcessDetails::of(p, reveal)).collect(),
                };
                let text = serde_json::to_string_pretty(&described).unwrap_or_default();
                success(text, &described)
            }
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_start_process",
        description = "Start a script or binary under PM2 (name, args, cwd, instances, env, watch \
                       and interpreter are optional), or every app of an ecosystem file \
                       (jsonConfigFile).",
        output_schema = schema_for_output::<ProcessList>()
    )]
    async fn start_process(&self, Parameters(a): Parameters<StartArgs>) -> CallToolResult {
        let apps = match start::specs(&a, self.backend.home()) {
            Ok(apps) => apps,
            Err(e) => return failure(e),
        };
        let request = Request::Start {
            apps,
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
        description = "Restart the processes an id, name or \"all\" names; updateEnv takes the \
                       server's environment.",
        output_schema = schema_for_output::<ProcessList>()
    )]
    async fn restart_process(&self, Parameters(a): Parameters<RestartArgs>) -> CallToolResult {
        self.act(Action::Restart, &a.process, a.update_env.unwrap_or(false))
            .await
    }

    #[tool(
        name = "pm2_reload_process",
        description = "Reload (zero-downtime in cluster mode) the processes an id, name or \"all\" \
                       names.",
        output_schema = schema_for_output::<ProcessList>()
    )]
    async fn reload_process(&self, Parameters(a): Parameters<RestartArgs>) -> CallToolResult {
        self.act(Action::Reload, &a.process, a.update_env.unwrap_or(false))
            .await
    }

    #[tool(
        name = "pm2_stop_process",
        description = "Stop the processes an id, name or \"all\" names (they stay in the list).",
        output_schema = schema_for_output::<ProcessList>()
    )]
    async fn stop_process(&self, Parameters(a): Parameters<ProcessArgs>) -> CallToolResult {
        self.act(Action::Stop, &a.process, false).await
    }

    #[tool(
        name = "pm2_delete_process",
        description = "Stop and remove the processes an id, name or \"all\" names.",
        output_schema = schema_for_output::<ProcessList>()
    )]
    async fn delete_process(&self, Parameters(a): Parameters<ProcessArgs>) -> CallToolResult {
        self.act(Action::Delete, &a.process, false).await
    }

    #[tool(
        name = "pm2_flush_logs",
        description = "Empty the log files of the processes an id, name or \"all\" names.",
        output_schema = schema_for_output::<ProcessList>()
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
        description = "Reopen every log file (after an external logrotate moved them).",
        output_schema = schema_for_output::<LogsReloaded>()
    )]
    async fn reload_logs(&self) -> CallToolResult {
        match self.backend.ask(Request::ReloadLogs).await {
            Ok(_) => success("Logs reloaded", &LogsReloaded { reloaded: true }),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_dump",
        description = "Save the process list to $PM2_HOME/dump.pm2 (pm2 save), for resurrect.",
        output_schema = schema_for_output::<Dumped>()
    )]
    async fn dump(&self) -> CallToolResult {
        let list = match self.processes(Request::List).await {
            Ok(list) => list,
            Err(e) => return failure(e),
        };
        let path = self.backend.home().dump_file();
        match Dump::from_processes(&list).write(&path) {
            Ok(()) => success(
                format!("Saved {} process(es) to {}", list.len(), path.display()),
                &Dumped {
                    file: path,
                    count: list.len(),
                },
            ),
            Err(e) => failure(format!("cannot write {}: {e}", path.display())),
        }
    }

    #[tool(
        name = "pm2_tail_logs",
        description = "The last lines (1 to 500, default 60) of the out, err or combined logs of \
                       the processes an id, name or \"all\" names.",
        output_schema = schema_for_output::<Tails>()
    )]
    async fn tail_logs(&self, Parameters(a): Parameters<TailArgs>) -> CallToolResult {
        let lines = a.lines.unwrap_or(60);
        if !(1..=500).contains(&lines) {
            return failure(format!("lines must be between 1 and 500, not {lines}"));
        }
        let request = Request::RecentLogs {
            targets: vec![Target::parse(&a.process)],
            stream: logs::stream_of(a.kind),
            lines,
        };
        let recent = match self.backend.ask(request).await {
            Ok(Response::RecentLogs(recent)) => recent,
            Ok(other) => return failure(format!("unexpected answer from the tree: {other:?}")),
            Err(e) => return failure(e),
        };
        match logs::tail(recent, lines as usize) {
            Ok(tails) => success(logs::tail_text(&tails), &tails),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_search_logs",
        description = "Search the recent log lines of the processes an id, name or \"all\" names \
                       for a regular expression; returns the matching lines (latest kept).",
        output_schema = schema_for_output::<Matches>()
    )]
    async fn search_logs(&self, Parameters(a): Parameters<SearchArgs>) -> CallToolResult {
        let lines = a.lines.unwrap_or(2000);
        if !(1..=20_000).contains(&lines) {
            return failure(format!("lines must be between 1 and 20000, not {lines}"));
        }
        let limit = a.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return failure(format!("limit must be between 1 and 500, not {limit}"));
        }
        let list = match self.described(&a.process).await {
            Ok(list) => list,
            Err(e) => return failure(e),
        };
        let kind = a.kind.unwrap_or(LogType::Combined);
        match logs::search(&list, kind, &a.pattern, lines as usize, limit as usize) {
            Ok(found) => success(logs::search_text(&found), &found),
            Err(e) => failure(e),
        }
    }

    #[tool(
        name = "pm2_kill_daemon",
        description = "Stop every process and the PM2 daemon (or the tree hosted by this server).",
        output_schema = schema_for_output::<Killed>()
    )]
    async fn kill_daemon(&self) -> CallToolResult {
        let client = match self.backend.connect_existing().await {
            Ok(client) => client,
            Err(e) => return failure(e),
        };
        let Some(mut client) = client else {
            return success("PM2 was not running", &Killed { killed: false });
        };
        match client.request(Request::Kill).await {
            Ok(Response::Error(e)) => failure(e.message),
            Ok(_) => success(
                "PM2 killed: every process stopped",
                &Killed { killed: true },
            ),
            Err(e) => failure(e.to_string()),
        }
    }
}
