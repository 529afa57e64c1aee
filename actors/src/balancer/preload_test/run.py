#!/usr/bin/env python3
"""Harness for ../preload.js: real node children sharing listening sockets passed as fds.

usage: python3 run.py [--rounds N] [--preload PATH]
Everything talks to 127.0.0.1 only. Exit status 0 when every check passes.
"""
import argparse
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PRELOAD = os.path.join(os.path.dirname(HERE), 'preload.js')
KILL_TIMEOUT_MS = 1600
TMP = tempfile.mkdtemp(prefix='pm2-preload-test-')

failures = []
all_children = []


def check(cond, what):
    print(('  ok    ' if cond else '  FAIL  ') + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def listening_socket(want_fd=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(511)
    if want_fd is not None and s.fileno() != want_fd:
        try:
            os.fstat(want_fd)
        except OSError:  # free: move the socket there
            os.dup2(s.fileno(), want_fd, inheritable=False)
            s.close()
            s = socket.socket(fileno=want_fd)
    return s.getsockname()[1], s


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


class Child:
    """A node process with the preload, the given sockets, and a socketpair as IPC channel."""

    def __init__(self, script, listeners=(), ipc=True, args=(), preload=True, env_extra=None,
                 node_options=None, listen_fds=None):
        env = {k: v for k, v in os.environ.items() if k not in ('NODE_OPTIONS', 'NODE_CHANNEL_FD')}
        if preload:
            env['NODE_OPTIONS'] = node_options or f'--require {PRELOAD}'
        env['PM2_LISTEN_FDS'] = listen_fds if listen_fds is not None else ','.join(
            f'{port}:{s.fileno()}' for port, s in listeners)
        env['PM2_KILL_TIMEOUT'] = str(KILL_TIMEOUT_MS)
        env.update(env_extra or {})
        pass_fds = [s.fileno() for _, s in listeners]
        self.ipc = None
        self.messages = queue.Queue()
        child_end = None
        if ipc:
            self.ipc, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            env['NODE_CHANNEL_FD'] = str(child_end.fileno())
            pass_fds.append(child_end.fileno())
        self.started = time.monotonic()
        self.proc = subprocess.Popen(['node', script, *args], env=env, pass_fds=pass_fds,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if child_end is not None:
            child_end.close()
            threading.Thread(target=self._read_ipc, daemon=True).start()
        self.out = self.err = None
        self.exited_at = None
        self.done = threading.Event()
        threading.Thread(target=self._wait, daemon=True).start()
        all_children.append(self)

    def _read_ipc(self):
        buf = b''
        while True:
            try:
                chunk = self.ipc.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                self.messages.put(json.loads(line))

    def _wait(self):
        self.out, self.err = self.proc.communicate()
        self.exited_at = time.monotonic()
        self.done.set()

    def message(self, pred, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                m = self.messages.get(timeout=left)
            except queue.Empty:
                return None
            if pred(m):
                return m

    def wait_listening(self, port, timeout=5.0):
        return self.message(lambda m: m == {'type': 'pm2:listening', 'port': port}, timeout)

    def send(self, value):
        self.ipc.sendall((json.dumps(value) + '\n').encode())

    def signal(self, sig):
        self.sent_at = time.monotonic()
        self.proc.send_signal(sig)

    def wait(self, timeout=10.0):
        self.done.wait(timeout)
        return self.proc.returncode

    def stop_ms(self):
        return round((self.exited_at - self.sent_at) * 1000)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.done.wait(5)


def get(port, keep_alive=False, timeout=5.0):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    conn.request('GET', '/', headers={} if keep_alive else {'Connection': 'close'})
    r = conn.getresponse()
    body = r.read().decode()
    if not keep_alive:
        conn.close()
    return r.status, body, r.getheader('Connection'), conn


SERVER = """http.createServer((q, s) => s.end(String(process.pid))).listen({port});"""


def server_script(port, name='server.js', prefix='', body=SERVER):
    return write(name, "const http = require('http');\n" + prefix + body.format(port=port) + '\n')


# ---------------------------------------------------------------------------------------

def test_forms():
    print('listen() forms, fd use, env cleanup, pm2:listening for each', flush=True)
    socks = [listening_socket() for _ in range(5)]
    ports = [p for p, _ in socks]
    free = free_port()
    path = os.path.join(TMP, 'forms.sock')
    cfg = {'ports': ports, 'fds': [s.fileno() for _, s in socks], 'free': free, 'path': path}
    c = Child(os.path.join(HERE, 'forms.js'), socks, args=[json.dumps(cfg)],
              node_options=f'--max-old-space-size=200 --require {PRELOAD}')
    rc = c.wait()
    check(rc == 0, f'forms fixture exits 0 (rc={rc}, stderr={c.err.strip()!r})')
    res = json.loads(c.out.strip().splitlines()[-1])
    cases = res['cases']
    names = list(cases)
    for i in range(5):
        case = cases[names[i]]
        check(case.get('fd') == socks[i][1].fileno() and case.get('address') == f'127.0.0.1:{ports[i]}'
              and (i == 0 or case.get('cbCalled')),
              f'{names[i]} -> inherited fd {socks[i][1].fileno()} ({case})')
    check(cases['second server, same port'].get('error') == 'EADDRINUSE',
          f"second server on the same port falls through to a real bind ({cases['second server, same port']})")
    zero = cases['listen(0)']
    check(zero.get('fd') not in cfg['fds'] and zero.get('address', '').startswith('127.0.0.1:'),
          f'listen(0) binds its own port ({zero})')
    check(cases['listen(path)'].get('address') == path, f"listen(path) unchanged ({cases['listen(path)']})")
    un = cases['listen(unmapped port)']
    check(un.get('address') == f'127.0.0.1:{free}' and un.get('fd') not in cfg['fds'],
          f'unmapped port binds itself ({un})')
    check(res['env'] == {'NODE_OPTIONS': '--max-old-space-size=200'},
          f"PM2_LISTEN_FDS removed, preload stripped from NODE_OPTIONS for descendants ({res['env']})")
    got = []
    while not c.messages.empty():
        got.append(c.messages.get())
    want = [{'type': 'pm2:listening', 'port': p} for p in ports + [int(zero['address'].split(':')[1]), free]]
    check(got == want, f'pm2:listening for each TCP server, in order, none for the path/failed ones ({got})')
    for _, s in socks:
        s.close()


def test_bad_env():
    print('unusable PM2_LISTEN_FDS entries', flush=True)
    script = write('short.js', "console.log('short')\n")
    c = Child(script, ipc=False, listen_fds='abc,3000:99,70000:5')
    rc = c.wait()
    lines = c.err.strip().splitlines()
    check(rc == 0 and c.out == 'short\n' and len(lines) == 1 and lines[0].startswith('[PM2][preload] '),
          f'one stderr line, app runs ({lines})')


def test_share(port, sock):
    print('two instances share the inherited socket', flush=True)
    script = server_script(port)
    a, b = Child(script, [(port, sock)]), Child(script, [(port, sock)])
    ok = check(a.wait_listening(port) is not None and b.wait_listening(port) is not None,
               f'both send {{"type":"pm2:listening","port":{port}}} over NODE_CHANNEL_FD')
    seen = {}
    for _ in range(400):
        _, body, _, _ = get(port)
        seen[body] = seen.get(body, 0) + 1
        if len(seen) == 2 and min(seen.values()) >= 5:
            break
    check(set(seen) == {str(a.proc.pid), str(b.proc.pid)}, f'both pids answer ({seen})')
    for c in (a, b):
        c.signal(signal.SIGINT)
    for c in (a, b):
        rc = c.wait()
        check(rc == 0 and c.out == '' and c.err == '', f'pid {c.proc.pid} stops with 0, silent (rc={rc}, '
              f'{c.stop_ms()} ms)')
    return ok


def test_reload(port, sock, rounds, duration_ms=3000, clients=2):
    print(f'rolling reload under keep-alive load: {rounds} x {duration_ms} ms, {clients} clients, '
          '2 instances, 3 replacements per round', flush=True)
    script = server_script(port)
    total = {'ok': 0, 'failed': 0, 'errors': {}, 'connectionClose': 0, 'sockets': 0}
    stops = []
    for _ in range(rounds):
        live = [Child(script, [(port, sock)]) for _ in range(2)]
        for c in live:
            c.wait_listening(port)
        load = subprocess.Popen(['node', os.path.join(HERE, 'load.js'), str(port), str(duration_ms), str(clients)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stopped = []
        time.sleep(0.4)
        for _ in range(3):
            new = Child(script, [(port, sock)])
            if not new.wait_listening(port):
                check(False, 'replacement listening')
            old = live.pop(0)
            old.signal(signal.SIGINT)
            stopped.append(old)
            live.append(new)
            time.sleep(duration_ms / 1000 * 0.25)
        out, err = load.communicate(timeout=duration_ms / 1000 + 30)
        stats = json.loads(out)
        for k in ('ok', 'failed', 'connectionClose', 'sockets'):
            total[k] += stats[k]
        for k, v in stats['errors'].items():
            total['errors'][k] = total['errors'].get(k, 0) + v
        for c in stopped:
            rc = c.wait()
            stops.append((rc, c.stop_ms(), c.err))
        for c in live:
            c.signal(signal.SIGINT)
            c.wait()
    print(f'        load: {total}', flush=True)
    print(f'        stop times (ms): {[ms for _, ms, _ in stops]}', flush=True)
    check(total['failed'] == 0 and total['ok'] > 0, f"no failed request ({total['ok']} ok, {total['failed']} failed)")
    check(all(rc == 0 and err == '' for rc, _, err in stops),
          f'every stopped instance exits 0, silently ({[(rc, err) for rc, _, err in stops if rc or err]})')
    check(all(ms < KILL_TIMEOUT_MS - 100 for _, ms, _ in stops), 'every stop beats the kill timeout')
    return total, stops


def test_inflight(port, sock):
    print('a request in flight at SIGINT completes, with Connection: close', flush=True)
    script = server_script(port, 'slow.js', body="http.createServer((q, s) => setTimeout(() => "
                           "s.end(String(process.pid)), 400)).listen({port});")
    c = Child(script, [(port, sock)])
    c.wait_listening(port)
    result = {}

    def req():
        try:
            status, body, connection, _ = get(port, keep_alive=True)
            result.update(status=status, body=body, connection=connection, at=time.monotonic())
        except Exception as e:  # noqa: BLE001 (reported below)
            result.update(error=repr(e))

    t = threading.Thread(target=req)
    t.start()
    time.sleep(0.1)
    c.signal(signal.SIGINT)
    t.join(10)
    rc = c.wait()
    check(result.get('status') == 200 and result.get('body') == str(c.proc.pid)
          and result.get('connection') == 'close', f'in-flight request answered ({result.get("status")}, '
          f'Connection: {result.get("connection")}, {result.get("error", "")})')
    check(rc == 0 and c.stop_ms() < 400 + 200, f'exit 0 once drained ({c.stop_ms()} ms after SIGINT)')


def test_shutdown_message(port, sock):
    print("IPC 'shutdown' stops gracefully; an idle keep-alive connection is closed", flush=True)
    script = server_script(port)
    c = Child(script, [(port, sock)])
    c.wait_listening(port)
    status, body, connection, conn = get(port, keep_alive=True)  # stays open, idle
    c.sent_at = time.monotonic()
    c.send('shutdown')
    rc = c.wait()
    closed = conn.sock.recv(1) == b''
    check(status == 200 and connection == 'keep-alive' and closed, 'idle keep-alive connection closed by the server')
    check(rc == 0, f"'shutdown' -> exit 0 in {c.stop_ms()} ms (idle grace {(KILL_TIMEOUT_MS - 200) // 4} ms)")
    conn.close()
    c2 = Child(script, [(port, sock)])
    c2.wait_listening(port)
    c2.sent_at = time.monotonic()
    c2.send('shutdown')
    rc = c2.wait()
    check(rc == 0 and c2.stop_ms() < 300, f"'shutdown' with no connection -> exit 0 in {c2.stop_ms()} ms")
    script = server_script(port, 'ownmsg.js', prefix="process.on('message', (m) => { if (m === 'shutdown') "
                           "{ console.log('app-shutdown'); setTimeout(() => process.exit(5), 200); } });\n")
    c3 = Child(script, [(port, sock)])
    c3.wait_listening(port)
    c3.sent_at = time.monotonic()
    c3.send('shutdown')
    time.sleep(0.1)
    status, body, _, _ = get(port)
    rc = c3.wait()
    check(status == 200 and rc == 5 and c3.out == 'app-shutdown\n',
          f"app with its own 'message' listener handles 'shutdown' itself (served meanwhile, rc={rc})")


def test_short_scripts():
    print('short scripts exit promptly with NODE_CHANNEL_FD set', flush=True)
    short = write('short.js', "console.log('short')\n")
    base = Child(short, ipc=True, preload=False)
    base.wait()
    base_ms = round((base.exited_at - base.started) * 1000)
    c = Child(short)
    rc = c.wait()
    ms = round((c.exited_at - c.started) * 1000)
    check(rc == 0 and c.out == 'short\n' and c.err == '' and ms < base_ms + 300,
          f'print-and-exit: {ms} ms (without preload {base_ms} ms)')
    ready = write('ready.js', "process.send('ready');\n")
    c = Child(ready)
    rc = c.wait()
    ms = round((c.exited_at - c.started) * 1000)
    check(rc == 0 and c.message(lambda m: m == 'ready', 2) == 'ready' and ms < base_ms + 300,
          f"process.send('ready') delivered, exit in {ms} ms")
    listens = write('listens.js', "process.on('message', (m) => { if (m === 'bye') process.exit(3); });\n")
    c = Child(listens)
    time.sleep(1.0)
    alive = c.proc.poll() is None
    c.send('bye')
    rc = c.wait()
    check(alive and rc == 3, "an app's own 'message' listener still keeps it alive, and gets messages")
    late = write('late.js', "setTimeout(() => process.on('message', (m) => { console.log(m); "
                            "process.exit(0); }), 300);\n")
    c = Child(late)
    time.sleep(0.1)
    c.send('early')
    rc = c.wait()
    check(rc == 0 and c.out == 'early\n', "a message sent before the app's first listener is still delivered")


def test_own_handlers(port, sock):
    print('apps with their own signal handlers keep control', flush=True)
    script = server_script(port, 'ownsig.js', prefix="process.on('SIGINT', () => { console.log('app-sigint'); "
                           "setTimeout(() => process.exit(7), 500); });\n")
    c = Child(script, [(port, sock)])
    c.wait_listening(port)
    c.signal(signal.SIGINT)
    time.sleep(0.15)
    status, body, connection, _ = get(port)
    rc = c.wait()
    check(status == 200 and body == str(c.proc.pid) and connection == 'close' and rc == 7
          and c.out == 'app-sigint\n', f'own SIGINT handler: still serving after SIGINT, rc={rc}')
    script = server_script(port, 'sigexit.js', prefix="const h = () => { if (process.listeners('SIGINT')"
                           ".length === 1) { process.removeListener('SIGINT', h); process.kill(process.pid, "
                           "'SIGINT'); } };\nprocess.on('SIGINT', h);\n")
    c = Child(script, [(port, sock)])
    c.wait_listening(port)
    c.signal(signal.SIGINT)
    rc = c.wait()
    check(rc == -signal.SIGINT and c.stop_ms() < 500,
          f'a signal-exit style handler (re-raises when alone) still dies by SIGINT (rc={rc}, {c.stop_ms()} ms)')
    idle = write('idle.js', 'setInterval(() => {}, 1000);\n')
    for sig in (signal.SIGINT, signal.SIGTERM):
        c = Child(idle)
        time.sleep(0.3)
        c.signal(sig)
        rc = c.wait()
        check(rc == -sig, f'no server: {sig.name} keeps its default action (rc={rc})')


def main():
    global PRELOAD
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--duration', type=int, default=3000)
    ap.add_argument('--preload', default=PRELOAD)
    ap.add_argument('--clients', type=int, default=2)
    ap.add_argument('--only', default='')
    opts = ap.parse_args()
    PRELOAD = os.path.abspath(opts.preload)
    port, sock = listening_socket(want_fd=3)
    print(f'node {subprocess.check_output(["node", "--version"], text=True).strip()}, preload {PRELOAD}, '
          f'shared socket 127.0.0.1:{port} at fd {sock.fileno()}', flush=True)
    tests = {
        'forms': test_forms,
        'badenv': test_bad_env,
        'share': lambda: test_share(port, sock),
        'reload': lambda: test_reload(port, sock, opts.rounds, opts.duration, opts.clients),
        'inflight': lambda: test_inflight(port, sock),
        'shutdown': lambda: test_shutdown_message(port, sock),
        'short': test_short_scripts,
        'handlers': lambda: test_own_handlers(port, sock),
    }
    try:
        for name, fn in tests.items():
            if not opts.only or name in opts.only.split(','):
                fn()
    finally:
        for c in all_children:
            c.kill()
    print(f'{len(failures)} failure(s)' + (': ' + '; '.join(failures) if failures else ''), flush=True)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
