#!/usr/bin/env python3
"""Benchmark our Rust pm2 against the real PM2 (Node.js), same run, same machine.

Standard library only. See README.md in this folder for what each row means.

    tests/bench/run.py            # full run (builds target/release/pm2, ~2-3 min)
    tests/bench/run.py --quick    # fewer repetitions
    tests/bench/run.py --only ours
"""

import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(BENCH_DIR))
PM2_CACHE = os.path.join(BENCH_DIR, ".pm2js")
SYSTEM_PM2 = "/opt/pm2js/node_modules/.bin/pm2"

POLL = 0.005  # seconds between polls for latency measurements
TAG_VAR = "PM2_BENCH_TAG"  # set in every process we start, to find leftovers

LOG_LINES = 200_000  # log throughput: lines printed by the app
LOG_WIDTH = 100  # bytes per line, newline included
LOG_CHUNK = 1000  # lines per write(2) of the app (100 KB)
LOG_RUNS = 3  # median of
LOG_APP = f"""// {LOG_LINES} lines of exactly {LOG_WIDTH} bytes ("line 0000001 xxx...x\\n", numbered from 1),
// written to stdout {LOG_CHUNK} lines per write as fast as it can, then idle (so it is not restarted).
const N = {LOG_LINES}, PER = {LOG_CHUNK}, W = {LOG_WIDTH};
const tpl = Buffer.alloc(PER * W, 'x');
for (let j = 0; j < PER; j++) {{ tpl.write('line ', j * W); tpl[j * W + 12] = 32; tpl[j * W + W - 1] = 10; }}
async function main() {{
  for (let first = 1; first <= N; first += PER) {{
    const n = Math.min(PER, N - first + 1);
    const buf = Buffer.from(tpl.subarray(0, n * W));
    for (let j = 0; j < n; j++) {{
      let v = first + j;
      for (let d = j * W + 11; d >= j * W + 5; d--) {{ buf[d] = 48 + (v % 10); v = (v / 10) | 0; }}
    }}
    if (!process.stdout.write(buf)) await new Promise((r) => process.stdout.once('drain', r));
  }}
  setInterval(() => {{}}, 1 << 30);
}}
main();
"""


def log_expected():
    """The exact bytes LOG_APP prints."""
    pad = "x" * LOG_WIDTH
    return "".join(f"line {i:07d} {pad[:LOG_WIDTH - 14]}\n" for i in range(1, LOG_LINES + 1)).encode()


class BenchError(Exception):
    pass


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- binaries


def build_ours(args):
    if args.ours:
        return os.path.abspath(args.ours)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    binary = os.path.join(target, "release", "pm2")
    if not args.no_build:
        log("cargo build --release")
        r = subprocess.run(["cargo", "build", "--release"], cwd=REPO,
                           stdout=sys.stderr, stderr=sys.stderr)
        if r.returncode != 0:
            if os.path.exists(binary):
                log("WARNING: cargo build failed; benchmarking the existing (possibly stale) binary")
            else:
                raise BenchError("cargo build --release failed")
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{binary} not found (build it or pass --ours)")
    return binary


def find_pm2js(args):
    cand = args.pm2_js or os.environ.get("PM2_JS")
    if cand:
        if not os.access(cand, os.X_OK):
            raise BenchError(f"PM2_JS={cand} is not executable")
        return os.path.abspath(cand)
    for path in (SYSTEM_PM2, os.path.join(PM2_CACHE, "node_modules", ".bin", "pm2")):
        if os.access(path, os.X_OK):
            return path
    if not shutil.which("npm"):
        raise BenchError("PM2 not found and npm is missing (set PM2_JS or use --only ours)")
    log(f"installing pm2@7 into {PM2_CACHE}")
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", PM2_CACHE, "pm2@7"],
                       stdout=sys.stderr, stderr=sys.stderr)
    path = os.path.join(PM2_CACHE, "node_modules", ".bin", "pm2")
    if r.returncode != 0 or not os.access(path, os.X_OK):
        raise BenchError("npm install pm2@7 failed")
    return path


def pm2js_version(binary):
    # `pm2 --version` of PM2 spawns a daemon: read package.json instead.
    pkg = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(binary))), "package.json")
    try:
        with open(pkg) as f:
            data = json.load(f)
        if data.get("name") == "pm2":
            return data.get("version", "?")
    except (OSError, ValueError):
        pass
    return "?"


