'use strict';
// A minimal Redis client (RESP2 over one TCP connection): only Node's own net module, so a
// Code node needs NODE_FUNCTION_ALLOW_BUILTIN and no external package.
const net = require('net');

// redis://[:password@]host[:port][/db]; parsed by hand: the Code node sandbox has no global URL.
const URL_FORM = /^redis:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^:/?#]+)?(?::(\d+))?(?:\/(\d+))?\/?$/;

function parseUrl(url) {
  const m = URL_FORM.exec(String(url || 'redis://127.0.0.1:6379/0'));
  if (!m) throw new Error(`REDIS_URL ${url}: expected redis://[:password@]host[:port][/db]`);
  return { host: m[2] || '127.0.0.1', port: Number(m[3] || 6379), db: Number(m[4] || 0),
    password: m[1] ? decodeURIComponent(m[1]) : '' };
}

function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = Buffer.from(String(a), 'utf8');
    out += `$${s.length}\r\n${s.toString('utf8')}\r\n`;
  }
  return out;
}

// Reads one reply from buf at offset; returns [value, nextOffset] or null when incomplete.
function decode(buf, at) {
  const end = buf.indexOf('\r\n', at);
  if (end < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, end);
  if (type === '+') return [line, end + 2];
  if (type === '-') return [new Error(line), end + 2];
  if (type === ':') return [Number(line), end + 2];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, end + 2];
    if (buf.length < end + 2 + n + 2) return null;
    return [buf.toString('utf8', end + 2, end + 2 + n), end + 2 + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return [null, end + 2];
    const items = [];
    let pos = end + 2;
    for (let i = 0; i < n; i++) {
      const r = decode(buf, pos);
      if (!r) return null;
      items.push(r[0]);
      pos = r[1];
    }
    return [items, pos];
  }
  throw new Error(`Redis: unexpected reply type ${JSON.stringify(type)}`);
}

function connect(url, timeoutMs = 3000) {
  const opts = parseUrl(url);
  const socket = net.createConnection({ host: opts.host, port: opts.port });
  socket.setNoDelay(true);
  const waiting = [];
  let buf = Buffer.alloc(0);
  let failure = null;
  const fail = (err) => {
    failure = failure || err;
    while (waiting.length) waiting.shift().reject(failure);
  };
  socket.setTimeout(timeoutMs, () => { fail(new Error(`Redis ${opts.host}:${opts.port}: no answer in ${timeoutMs} ms`)); socket.destroy(); });
  socket.on('error', (err) => fail(new Error(`Redis ${opts.host}:${opts.port}: ${err.message}`)));
  socket.on('close', () => fail(new Error('Redis connection closed')));
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const r = decode(buf, at);
      if (!r) break;
      at = r[1];
      const w = waiting.shift();
      if (!w) continue;
      if (r[0] instanceof Error) w.reject(r[0]); else w.resolve(r[0]);
    }
    buf = buf.subarray(at);
  });
  function call(...args) {
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      socket.write(encode(args));
    });
  }
  const ready = (async () => {
    if (opts.password) await call('AUTH', opts.password);
    if (opts.db) await call('SELECT', opts.db);
  })();
  return {
    call: async (...args) => { await ready; return call(...args); },
    quit: async () => { try { await ready; await call('QUIT'); } catch (_) { /* closing anyway */ } socket.destroy(); },
  };
}

module.exports = { connect, encode, decode, parseUrl };
