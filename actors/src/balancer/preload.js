'use strict';
// PM2 cluster-mode preload, loaded into each Node instance with
// NODE_OPTIONS="--require <this file>". The daemon binds each app port once and hands the
// listening sockets down as inherited descriptors (PM2_LISTEN_FDS="port:fd,..."):
//  - net.Server#listen(port) on one of those ports listens on the inherited fd instead of
//    binding (http/https servers inherit from net.Server);
//  - every server that starts listening is reported: {type: 'pm2:listening', port};
//  - SIGINT/SIGTERM (unless the app handles them) and the 'shutdown' message (unless the app
//    listens to messages) stop gracefully: stop accepting, answer with `Connection: close`,
//    close idle keep-alive connections, exit 0 once drained or at PM2_KILL_TIMEOUT - 200 ms.
// It never keeps the process alive and prints nothing unless something is wrong.
(function pm2ClusterPreload() {
  const kLoaded = Symbol.for('pm2.preload.loaded');
  if (process[kLoaded]) return;
  process[kLoaded] = true;
  if (!require('worker_threads').isMainThread) return;

  const fs = require('fs');
  const net = require('net');
  const path = require('path');

  const kPort = Symbol('pm2.requestedPort');
  const kTracked = Symbol('pm2.tracked');

  function warn(message) {
    try {
      process.stderr.write('[PM2][preload] ' + message + '\n');
    } catch (_) {
      // nowhere to report
    }
  }
  function noop() {}

  const channel = process.channel;
  const channelFd = channel && typeof channel.fd === 'number' ? channel.fd : -1;

  // ---- environment: descendants must not inherit our fds' meaning nor this preload ----

  const fdByPort = parseListenFds(process.env.PM2_LISTEN_FDS);
  delete process.env.PM2_LISTEN_FDS;
  // Started before the app's port was known: listen(port) asks the daemon for the socket
  // every instance shares (as Node's cluster workers ask their primary) instead of binding.
  const askPorts = process.env.PM2_ASK_PORTS === '1' && channelFd >= 0;
  delete process.env.PM2_ASK_PORTS;
  stripSelfFromNodeOptions();

  const killTimeout = Number(process.env.PM2_KILL_TIMEOUT);
  const drainMs = Math.max(0, (Number.isFinite(killTimeout) && killTimeout > 0 ? killTimeout : 1600) - 200);
  // Idle keep-alive connections get this long to bring one more request (answered with
  // `Connection: close`) before being closed: closing them at once races with a client
  // that is already sending its next request on them.
  const idleGraceMs = Math.min(1000, Math.max(50, Math.floor(drainMs / 4)));

  function parseListenFds(raw) {
    const map = new Map();
    if (typeof raw !== 'string' || raw.trim() === '') return map;
    const bad = [];
    for (const item of raw.split(',')) {
      const entry = item.trim();
      if (!entry) continue;
      const m = /^(\d{1,5}):(\d{1,9})$/.exec(entry);
      const port = m ? Number(m[1]) : 0;
      const fd = m ? Number(m[2]) : -1;
      let ok = port >= 1 && port <= 65535 && fd >= 3 && fd !== channelFd && !map.has(port);
      if (ok) {
        try {
          ok = fs.fstatSync(fd).isSocket();
        } catch (_) {
          ok = false;
        }
      }
      if (ok) map.set(port, fd);
      else bad.push(entry);
    }
    if (bad.length) warn('ignoring unusable PM2_LISTEN_FDS entries: ' + bad.join(','));
    return map;
  }

  function stripSelfFromNodeOptions() {
    const options = process.env.NODE_OPTIONS;
    if (typeof options !== 'string' || options === '') return;
    const self = new Set([__filename]);
    try {
      self.add(fs.realpathSync(__filename));
    } catch (_) {
      // keep __filename only
    }
    const isSelf = (arg) => {
      let p = arg;
      if (p[0] === '"') p = p.slice(1, -1).replace(/\\(.)/g, '$1');
      try {
        p = path.resolve(p);
        if (self.has(p)) return true;
        return self.has(fs.realpathSync(p));
      } catch (_) {
        return false;
      }
    };
    const re = /(^|\s)(?:--require|-r)(?:=|\s+)("(?:[^"\\]|\\.)*"|[^\s"]+)(?=\s|$)/g;
    const stripped = options.replace(re, (all, lead, arg) => (isSelf(arg) ? lead : all)).trim();
    if (stripped === options.trim()) return;
    if (stripped) process.env.NODE_OPTIONS = stripped;
    else delete process.env.NODE_OPTIONS;
  }

  // ---- listen: use the inherited socket for the ports the daemon bound ----

  const servers = new Set(); // listening, or closed but still draining connections
  const usedFds = new Set();
  const originalListen = net.Server.prototype.listen;

  // What Node's listen() would make of its arguments, for the port forms only:
  // (port[, host][, backlog][, cb]) and ({port, host, backlog, signal}[, cb]).
  function portRequest(args) {
    const first = args[0];
    const last = args[args.length - 1];
    const cb = typeof last === 'function' ? last : undefined;
    let port;
    let backlog;
    let signal;
    if (first !== null && typeof first === 'object') {
      if (first._handle || first.handle || typeof first.fd === 'number') return null;
      if (typeof first.port !== 'number' && typeof first.port !== 'string') return null;
      port = first.port;
      backlog = first.backlog;
      signal = first.signal;
    } else if (typeof first === 'number' || (typeof first === 'string' && first.trim() !== '')) {
      port = first;
      backlog = typeof args[1] === 'number' ? args[1] : typeof args[2] === 'number' ? args[2] : undefined;
    } else {
      return null;
    }
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) return null; // a path, or invalid: Node decides
    return { port: n, backlog, signal, cb };
  }

  net.Server.prototype.listen = function listen(...args) {
    let request = null;
    try {
      request = portRequest(args);
      this[kPort] = request ? request.port : undefined;
      track(this);
    } catch (_) {
      request = null;
    }
    const fd = request && request.port > 0 ? fdByPort.get(request.port) : undefined;
    if (fd === undefined && askPorts && request && request.port > 0 && !asked.has(request.port)) {
      return askForSocket(this, request, args);
    }
    if (fd === undefined || usedFds.has(fd)) return originalListen.apply(this, args);
    usedFds.add(fd); // Node owns (and closes) the descriptor from now on
    const options = { fd };
    if (typeof request.backlog === 'number' && request.backlog > 0) options.backlog = request.backlog;
    if (request.signal) options.signal = request.signal;
    return request.cb
      ? originalListen.call(this, options, request.cb)
      : originalListen.call(this, options);
  };

  // ---- ports known only to the code: the daemon binds them once for all instances ----

  const asked = new Set(); // ports asked for once: later servers on them bind as usual
  const waiting = new Map(); // port -> [{ server, request, args }]
  const timers = new Map(); // port -> the timer of its request
  const askTimeoutMs = 5000;

  function askForSocket(server, request, args) {
    const port = request.port;
    let queue = waiting.get(port);
    if (!queue) {
      queue = [];
      waiting.set(port, queue);
      const host = typeof args[0] === 'object' ? args[0].host : typeof args[1] === 'string' ? args[1] : undefined;
      try {
        process.send({ type: 'pm2:bind', port, host: host || undefined }, noop);
      } catch (_) {
        setImmediate(() => answer(port, null));
      }
      // A daemon that never answers (older, or busy) must not leave the app unbound; the
      // timer also keeps the process alive while it waits, as a pending listen would.
      timers.set(port, setTimeout(() => answer(port, null), askTimeoutMs));
    }
    queue.push({ server, request, args });
    return server;
  }

  // The daemon's answer: a listening handle for the port, or null (bind as usual, meeting
  // whatever error the port gives).
  function answer(port, handle) {
    const queue = waiting.get(port);
    if (!queue) return;
    waiting.delete(port);
    clearTimeout(timers.get(port));
    timers.delete(port);
    asked.add(port);
    queue.forEach(({ server, request, args }, i) => {
      try {
        if (handle && i === 0) {
          const rest = [];
          if (typeof request.backlog === 'number' && request.backlog > 0) rest.push(request.backlog);
          if (request.cb) rest.push(request.cb);
          originalListen.call(server, handle, ...rest);
        } else {
          originalListen.apply(server, args);
        }
      } catch (e) {
        server.emit('error', e);
      }
    });
  }

  function onDaemonAnswer(message, handle) {
    if (!message || typeof message !== 'object') return false;
    if (message.type === 'pm2:socket' && handle) {
      answer(Number(message.port), handle);
      return true;
    }
    if (message.type === 'pm2:bind-refused') {
      answer(Number(message.port), null);
      return true;
    }
    return false;
  }

  function track(server) {
    if (server[kTracked]) return;
    server[kTracked] = true;
    server.on('listening', onListening);
    server.on('close', onClose);
  }

  function onListening() {
    servers.add(this);
    if (stopping) {
      stopAccepting(this);
      return;
    }
    try {
      if (typeof process.send !== 'function' || !process.connected) return;
      let port = this[kPort];
      if (!port) {
        const address = this.address();
        port = address && typeof address === 'object' ? address.port : undefined;
      }
      // The descriptor lets the daemon take over a socket the app bound itself (a port
      // known only to the code), so the other instances can share it.
      const fd = this._handle && typeof this._handle.fd === 'number' ? this._handle.fd : -1;
      if (port) process.send({ type: 'pm2:listening', port, fd }, noop);
    } catch (_) {
      // the channel is going away: nothing to report to
    }
  }

  function onClose() {
    servers.delete(this);
    if (stopping && servers.size === 0) setImmediate(exit); // let the app's 'close' listeners run
  }

  // ---- graceful stop ----

  let stopping = false;

  function exit() {
    process.exit(0);
  }

  function gracefulStop() {
    if (stopping) return;
    stopping = true;
    setTimeout(exit, drainMs).unref();
    forceConnectionClose();
    for (const server of Array.from(servers)) stopAccepting(server);
    setInterval(closeIdleConnections, idleGraceMs).unref();
    if (servers.size === 0) setImmediate(exit);
  }

  function stopAccepting(server) {
    if (!server.listening) return; // already closed; its 'close' comes once drained
    // Node >= 19's http close() also destroys idle keep-alive connections at once; keep
    // them for idleGraceMs (see above).
    const own = Object.prototype.hasOwnProperty.call(server, 'closeIdleConnections');
    const saved = own ? server.closeIdleConnections : undefined;
    const suppress = typeof server.closeIdleConnections === 'function';
    try {
      if (suppress) server.closeIdleConnections = noop;
      server.close();
    } catch (e) {
      warn('cannot close a server: ' + (e && e.message));
    } finally {
      if (suppress) {
        if (own) server.closeIdleConnections = saved;
        else delete server.closeIdleConnections;
      }
    }
  }

  function closeIdleConnections() {
    for (const server of servers) {
      try {
        if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
      } catch (_) {
        // keep going; the deadline exits anyway
      }
    }
  }

  // From now on every response whose headers are not written yet says `Connection: close`,
  // so keep-alive clients reconnect (to another instance) instead of reusing this one.
  function forceConnectionClose() {
    let proto;
    try {
      proto = require('http').ServerResponse.prototype;
    } catch (_) {
      return;
    }
    const originalWriteHead = proto.writeHead;
    if (typeof originalWriteHead !== 'function') return;
    proto.writeHead = function writeHead(statusCode, ...rest) {
      if (statusCode >= 200 && !this.headersSent) {
        try {
          this.shouldKeepAlive = false;
          this.setHeader('Connection', 'close');
          const at = typeof rest[0] === 'string' ? 1 : 0;
          if (rest[at] && typeof rest[at] === 'object') rest[at] = withoutConnection(rest[at]);
        } catch (_) {
          // let the original report whatever is wrong with its arguments
        }
      }
      return originalWriteHead.call(this, statusCode, ...rest);
    };
  }

  function withoutConnection(headers) {
    if (Array.isArray(headers)) {
      if (headers.length % 2 !== 0) return headers;
      const out = [];
      for (let i = 0; i < headers.length; i += 2) {
        if (String(headers[i]).toLowerCase() !== 'connection') out.push(headers[i], headers[i + 1]);
      }
      return out;
    }
    const out = {};
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() !== 'connection') out[key] = headers[key];
    }
    return out;
  }

  // Signals: ours only while the app has no handler of its own. If it has one when the
  // signal comes, step aside for good, so it behaves exactly as without this preload (a
  // library that re-raises when it is the only listener, like signal-exit, still can).
  function onSignal(signal) {
    if (process.listeners(signal).some((l) => l !== onSignal)) {
      process.removeListener(signal, onSignal);
      return;
    }
    if (!stopping && servers.size === 0) {
      // Nothing to drain: the default action, as if this preload were not there.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
      return;
    }
    gracefulStop();
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // ---- IPC: 'shutdown', without keeping the process alive or eating the app's messages ----

  if (channel) {
    // Messages that came while the app had no 'message' listener; Node would have queued
    // them for its first one, so we do too.
    let pending = [];
    let replaying = false;
    const othersListen = () => process.listeners('message').some((l) => l !== onMessage);

    function onMessage(message, handle) {
      if (replaying) return;
      if (onDaemonAnswer(message, handle)) return;
      const appListens = othersListen();
      if (!appListens) pending.push([message, handle]);
      if (message === 'shutdown' && !appListens) gracefulStop();
    }

    process.on('newListener', (event, listener) => {
      if (event !== 'message' || listener === onMessage || pending.length === 0) return;
      process.nextTick(() => {
        const queued = pending;
        pending = [];
        replaying = true;
        try {
          for (const [message, handle] of queued) process.emit('message', message, handle);
        } finally {
          replaying = false;
        }
      });
    });

    process.on('message', onMessage);
    // Our listener must not hold the channel open: undo the reference Node took for it and
    // leave the counting (the app's listeners, messages being sent) to Node.
    if (typeof channel.refCounted === 'function' && typeof channel.unrefCounted === 'function') {
      channel.unrefCounted();
    } else {
      channel.unref();
      const update = () => {
        const others =
          othersListen() || process.listenerCount('disconnect') > 0;
        if (process.channel) (others ? process.channel.ref() : process.channel.unref());
      };
      process.on('newListener', (event) => {
        if (event === 'message' || event === 'disconnect') process.nextTick(update);
      });
      process.on('removeListener', (event) => {
        if (event === 'message' || event === 'disconnect') process.nextTick(update);
      });
    }
  }
})();