def ours_version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
        ver = out.strip().split()[-1] if out.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        ver = "?"
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        if rev:
            ver += f" (git {rev}{', uncommitted changes' if dirty else ''})"
    except (OSError, subprocess.SubprocessError):
        pass
    return ver


# ---------------------------------------------------------------- /proc helpers


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def hwm_kib(pid):
    """Peak RSS (VmHWM) since start or the last reset_hwm."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError(f"no VmHWM for pid {pid}")


def reset_hwm(pid):
    """Resets VmHWM to the current RSS (Linux >= 4.0); False when not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime = field 14, stime = field 15
    return int(fields[11]) + int(fields[12])


def cpu_clock_ns(pid):
    """utime+stime of the whole process with ns precision (clock_getcpuclockid), or None."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clock = ctypes.c_int()
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
            return None
        return time.clock_gettime_ns(clock.value)
    except (OSError, AttributeError):
        return None


def tagged_pids(tag):
    me = os.getpid()
    needle = f"{TAG_VAR}={tag}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            pass
    return found


def wait_until(cond, deadline_s, what, interval=POLL):
    end = time.monotonic() + deadline_s
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise BenchError(f"timed out after {deadline_s}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- one implementation


class Impl:
    def __init__(self, key, label, binary, root, tag):
        self.key = key
        self.label = label
        self.bin = binary
        self.dir = os.path.join(root, key)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ, PM2_HOME=self.home, **{TAG_VAR: tag})
        self.env.pop("PM2_JS", None)
        self.seen_pids = set()

    def path(self, name):
        return os.path.join(self.dir, name)

    def run(self, *args, timeout=60, check=True):
        r = subprocess.run([self.bin, *args], env=self.env, cwd=self.dir, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise BenchError(f"{self.label}: pm2 {' '.join(args)} exited {r.returncode}: "
                             f"{(r.stderr or r.stdout).strip()[-500:]}")
        return r

    def popen(self, *args):
        return subprocess.Popen([self.bin, *args], env=self.env, cwd=self.dir, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def jlist(self):
        out = self.run("jlist").stdout
        start = out.find("[")
        if start < 0:
            raise BenchError(f"{self.label}: jlist printed no JSON: {out[:200]!r}")
        procs = json.loads(out[start:])
        for p in procs:
            if p.get("pid"):
                self.seen_pids.add(p["pid"])
        return procs

    def online(self):
        return [p for p in self.jlist() if p.get("pm2_env", {}).get("status") == "online"]

    def daemon_pid(self):
        try:
            with open(os.path.join(self.home, "pm2.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        if alive(pid):
            self.seen_pids.add(pid)
            return pid
        return None

    def kill(self, timeout=60):
        pid = self.daemon_pid()
        try:
            self.run("kill", timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            log(f"{self.label}: pm2 kill timed out")
        if pid:
            try:
                wait_until(lambda: not alive(pid), 10, f"{self.label} daemon {pid} to exit", 0.01)
            except BenchError as e:
                log(str(e))


def write_script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/bash\n" + body)
    os.chmod(path, 0o755)


def read_lines(path):
    try:
        with open(path) as f:
            return [line.split() for line in f.read().splitlines() if line.strip()]
    except OSError:
        return []


# ---------------------------------------------------------------- measurements


def measure(impl, cfg, res):
    """Runs every scenario for one implementation, filling `res` as it goes."""
    js = impl.key == "pm2"

    # apps
    marker = impl.path("cold.marker")
    write_script(impl.path("cold.sh"),
                 f'date +%s%N > "{marker}.tmp" && mv "{marker}.tmp" "{marker}"\nexec sleep 1000\n')
    write_script(impl.path("sleeper.sh"), "exec sleep 1000\n")
    crash_log = impl.path("crash.log")
    write_script(impl.path("crash.sh"), f'echo "$$ $(date +%s%N)" >> "{crash_log}"\nexec sleep 1000\n')

    names = [f"app-{i:02d}" for i in range(cfg.apps)]
    sleeper = impl.path("sleeper.sh")
    crash_opts = dict(min_uptime=0, max_restarts=100000, restart_delay=0, autorestart=True)
    if js:
        eco = impl.path("ecosystem.config.js")
        with open(eco, "w") as f:
            f.write("module.exports = " + json.dumps(
                {"apps": [{"name": n, "script": sleeper} for n in names]}, indent=1) + ";\n")
        crash_eco = impl.path("crash.config.js")
        with open(crash_eco, "w") as f:
            f.write("module.exports = " + json.dumps(
                {"apps": [dict(name="crash", script=impl.path("crash.sh"), **crash_opts)]}) + ";\n")
    else:
        eco = impl.path("ecosystem.toml")
        with open(eco, "w") as f:
            for n in names:
                f.write(f'[[apps]]\nname = "{n}"\nscript = "{sleeper}"\n\n')
        crash_eco = impl.path("crash.toml")
        with open(crash_eco, "w") as f:
            f.write(f'[[apps]]\nname = "crash"\nscript = "{impl.path("crash.sh")}"\n'
                    'min_uptime = 0\nmax_restarts = 100000\nrestart_delay = 0\nautorestart = true\n')

    # 1. cold start
    samples = []
    for i in range(cfg.cold):
        if impl.daemon_pid():
            impl.kill()
        if impl.daemon_pid():
            raise BenchError(f"{impl.label}: daemon still running before cold start")
        for p in (marker, marker + ".tmp"):
            if os.path.exists(p):
                os.unlink(p)
        t0 = time.time_ns()
        proc = impl.popen("start", impl.path("cold.sh"), "--name", "cold")
        wait_until(lambda: os.path.exists(marker), 30, f"{impl.label} cold-start marker")
        seen = time.time_ns()
        with open(marker) as f:
            stamp = int(f.read().strip() or 0)
        samples.append((stamp - t0 if t0 <= stamp <= seen else seen - t0) / 1e6)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise BenchError(f"{impl.label}: `pm2 start` did not return")
        if proc.returncode != 0:
            raise BenchError(f"{impl.label}: cold `pm2 start` exited {proc.returncode}")
        impl.jlist()  # remember the app pid for cleanup
        impl.kill()
    res["cold"] = statistics.median(samples)
    log(f"{impl.label}: cold start ms {['%.1f' % s for s in samples]}")

    # 4a. idle RSS, 0 apps
    impl.run("ping")
    dpid = wait_until(impl.daemon_pid, 10, f"{impl.label} pm2.pid")
    time.sleep(cfg.idle)
    res["rss0"] = rss_kib(dpid) / 1024

    # 2. start N apps from an ecosystem file
    t0 = time.monotonic()
    impl.run("start", eco, timeout=120)
    wait_until(lambda: len(impl.online()) >= cfg.apps, 120, f"{impl.label}: {cfg.apps} apps online")
    res["start50"] = (time.monotonic() - t0) * 1000
    if impl.daemon_pid() != dpid:
        raise BenchError(f"{impl.label}: daemon pid changed")

    # 3. jlist latency
    samples = []
    for _ in range(cfg.jlist):
        t0 = time.monotonic()
        impl.run("jlist")
        samples.append((time.monotonic() - t0) * 1000)
    res["jlist"] = statistics.median(samples)
    if len(impl.online()) < cfg.apps:
        raise BenchError(f"{impl.label}: fewer than {cfg.apps} apps online after jlist runs")

    # 4b. idle RSS, N apps
    time.sleep(cfg.idle)
    res["rss50"] = rss_kib(dpid) / 1024

    # 5. idle CPU, N apps
    tck = os.sysconf("SC_CLK_TCK")
    c0, n0, t0 = cpu_ticks(dpid), cpu_clock_ns(dpid), time.monotonic()
    time.sleep(cfg.cpu_window)
    c1, n1, t1 = cpu_ticks(dpid), cpu_clock_ns(dpid), time.monotonic()
    per10 = 10 / (t1 - t0)
    res["cpu"] = (c1 - c0) * 1000 / tck * per10  # ms per 10 s
    res["cpu_tick_ms"] = 1000 / tck * per10
    if n0 is not None and n1 is not None:
        res["cpu_ns"] = (n1 - n0) / 1e6 * per10

    # 6. crash -> restart latency
    impl.run("delete", "all")
    impl.run("start", crash_eco)
    wait_until(lambda: read_lines(crash_log), 30, f"{impl.label} crash app first start")
    samples = []
    for _ in range(cfg.crash):
        pid, _stamp = read_lines(crash_log)[-1]
        pid = int(pid)
        wait_until(lambda: any(p.get("pid") == pid for p in impl.online()), 30,
                   f"{impl.label} crash app online with pid {pid}", 0.01)
        before = len(read_lines(crash_log))
        t0 = time.time_ns()
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(read_lines(crash_log)) > before, 30, f"{impl.label} restart after SIGKILL")
        seen = time.time_ns()
        newpid, stamp = read_lines(crash_log)[-1]
        if int(newpid) == pid:
            raise BenchError(f"{impl.label}: restart line has the killed pid")
        stamp = int(stamp)
        samples.append((stamp - t0 if t0 <= stamp <= seen else seen - t0) / 1e6)
    res["crash"] = statistics.median(samples)
    log(f"{impl.label}: crash->restart ms {['%.1f' % s for s in samples]}")

    # 7. log throughput, beside the same app writing straight to a file
    impl.run("delete", "all")
    measure_logs(impl, cfg, res, dpid)
    return res


def log_pieces(path):
    """A log and the pieces our built-in rotation moved away (`<stem>__<date>.log`), oldest
    first: together they hold everything written."""
    stem = path[:-4] if path.endswith(".log") else path
    return sorted(glob.glob(glob.escape(stem) + "__*.log")) + [path]


def logged_size(path):
    total = 0
    for piece in log_pieces(path):
        try:
            total += os.stat(piece).st_size
        except OSError:
            pass
    return total


def wait_size(path, size, deadline_s, what):
    """Polls until `path` (with its rotated pieces) holds `size` bytes; returns (t_end,
    t_first_byte, bytes at t_first_byte) in time.monotonic() seconds."""
    first = None
    end = time.monotonic() + deadline_s
    while True:
        have = logged_size(path)
        now = time.monotonic()
        if have and first is None:
            first = (now, have)
        if have >= size:
            return now, first[0], first[1]
        if now > end:
            raise BenchError(f"timed out after {deadline_s}s waiting for {what} ({have} of {size} bytes)")
        time.sleep(POLL)


def check_log(path, expected, what):
    data = b""
    for piece in log_pieces(path):
        try:
            with open(piece, "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    if data != expected:
        lines = data.count(b"\n")
        raise BenchError(f"{what}: {len(data)} bytes / {lines} lines, not the {len(expected)} bytes printed; "
                         f"tail {data[-LOG_WIDTH:]!r}")


def unlink(*paths):
    for p in paths:
        for piece in log_pieces(p):
            try:
                os.unlink(piece)
            except FileNotFoundError:
                pass


def measure_logs(impl, cfg, res, dpid):
    """Log throughput, direct-to-file rate and daemon RSS around it (see README)."""
    app = impl.path("logs.js")
    with open(app, "w") as f:
        f.write(LOG_APP)
    expected = log_expected()
    node = shutil.which("node") or "node"
    name = "logs"
    out_log = os.path.join(impl.home, "logs", f"{name}-out.log")
    err_log = os.path.join(impl.home, "logs", f"{name}-error.log")
    direct_out = impl.path("direct.out")
    deadline = 120

    def steady(t0, t_end, t_first, first_bytes):
        # lines/s from the first byte seen to the last, for the log only (5 ms polls: rough)
        span = t_end - t_first
        rate = (len(expected) - first_bytes) / LOG_WIDTH / span if span > 0 else float("nan")
        return f"first byte {(t_first - t0) * 1000:.0f} ms, then {rate:,.0f} lines/s"

    time.sleep(cfg.idle)
    rss_before = rss_kib(dpid)
    have_peak = reset_hwm(dpid)
    direct, logged, rss_after = [], [], []
    for i in range(LOG_RUNS):
        # straight to a file
        unlink(direct_out)
        with open(direct_out, "wb") as out:
            t0 = time.monotonic()
            proc = subprocess.Popen([node, app], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.DEVNULL, env=impl.env, cwd=impl.dir)
        try:
            t_end, t_first, first_bytes = wait_size(direct_out, len(expected), deadline, "direct app")
        finally:
            proc.kill()
            proc.wait()
        direct.append(LOG_LINES / (t_end - t0))
        check_log(direct_out, expected, "direct app")
        log(f"{impl.label}: direct  {t_end - t0:.3f} s = {direct[-1]:,.0f} lines/s "
            f"({steady(t0, t_end, t_first, first_bytes)})")
        unlink(direct_out)

        # through the daemon
        unlink(out_log, err_log)
        t0 = time.monotonic()
        proc = impl.popen("start", app, "--name", name)
        try:
            t_end, t_first, first_bytes = wait_size(out_log, len(expected), deadline, f"{impl.label} out log")
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise BenchError(f"{impl.label}: `pm2 start logs.js` exited {proc.returncode}")
        logged.append(LOG_LINES / (t_end - t0))
        impl.jlist()  # remember the app pid for cleanup
        check_log(out_log, expected, f"{impl.label} out log")
        time.sleep(cfg.idle)
        rss_after.append(rss_kib(dpid))
        log(f"{impl.label}: logged  {t_end - t0:.3f} s = {logged[-1]:,.0f} lines/s "
            f"({steady(t0, t_end, t_first, first_bytes)}); daemon RSS {rss_after[-1] / 1024:.1f} MiB")
        impl.run("delete", name)
        unlink(out_log, err_log)
    peak = hwm_kib(dpid) if have_peak else None
    res["lograte"] = statistics.median(logged)
    res["logdirect"] = statistics.median(direct)
    res["loggrowth"] = dict(before=rss_before / 1024, after=rss_after[0] / 1024,
                            after_all=rss_after[-1] / 1024, peak=peak / 1024 if peak else None)
    if impl.daemon_pid() != dpid:
        raise BenchError(f"{impl.label}: daemon pid changed")


def cleanup(impl):
    impl.kill(timeout=30)
    # anything we started that survived: the daemon, apps, CLIs (all carry our tag)
    for pid in sorted(tagged_pids(impl.env[TAG_VAR])):
        try:
            os.kill(pid, signal.SIGKILL)
            log(f"{impl.label}: killed leftover pid {pid}")
        except OSError:
            pass


# ---------------------------------------------------------------- report

ROWS = [
    ("cold", "Cold start: `pm2 start app` → app running (no daemon; median of {cold})", "ms"),
    ("start50", "Start {apps} apps from an ecosystem file → {apps} online (daemon up)", "ms"),
    ("jlist", "`pm2 jlist` with {apps} apps (median of {jlist})", "ms"),
    ("rss0", "Daemon RSS, idle, 0 apps", "MiB"),
    ("rss50", "Daemon RSS, idle, {apps} apps", "MiB"),
    ("cpu", "Daemon CPU, idle, {apps} apps: utime+stime per 10 s ({window}; /proc stat, 10 ms ticks)", "ms"),
    ("cpu_ns", "Daemon CPU, idle, {apps} apps: same, ns-precise process CPU clock", "ms"),
    ("crash", "Crash → restart: SIGKILL → new process running (median of {crash})", "ms"),
    ("lograte", "Log throughput: {lines_k}k lines of {width} B → file (lines/s, median of {logruns}; "
                "higher is better)", "lines/s"),
    ("logdirect", "… the same app writing straight to a file (`node app.js > file`; median of {logruns})",
     "lines/s"),
    ("loggrowth", "Daemon RSS growth after logging {lines_k}k lines (before → after; peak while logging)",
     "MiB"),
]


def fmt(key, value, res):
    if value is None:
        return "—"
    if value == "failed":
        return "failed"
    if key == "cpu_ns":
        return f"{value:.1f} ms ({value / 100:.3f} %)"
    if key in ("lograte", "logdirect"):
        return f"{value:,.0f} lines/s"
    if key == "loggrowth":
        s = f"{value['after'] - value['before']:+.1f} MiB ({value['before']:.1f} → {value['after']:.1f}"
        if value["after_all"] is not None:
            s += f"; {value['after_all']:.1f} after {LOG_RUNS * LOG_LINES // 1000}k"
        if value["peak"] is not None:
            s += f"; peak {value['peak']:.1f}"
        return s + ")"
    if key == "cpu":
        s = f"{value:.0f} ms ({value / 100:.2f} %)"
        if value == 0:
            s = f"< {res['cpu_tick_ms']:.0f} ms (< {res['cpu_tick_ms'] / 100:.2f} %)"
        return s
    unit = "MiB" if key.startswith("rss") else "ms"
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def ratio(key, ours, theirs, res_ours, res_pm2):
    if key == "logdirect":
        # each implementation against the direct rate measured in its own pass
        parts = []
        for label, res in (("ours", res_ours), ("PM2", res_pm2)):
            rate, direct = res.get("lograte"), res.get("logdirect")
            if isinstance(rate, (int, float)) and isinstance(direct, (int, float)) and direct > 0:
                parts.append(f"{label} = {100 * rate / direct:.0f} % of direct")
        return "; ".join(parts) or "—"
    if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)):
        return "—"
    if key == "lograte":  # throughput: higher is better
        return f"{ours / theirs:.1f}×" if theirs > 0 else "—"
    if key == "cpu" and (ours == 0 or theirs == 0):
        tick = res_ours["cpu_tick_ms"]
        if ours == 0 and theirs > 0:
            return f"> {theirs / tick:.0f}×"
        if theirs == 0 and ours > 0:
            return f"< {tick / ours:.2f}×"
        return "—"
    if ours == 0:
        return "—"
    return f"{theirs / ours:.1f}×"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def report(cfg, results, versions, errors):
    window = f"{cfg.cpu_window:g} s window"
    lines = [
        "# pm2 (Rust) vs PM2 (Node.js)",
        "",
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
        f"{platform.system()} {platform.release()}",
        f"- ours: {versions.get('ours', '—')}; PM2: {versions.get('pm2', '—')}",
        f"- mode: {'quick' if cfg.quick else 'full'}; lower is better except log throughput (lines/s); "
        "ratio = how many times better we are: PM2 / ours, ours / PM2 for throughput",
        "",
        "| metric | ours | PM2 | ratio |",
        "|---|---:|---:|---:|",
    ]
    ro = results.get("ours", {})
    rp = results.get("pm2", {})
    for key, title, _unit in ROWS:
        title = title.format(apps=cfg.apps, cold=cfg.cold, jlist=cfg.jlist, crash=cfg.crash, window=window,
                             lines_k=LOG_LINES // 1000, width=LOG_WIDTH, logruns=LOG_RUNS)
        lines.append(f"| {title} | {fmt(key, ro.get(key), ro)} | {fmt(key, rp.get(key), rp)} "
                     f"| {ratio(key, ro.get(key), rp.get(key), ro, rp)} |")
    if errors:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 5 s CPU window")
    ap.add_argument("--only", choices=["ours", "pm2"], help="benchmark only one implementation")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    ap.add_argument("--ours", help="path to our pm2 binary (default target/release/pm2)")
    ap.add_argument("--pm2-js", help="path to PM2's pm2 (default $PM2_JS, /opt/pm2js, or npm install)")
    ap.add_argument("--apps", type=int, default=50, help="apps for the ecosystem scenarios (default 50)")
    ap.add_argument("--output", default=os.path.join(BENCH_DIR, "results.md"),
                    help="also write the table here (default tests/bench/results.md; '' for none)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    cfg = ap.parse_args()
    cfg.cold = 3 if cfg.quick else 5
    cfg.jlist = 10 if cfg.quick else 20
    cfg.crash = 3 if cfg.quick else 5
    cfg.cpu_window = 5.0 if cfg.quick else 10.0
    cfg.idle = 2.0

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    tag = uuid.uuid4().hex
    root = tempfile.mkdtemp(prefix="pm2bench-")
    impls, results, versions, errors = [], {}, {}, []
    try:
        if cfg.only != "pm2":
            binary = build_ours(cfg)
            versions["ours"] = ours_version(binary)
            impls.append(Impl("ours", "ours", binary, root, tag))
        if cfg.only != "ours":
            binary = find_pm2js(cfg)
            versions["pm2"] = f"{pm2js_version(binary)} ({binary}, node " + (
                subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() or "?") + ")"
            impls.append(Impl("pm2", "PM2", binary, root, tag))
        for impl in impls:
            log(f"--- {impl.label}: {impl.bin} (PM2_HOME={impl.home})")
            started = time.monotonic()
            res = {}
            try:
                measure(impl, cfg, res)
            except (BenchError, subprocess.SubprocessError, OSError, ValueError) as e:
                errors.append(f"{impl.label}: {e}")
                log(f"ERROR {impl.label}: {e}")
                for key, _t, _u in ROWS:
                    res.setdefault(key, "failed")
            finally:
                cleanup(impl)
            results[impl.key] = res
            log(f"{impl.label}: done in {time.monotonic() - started:.0f} s")
    finally:
        for impl in impls:
            try:
                cleanup(impl)
            except Exception as e:  # noqa: BLE001 - best effort
                log(f"cleanup {impl.label}: {e}")
        leftovers = tagged_pids(tag)
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if cfg.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    table = report(cfg, results, versions, errors)
    print(table, end="")
    if cfg.output:
        with open(cfg.output, "w") as f:
            f.write(table)
        log(f"wrote {cfg.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        log(f"ERROR: {e}")
        sys.exit(1)
