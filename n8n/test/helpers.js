'use strict';
// Shared by the tests: the catalogue's samples, an in-memory Redis, and a Code-node sandbox.
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const ROOT = path.resolve(__dirname, '..', '..');
const samples = (file) => JSON.parse(fs.readFileSync(path.join(ROOT, 'payloads', 'samples', `${file}.json`), 'utf8'));
const ALL = { ...samples('whatsapp'), ...samples('instagram'), ...samples('messenger') };

// Just the commands lib/store.js sends, with Redis' documented replies.
function memoryRedis() {
  const kv = new Map();
  const hashes = new Map();
  const lists = new Map();
  const hash = (k) => { if (!hashes.has(k)) hashes.set(k, new Map()); return hashes.get(k); };
  const list = (k) => { if (!lists.has(k)) lists.set(k, []); return lists.get(k); };
  const commands = {
    SET(k, v, ...opts) {
      if (opts.includes('NX') && kv.has(k)) return null;
      kv.set(k, String(v));
      return 'OK';
    },
    GET: (k) => (kv.has(k) ? kv.get(k) : null),
    DEL: (k) => (kv.delete(k) ? 1 : 0),
    EXPIRE: () => 1,
    PING: () => 'PONG',
    HSET(k, f, v) { const had = hash(k).has(f); hash(k).set(f, String(v)); return had ? 0 : 1; },
    HGET: (k, f) => (hash(k).has(f) ? hash(k).get(f) : null),
    HDEL: (k, f) => (hash(k).delete(f) ? 1 : 0),
    HLEN: (k) => hash(k).size,
    HGETALL: (k) => [...hash(k)].flat(),
    HINCRBY(k, f, by) { const v = Number(hash(k).get(f) || 0) + Number(by); hash(k).set(f, String(v)); return v; },
    HINCRBYFLOAT(k, f, by) { const v = Number(hash(k).get(f) || 0) + Number(by); hash(k).set(f, String(v)); return String(v); },
    RPUSH(k, v) { list(k).push(String(v)); return list(k).length; },
    LTRIM: () => 'OK',
    LRANGE: (k) => [...list(k)],
  };
  return {
    calls: [],
    async call(cmd, ...args) {
      this.calls.push([cmd, ...args]);
      if (!commands[cmd]) throw new Error(`memoryRedis: ${cmd} not implemented`);
      return commands[cmd](...args.map(String));
    },
    kv, hashes, lists,
  };
}

// Runs a generated workflow's Code node as n8n's task runner does: its jsCode as the body of
// an async function in a fresh vm context holding only what the runner provides ($input, $env,
// $runIndex, $, require, Buffer, console, timers), so a global it lacks (URL ...) fails here too.
async function runCodeNode(workflowFile, nodeName, { items, env = {}, runIndex = 0, upstream = [] }) {
  const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'n8n', 'workflows', workflowFile), 'utf8'));
  const node = wf.nodes.find((n) => n.name === nodeName);
  if (!node) throw new Error(`${workflowFile} has no node ${nodeName}`);
  const sandbox = vm.createContext({
    $input: { all: () => items }, $env: env, $runIndex: runIndex, $: () => ({ first: () => ({ json: upstream[0] }), all: () => upstream.map((json) => ({ json })) }),
    require, Buffer, console, setTimeout, clearTimeout, setImmediate,
  });
  const result = await vm.runInContext(`(async () => {\n${node.parameters.jsCode}\n})()`, sandbox);
  // values made in the sandbox have its own prototypes: compare them as plain data
  return JSON.parse(JSON.stringify(result));
}

// every folder tmpFile made goes when the test process ends, whatever the outcome
const madeDirs = [];
process.on('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpFile(name, content) {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'n8n-test-'));
  madeDirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

module.exports = { ROOT, ALL, samples, memoryRedis, runCodeNode, tmpFile };
