'use strict';
// Keep-alive load for the preload harness: N clients, each with its own keep-alive agent,
// request in a loop against 127.0.0.1:PORT for DURATION ms; prints one JSON line.
// usage: node load.js PORT DURATION_MS [CLIENTS]
const http = require('http');

const port = Number(process.argv[2]);
const duration = Number(process.argv[3] || 3000);
const clients = Number(process.argv[4] || 2);
const deadline = Date.now() + duration;
const stats = { ok: 0, failed: 0, errors: {}, pids: {}, connectionClose: 0, sockets: 0 };

function once(agent) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 200 && /^\d+$/.test(body)) {
          stats.ok++;
          stats.pids[body] = (stats.pids[body] || 0) + 1;
          if (String(res.headers.connection).toLowerCase() === 'close') stats.connectionClose++;
        } else {
          fail('status ' + res.statusCode + ' body ' + JSON.stringify(body.slice(0, 40)));
        }
        resolve();
      });
      res.on('error', (e) => { fail(e); resolve(); });
    });
    req.on('socket', (s) => { if (!s.pm2Seen) { s.pm2Seen = true; stats.sockets++; } });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => { fail(e); resolve(); });
  });
}

function fail(e) {
  stats.failed++;
  const key = typeof e === 'string' ? e : (e.code || e.message) + (e.reusedSocket ? ' (reused socket)' : '');
  stats.errors[key] = (stats.errors[key] || 0) + 1;
}

async function client() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (Date.now() < deadline) await once(agent);
  agent.destroy();
}

Promise.all(Array.from({ length: clients }, client)).then(() => {
  process.stdout.write(JSON.stringify(stats) + '\n');
});
