"""Drives pm2-mcp with the official MCP Python SDK (2.x) and checks what it answers.

usage: client.py SCENARIO --binary PM2_MCP --work DIR [--transport stdio|http] [--url URL]
                 [--token TOKEN]

Scenarios:
  main         the whole life of one app through the tools and resources, with a resource
               subscription; over stdio the SDK starts the server (PM2_HOME and
               PM2_MCP_NO_DAEMON are passed on), over http it connects to --url
  http-guards  raw HTTP: a foreign Host header gets 403, another path 404
  http-token   the server runs with PM2_MCP_TOKEN=--token: no or a wrong bearer gets 401,
               the SDK client sending the bearer works
  sandbox      over stdio with CLAUDE_CODE_SANDBOX=true and no PM2_HOME: the client is
               warned with notifications/message and the server uses $TMPDIR/pm2-mcp

Each step prints PASS or FAIL with the reason; the exit code is 1 when any step failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
import uuid
import warnings
from typing import Any

import anyio
from mcp import MCPDeprecationWarning
from support import (
    DEADLINE,
    Failure,
    Notifications,
    Options,
    Steps,
    connect,
    describe,
    eventually,
    expect,
    find,
    http_post,
    initialize_body,
    short,
    structured,
)

TOOLS = [
    "pm2_list_processes",
    "pm2_describe_process",
    "pm2_start_process",
    "pm2_restart_process",
    "pm2_reload_process",
    "pm2_stop_process",
    "pm2_delete_process",
    "pm2_flush_logs",
    "pm2_reload_logs",
    "pm2_dump",
    "pm2_tail_logs",
    "pm2_kill_daemon",
    "pm2_search_logs",  # ours, beyond PM2's twelve
]
SUMMARY_FIELDS = ["name", "pm_id", "pid", "status", "restart_time", "cpu", "memory"]
PROCESSES_URI = "pm2://processes"
PROCESS_TEMPLATE = "pm2://process/{id}"


class App:
    """The app the main scenario manages: a bash script printing a unique line every 200 ms
    and appending its pid to `pids` in the work directory (the test kills leftovers)."""

    def __init__(self, work: str) -> None:
        self.name = f"sdk-{uuid.uuid4().hex[:10]}"
        self.marker = f"tick-{uuid.uuid4().hex}"
        self.secret = f"hunter2-{uuid.uuid4().hex[:8]}"
        self.script = os.path.join(work, f"{self.name}.sh")
        pids = os.path.join(work, "pids")
        with open(self.script, "w") as f:
            f.write(
                "#!/usr/bin/env bash\n"
                f'echo $$ >> "{pids}"\n'
                "n=0\n"
                f'while true; do n=$((n + 1)); echo "{self.marker} $n"; sleep 0.2; done\n'
            )
        os.chmod(self.script, 0o755)
        self.pm_id: int | None = None


async def list_processes(session: Any) -> list[dict[str, Any]]:
    listed = structured(await session.call_tool("pm2_list_processes", {}), "pm2_list_processes")
    processes = listed.get("processes")
    expect(isinstance(processes, list), f"pm2_list_processes: no processes list: {short(listed)}")
    return processes


async def wait_status(session: Any, app: App, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        entry = find(await list_processes(session), app.name)
        return entry if entry and entry.get("status") == status else None

    return await eventually(f"{app.name} to be {status} in pm2_list_processes", probe)


async def read_json(session: Any, uri: str) -> Any:
    result = await session.read_resource(uri)
    expect(result.contents, f"{uri}: no contents: {short(result)}")
    content = result.contents[0]
    expect(content.mime_type == "application/json", f"{uri}: mimeType {content.mime_type!r}, want application/json")
    expect(hasattr(content, "text"), f"{uri}: not a text resource: {short(content)}")
    try:
        return json.loads(content.text)
    except ValueError as e:
        raise Failure(f"{uri}: text is not JSON ({e}): {content.text[:500]!r}") from e


# ----------------------------------------------------------------------------------------
# The main scenario, one function per step
# ----------------------------------------------------------------------------------------


async def initialize(session: Any) -> Any:
    init = await session.initialize()
    expect(init.server_info.name == "pm2-mcp", f"serverInfo.name is {init.server_info.name!r}")
    expect(init.capabilities.tools is not None, f"no tools capability: {short(init.capabilities)}")
    return init


async def check_resource_capability(init: Any) -> None:
    caps = init.capabilities
    expect(caps.resources is not None, f"no resources capability: {short(caps)}")
    expect(caps.resources.subscribe, f"resources capability without subscribe: {short(caps.resources)}")


async def check_tools(session: Any) -> None:
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    missing = [name for name in TOOLS if name not in tools]
    expect(not missing, f"missing tools {missing}; listed {sorted(tools)}")
    for name in TOOLS:
        tool = tools[name]
        expect(tool.description, f"{name} has no description")
        expect(tool.input_schema.get("type") == "object", f"{name} inputSchema: {short(tool.input_schema)}")
        expect(tool.output_schema, f"{name} has no outputSchema")
    props = tools["pm2_start_process"].input_schema.get("properties", {})
    for arg in ["script", "name", "args", "cwd", "instances", "env", "interpreter"]:
        expect(arg in props, f"pm2_start_process inputSchema lacks {arg!r}: {sorted(props)}")


async def check_resource_lists(session: Any) -> None:
    uris = [r.uri for r in (await session.list_resources()).resources]
    expect(PROCESSES_URI in uris, f"resources/list lacks {PROCESSES_URI}: {uris}")
    templates = [t.uri_template for t in (await session.list_resource_templates()).resource_templates]
    expect(PROCESS_TEMPLATE in templates, f"resources/templates/list lacks {PROCESS_TEMPLATE}: {templates}")


async def start_app(session: Any, app: App, work: str) -> None:
    args = {"script": app.script, "name": app.name, "cwd": work, "env": {"API_TOKEN": app.secret}}
    result = await session.call_tool("pm2_start_process", args)
    started = structured(result, "pm2_start_process")
    entry = find(started.get("processes", []), app.name)
    expect(entry is not None, f"pm2_start_process does not list {app.name}: {short(started)}")
    app.pm_id = entry.get("pm_id")
    expect(isinstance(app.pm_id, int), f"pm_id is not a number: {short(entry)}")


async def check_online(session: Any, app: App) -> None:
    entry = await wait_status(session, app, "online")
    absent = [field for field in SUMMARY_FIELDS if field not in entry]
    expect(not absent, f"process summary lacks {absent}: {short(entry)}")
    expect(entry["pm_id"] == app.pm_id, f"pm_id {entry['pm_id']} differs from the start's {app.pm_id}")
    expect(isinstance(entry["pid"], int) and entry["pid"] > 0, f"no pid while online: {short(entry)}")


async def check_host(session: Any, app: App) -> None:
    """The app is a child of the server itself in-process, of the `pm2` daemon otherwise."""
    pid = (await wait_status(session, app, "online"))["pid"]
    with open(f"/proc/{pid}/status") as f:
        ppid = next(int(line.split()[1]) for line in f if line.startswith("PPid:"))
    host = os.path.basename(os.readlink(f"/proc/{ppid}/exe"))
    want = "pm2-mcp" if os.environ.get("PM2_MCP_NO_DAEMON", "true") == "true" else "pm2"
    expect(host == want, f"the app's parent is {host!r} (pid {ppid}), want {want!r}")
    daemon_pid = os.path.join(os.environ["PM2_HOME"], "pm2.pid")
    expect(os.path.exists(daemon_pid) == (want == "pm2"), f"{daemon_pid} exists: {os.path.exists(daemon_pid)}")


async def check_search(session: Any, app: App) -> None:
    args = {"process": app.name, "pattern": f"{app.marker} [0-9]+$", "limit": 3}
    found = structured(await session.call_tool("pm2_search_logs", args), "pm2_search_logs")
    matches = found.get("matches", [])
    expect(0 < len(matches) <= 3, f"want 1 to 3 matches: {short(found)}")
    expect(all(app.marker in m["line"] for m in matches), f"a match lacks the marker: {short(found)}")
    bad = await session.call_tool("pm2_search_logs", {"process": app.name, "pattern": "(unclosed"})
    expect(bad.is_error, f"an invalid pattern is not isError: {short(bad)}")


async def check_tail(session: Any, app: App) -> None:
    async def probe() -> bool:
        args = {"process": app.name, "type": "out", "lines": 20}
        tail = structured(await session.call_tool("pm2_tail_logs", args), "pm2_tail_logs")
        logs = tail.get("logs")
        expect(isinstance(logs, list) and logs, f"no logs list: {short(tail)}")
        for log in logs:
            absent = [f for f in ["pm_id", "name", "type", "file", "lines"] if f not in log]
            expect(not absent, f"log entry lacks {absent}: {short(log)}")
        lines = [line for log in logs for line in log["lines"]]
        expect(any(app.marker in line for line in lines), f"no {app.marker!r} line yet in {short(logs)}")
        return True

    await eventually(f"pm2_tail_logs to show {app.marker!r}", probe)


async def check_restart(session: Any, app: App) -> None:
    before = (await wait_status(session, app, "online"))["restart_time"]
    structured(await session.call_tool("pm2_restart_process", {"process": app.name}), "pm2_restart_process")

    async def probe() -> dict[str, Any] | None:
        entry = find(await list_processes(session), app.name)
        return entry if entry and entry["restart_time"] > before and entry["status"] == "online" else None

    await eventually(f"restart_time to pass {before} with {app.name} online", probe)


async def check_describe_unknown(session: Any) -> None:
    unknown = await session.call_tool("pm2_describe_process", {"process": "no-such-app-7c1d"})
    expect(unknown.is_error, f"describing an unknown process is not isError: {short(unknown)}")


async def check_describe(session: Any, app: App) -> None:
    described = structured(await session.call_tool("pm2_describe_process", {"process": app.name}), "describe")
    entry = (described.get("processes") or [{}])[0]
    absent = [field for field in ["name", "pm_id", "status", "env"] if field not in entry]
    expect(not absent, f"pm2_describe_process lacks {absent}: {short(entry)}")
    expect(entry["name"] == app.name, f"described {entry['name']!r}, want {app.name!r}")
    expect(entry["env"].get("API_TOKEN") == "[redacted]", f"API_TOKEN not redacted: {entry['env'].get('API_TOKEN')!r}")
    expect(app.secret not in json.dumps(described), "the secret appears in the describe output")
    args = {"process": app.name, "revealSecrets": True}
    revealed = structured(await session.call_tool("pm2_describe_process", args), "describe revealSecrets")
    value = revealed["processes"][0]["env"].get("API_TOKEN")
    expect(value == app.secret, f"revealSecrets: API_TOKEN is {value!r}")


async def check_resources(session: Any, app: App) -> None:
    listed = await read_json(session, PROCESSES_URI)
    processes = listed.get("processes") if isinstance(listed, dict) else None
    expect(isinstance(processes, list), f"{PROCESSES_URI} is not {{processes: [...]}}: {short(listed)}")
    expect(find(processes, app.name), f"{PROCESSES_URI} lacks {app.name}: {short(listed)}")
    uri = f"pm2://process/{app.pm_id}"
    details = await read_json(session, uri)
    expect(isinstance(details, dict), f"{uri} is not an object: {short(details)}")
    expect(details.get("name") == app.name, f"{uri} name is {details.get('name')!r}, want {app.name!r}")
    expect(details.get("pm_id") == app.pm_id, f"{uri} pm_id is {details.get('pm_id')!r}")
    expect("status" in details, f"{uri} has no status: {short(details)}")


async def check_dump(session: Any) -> None:
    dumped = structured(await session.call_tool("pm2_dump", {}), "pm2_dump")
    expect(isinstance(dumped.get("file"), str), f"pm2_dump has no file: {short(dumped)}")
    expect(isinstance(dumped.get("count"), int) and dumped["count"] >= 1, f"pm2_dump count: {short(dumped)}")
    expect(os.path.isfile(dumped["file"]), f"pm2_dump's file {dumped['file']} does not exist")


async def check_other_tools(session: Any, app: App) -> None:
    for tool in ["pm2_reload_process", "pm2_flush_logs"]:
        answer = structured(await session.call_tool(tool, {"process": app.name}), tool)
        expect(find(answer.get("processes", []), app.name), f"{tool} does not list {app.name}: {short(answer)}")
    structured(await session.call_tool("pm2_reload_logs", {}), "pm2_reload_logs")
    await wait_status(session, app, "online")


async def subscribe(session: Any, app: App) -> list[str]:
    uris = [f"pm2://process/{app.pm_id}", PROCESSES_URI]
    with warnings.catch_warnings():  # resources/subscribe is deprecated in the 2026 protocol
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        for uri in uris:
            await session.subscribe_resource(uri)
    return uris


async def stop_app(session: Any, app: App) -> None:
    stopped = structured(await session.call_tool("pm2_stop_process", {"process": app.name}), "pm2_stop_process")
    expect(find(stopped.get("processes", []), app.name), f"pm2_stop_process does not list {app.name}")
    await wait_status(session, app, "stopped")


async def check_updated(notes: Notifications, uris: list[str]) -> None:
    async def probe() -> bool:
        return all(uri in notes.updated for uri in uris)

    try:
        await eventually(f"notifications/resources/updated for {uris}", probe, timeout=DEADLINE)
    except Failure as e:
        raise Failure(f"{e}; updates received: {notes.updated}; transport errors: {notes.errors}") from e


async def delete_app(session: Any, app: App) -> None:
    structured(await session.call_tool("pm2_delete_process", {"process": app.name}), "pm2_delete_process")

    async def probe() -> bool:
        processes = await list_processes(session)
        expect(not processes, f"still listed: {short(processes)}")
        return True

    await eventually("the process list to be empty", probe)


async def kill_daemon(session: Any) -> None:
    killed = structured(await session.call_tool("pm2_kill_daemon", {}), "pm2_kill_daemon")
    expect(isinstance(killed.get("killed"), bool), f"pm2_kill_daemon: {short(killed)}")


async def scenario_main(options: Options) -> int:
    mode = os.environ.get("PM2_MCP_NO_DAEMON", "unset")
    steps = Steps(f"main[{options.transport}, PM2_MCP_NO_DAEMON={mode}]")
    notes = Notifications()
    app = App(options.work)
    async with connect(options, notes) as session:
        init = await steps.run("initialize", lambda: initialize(session))
        if init is None:
            return steps.exit_code()
        await steps.run("resources capability with subscribe", lambda: check_resource_capability(init))
        await steps.run("list tools", lambda: check_tools(session))
        await steps.run("list resources and templates", lambda: check_resource_lists(session))
        await steps.run("pm2_start_process", lambda: start_app(session, app, options.work))
        if app.pm_id is None:
            return steps.exit_code()  # nothing else can work without the app
        await steps.run("online in pm2_list_processes", lambda: check_online(session, app))
        await steps.run("the tree runs in the server or the daemon", lambda: check_host(session, app))
        await steps.run("pm2_tail_logs shows its line", lambda: check_tail(session, app))
        await steps.run("pm2_search_logs finds its line", lambda: check_search(session, app))
        await steps.run("pm2_restart_process", lambda: check_restart(session, app))
        await steps.run("pm2_describe_process on an unknown process is isError", lambda: check_describe_unknown(session))
        await steps.run("pm2_describe_process", lambda: check_describe(session, app))
        await steps.run("read resources", lambda: check_resources(session, app))
        await steps.run("pm2_dump", lambda: check_dump(session))
        await steps.run("pm2_reload_process, pm2_flush_logs, pm2_reload_logs", lambda: check_other_tools(session, app))
        uris = await steps.run("resources/subscribe", lambda: subscribe(session, app))
        await steps.run("pm2_stop_process", lambda: stop_app(session, app))
        if uris:
            await steps.run("notifications/resources/updated", lambda: check_updated(notes, uris))
        await steps.run("pm2_delete_process", lambda: delete_app(session, app))
        await steps.run("pm2_kill_daemon", lambda: kill_daemon(session))
    return steps.exit_code()


# ----------------------------------------------------------------------------------------
# HTTP-only scenarios
# ----------------------------------------------------------------------------------------


def other_path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "-elsewhere"))


async def expect_status(url: str, want: int, headers: dict[str, str] | None = None) -> None:
    status, body = await anyio.to_thread.run_sync(lambda: http_post(url, initialize_body(), headers))
    expect(status == want, f"POST {url} with headers {headers or {}}: status {status}, want {want}; body {body!r}")


async def scenario_http_guards(options: Options) -> int:
    steps = Steps("http-guards")
    url = options.url
    await steps.run("a plain POST is served (200)", lambda: expect_status(url, 200))
    await steps.run("foreign Host gets 403", lambda: expect_status(url, 403, {"Host": "evil.example"}))
    await steps.run("another path gets 404", lambda: expect_status(other_path(url), 404))
    return steps.exit_code()


async def sdk_with_bearer(options: Options) -> None:
    headers = {"Authorization": f"Bearer {options.token}"}
    async with connect(options, headers=headers) as session:
        init = await session.initialize()
        expect(init.server_info.name == "pm2-mcp", f"serverInfo.name is {init.server_info.name!r}")
        names = [tool.name for tool in (await session.list_tools()).tools]
        expect("pm2_list_processes" in names, f"tools: {names}")
        await list_processes(session)


async def scenario_http_token(options: Options) -> int:
    steps = Steps("http-token")
    url = options.url
    await steps.run("no Authorization gets 401", lambda: expect_status(url, 401))
    await steps.run("a wrong bearer gets 401", lambda: expect_status(url, 401, {"Authorization": "Bearer wrong"}))
    await steps.run("the SDK client with the bearer works", lambda: sdk_with_bearer(options))
    return steps.exit_code()


async def check_sandbox_warning(init: Any, notes: Notifications, home: str) -> None:
    expect(home in (init.instructions or ""), f"instructions do not name {home}: {init.instructions!r}")

    async def probe() -> bool:
        return any("sandboxed" in m and "CLAUDE_CODE_SANDBOX=true" in m and home in m for m in notes.logged)

    await eventually(f"a notifications/message warning naming {home}", probe)


async def check_sandbox_home(session: Any, home: str) -> None:
    await list_processes(session)
    socket = os.path.join(home, "rpc.sock")
    expect(os.path.exists(socket), f"no {socket}: the server did not use the fallback home")


async def scenario_sandbox(options: Options) -> int:
    steps = Steps("sandbox")
    notes = Notifications()
    home = os.path.join(os.environ["TMPDIR"], "pm2-mcp")
    async with connect(options, notes) as session:
        init = await steps.run("initialize", lambda: initialize(session))
        if init is None:
            return steps.exit_code()
        await steps.run("warned about the sandbox", lambda: check_sandbox_warning(init, notes, home))
        await steps.run("PM2_HOME falls back to $TMPDIR/pm2-mcp", lambda: check_sandbox_home(session, home))
        await steps.run("pm2_kill_daemon", lambda: kill_daemon(session))
    return steps.exit_code()


SCENARIOS = {
    "main": scenario_main,
    "http-guards": scenario_http_guards,
    "http-token": scenario_http_token,
    "sandbox": scenario_sandbox,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--binary", required=True, help="the pm2-mcp binary (started by the SDK over stdio)")
    parser.add_argument("--work", required=True, help="a scratch directory for the app's script")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--url", help="the streamable HTTP endpoint, e.g. http://127.0.0.1:PORT/mcp")
    parser.add_argument("--token", help="the bearer the server was started with (http-token)")
    args = parser.parse_args()
    if args.scenario.startswith("http-"):
        args.transport = "http"  # those scenarios exist for HTTP only
    if args.transport == "http" and not args.url:
        parser.error("--url is required for the http scenarios and for --transport http")
    if args.scenario == "http-token" and not args.token:
        parser.error("--token is required for http-token")
    options = Options(args)
    scenario = SCENARIOS[args.scenario]

    async def run() -> int:
        with anyio.fail_after(240):
            return await scenario(options)

    try:
        return anyio.run(run)
    except Exception as e:  # the session itself broke (server died, transport error...)
        print(f"FAIL: the session ended with {describe(e)}", flush=True)
        if os.environ.get("MCP_SDK_TRACEBACK"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
