'use strict';
// Fixture for the harness: every listen() form, one server each, run in sequence.
// argv[2]: JSON {ports: [5 mapped ports], fds: [their fds], free: unmapped free port, path}
const http = require('http');

const cfg = JSON.parse(process.argv[2]);
const p = cfg.ports;
const out = { env: { PM2_LISTEN_FDS: process.env.PM2_LISTEN_FDS, NODE_OPTIONS: process.env.NODE_OPTIONS }, cases: {} };

const cases = [
  ['listen(port)', (s) => s.listen(p[0])],
  ["listen('port', cb)", (s, cb) => s.listen(String(p[1]), cb)],
  ["listen(port, '::1', cb)", (s, cb) => s.listen(p[2], '::1', cb)],
  ["listen(port, 'localhost', 10, cb)", (s, cb) => s.listen(p[3], 'localhost', 10, cb)],
  ["listen({port, host: '0.0.0.0'}, cb)", (s, cb) => s.listen({ port: p[4], host: '0.0.0.0' }, cb)],
  ['second server, same port', (s) => s.listen(p[0], '127.0.0.1')],
  ['listen(0)', (s) => s.listen(0, '127.0.0.1')],
  ['listen(path)', (s) => s.listen(cfg.path)],
  ['listen(unmapped port)', (s) => s.listen(cfg.free, '127.0.0.1')],
];

async function run() {
  for (const [name, start] of cases) {
    await new Promise((resolve) => {
      const server = http.createServer((q, s) => s.end('x'));
      let cbCalled = false;
      server.on('error', (e) => {
        out.cases[name] = { error: e.code };
        resolve();
      });
      server.on('listening', () => {
        setImmediate(() => {
          const a = server.address();
          out.cases[name] = {
            fd: server._handle && server._handle.fd,
            address: typeof a === 'string' ? a : a.address + ':' + a.port,
            cbCalled,
          };
          resolve();
        });
      });
      start(server, () => (cbCalled = true));
    });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  setTimeout(() => process.exit(0), 100); // let the pm2:listening messages go out
}
run();
