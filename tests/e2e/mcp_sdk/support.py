"""Helpers for client.py: recording checks, waiting with deadlines, connecting with the
official MCP Python SDK (2.x) over stdio or streamable HTTP, and raw HTTP requests."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

import anyio
import httpx2
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client, types
from mcp.client.streamable_http import streamable_http_client

# Default deadline for conditions (an app coming online, a log line, a notification).
DEADLINE = 20.0
# Bound on one MCP request, so a hung server fails the step instead of the whole run.
REQUEST_TIMEOUT = 30.0


class Failure(Exception):
    """A failed expectation; its message says what was expected and what was seen."""


def expect(condition: Any, message: str) -> None:
    if not condition:
        raise Failure(message)


def short(value: Any, limit: int = 1500) -> str:
    """A value as compact JSON (pydantic models by their wire names), cut to `limit`."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(by_alias=True, mode="json", exclude_none=True)
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def describe(error: BaseException) -> str:
    """An error and, for an exception group (anyio task groups), the errors inside it."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in error.exceptions)
    if isinstance(error, MCPError):
        return f"MCP error {error.code}: {error.message}" + (f" ({short(error.data)})" if error.data else "")
    return f"{type(error).__name__}: {error}"


class Steps:
    """Runs named steps, printing PASS or FAIL with the reason for each, and remembers
    failures so the run can exit non-zero at the end."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.failed: list[str] = []
        self.passed: list[str] = []

    async def run(self, name: str, body: Callable[[], Awaitable[Any]]) -> Any:
        """Runs one step; a failure is printed and recorded, and None returned."""
        try:
            result = await body()
        except Failure as e:
            self._fail(name, str(e))
            return None
        except Exception as e:  # an SDK or protocol error is a failure of this step
            self._fail(name, f"unexpected {describe(e)}")
            if os.environ.get("MCP_SDK_TRACEBACK"):
                traceback.print_exc()
            return None
        self.passed.append(name)
        print(f"PASS {self.scenario}: {name}", flush=True)
        return result

    def _fail(self, name: str, message: str) -> None:
        self.failed.append(name)
        print(f"FAIL {self.scenario}: {name}: {message}", flush=True)

    def exit_code(self) -> int:
        print(
            f"{self.scenario}: {len(self.passed)} passed, {len(self.failed)} failed"
            + (f" ({', '.join(self.failed)})" if self.failed else ""),
            flush=True,
        )
        return 1 if self.failed else 0


async def eventually(what: str, probe: Callable[[], Awaitable[Any]], timeout: float = DEADLINE) -> Any:
    """Calls `probe` until it returns something truthy (returned), or fails after `timeout`
    seconds naming `what` and the last value or error seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = await probe()
            if value:
                return value
            last = value
        except Failure as e:
            last = str(e)
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {short(last)}")
        await anyio.sleep(0.1)


class Notifications:
    """The session's message handler: keeps the URI of every resources/updated notification."""

    def __init__(self) -> None:
        self.updated: list[str] = []
        self.logged: list[str] = []
        self.errors: list[str] = []

    async def __call__(self, message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            self.updated.append(message.params.uri)
        elif isinstance(message, types.LoggingMessageNotification):
            self.logged.append(json.dumps(message.params.data))
        elif isinstance(message, Exception):
            self.errors.append(repr(message))


class Options:
    """What the scenario connects to (from the command line)."""

    def __init__(self, args: Any) -> None:
        self.binary: str = os.path.abspath(args.binary)
        self.transport: str = args.transport
        self.url: str | None = args.url
        self.token: str | None = args.token
        self.work: str = args.work

    def server_env(self) -> dict[str, str]:
        """The variables a stdio server gets from us (the SDK passes only a safe default
        set of the rest, such as PATH and HOME)."""
        names = (
            "PM2_HOME",
            "PM2_MCP_NO_DAEMON",
            "PM2_MCP_TOKEN",
            "RUST_BACKTRACE",
            "CLAUDE_CODE_SANDBOX",
            "TMPDIR",
            "HOME",
        )
        return {name: os.environ[name] for name in names if name in os.environ}


@asynccontextmanager
async def connect(
    options: Options, notifications: Notifications | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized-ready (not yet initialized) ClientSession over the chosen transport."""
    handler = notifications or Notifications()
    if options.transport == "stdio":
        params = StdioServerParameters(command=options.binary, env=options.server_env(), cwd=options.work)
        async with stdio_client(params, errlog=sys.stderr) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT, message_handler=handler) as s:
                yield s
    else:
        expect(options.url, "--url is required with --transport http")
        timeout = httpx2.Timeout(REQUEST_TIMEOUT, read=300.0)
        async with httpx2.AsyncClient(headers=headers or {}, timeout=timeout) as http:
            async with streamable_http_client(options.url, http_client=http) as (read, write):
                async with ClientSession(
                    read, write, read_timeout_seconds=REQUEST_TIMEOUT, message_handler=handler
                ) as s:
                    yield s


def http_post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """One raw POST (urllib, outside the SDK); the status and the start of the body."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json, text/event-stream")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read(2000).decode(errors="replace")


def initialize_body() -> dict[str, Any]:
    """A raw JSON-RPC initialize request."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw-http-check", "version": "0"},
        },
    }


def structured(result: Any, what: str) -> dict[str, Any]:
    """The structuredContent of a successful tool result."""
    expect(not result.is_error, f"{what} returned isError: {short(result)}")
    content = result.structured_content
    expect(isinstance(content, dict), f"{what} has no structuredContent object: {short(result)}")
    return content


def find(processes: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((p for p in processes if p.get("name") == name), None)
