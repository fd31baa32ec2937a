'use strict';
// The generated workflows' Code nodes, run as n8n runs them, through a whole WhatsApp message.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const { ALL, runCodeNode, tmpFile } = require('./helpers');
const resp = require('../code/lib/resp');

// A real Redis (tests/n8n starts one and passes its URL); without it these tests are skipped.
const REDIS_URL = process.env.METASIM_TEST_REDIS_URL;
const skip = REDIS_URL ? false : 'needs METASIM_TEST_REDIS_URL (a Redis server)';

const SECRET = 'unit-test-app-secret';
const PNID = ALL['wa.text'].payload.entry[0].changes[0].value.metadata.phone_number_id;

function delivery(payload, secret = SECRET) {
  const raw = Buffer.from(JSON.stringify(payload), 'utf8');
  const sig = `sha256=${crypto.createHmac('sha256', secret).update(raw).digest('hex')}`;
  return [{ json: { headers: { 'x-hub-signature-256': sig }, body: payload }, binary: { data: { data: raw.toString('base64') } } }];
}

function setup(extra = {}) {
  const log = tmpFile('gateway.log', '');
  const clients = tmpFile('clients.json', JSON.stringify({ clients: [
    { client_id: 'primary', channels: { wa: [PNID] }, token: 'EAAGtest', reply_rule: { kind: 'echo' } }] }));
  const prefix = `t${crypto.randomUUID()}:`;
  return { log, prefix, env: { REDIS_URL, REDIS_PREFIX: prefix, META_APP_SECRET: SECRET, LOG_FILE: log, CLIENTS_FILE: clients, GATEWAY_SEAL_KEY: 'k',
    WA_SEND_URL: 'http://127.0.0.1:9/v25.0', ...extra } };
}

// Drives the inbound chain's Code nodes the way the workflow connects them.
async function inbound(items, env) {
  const seen = {};
  let out = await runCodeNode('W1_IN_WA.json', 'B0 - Parse & Canonicalize', { items, env });
  seen.parse = out;
  if (!out[0].json.accept) return seen;
  for (const name of ['Split Messages', 'Contract Valid?', 'Resolve Client', 'Apply Auth', 'Seal', 'Token OK?', 'Dedupe', 'Core - Reply Rule', 'Outbox']) {
    out = await runCodeNode('W1_IN_WA.json', name, { items: out, env });
  }
  seen.outbox = out;
  return seen;
}

test('a signed WhatsApp text goes through every stage to one outbox record with the echo', { skip }, async () => {
  const { env, log } = setup();
  const { outbox } = await inbound(delivery(ALL['wa.text'].payload), env);
  assert.equal(outbox.length, 1);
  const msg = ALL['wa.text'].payload.entry[0].changes[0].value.messages[0];
  assert.equal(outbox[0].json.to, msg.from);
  assert.equal(outbox[0].json.text, msg.text.body);
  const stages = fs.readFileSync(log, 'utf8').trim().split('\n').map(JSON.parse).map((l) => l.stage);
  assert.deepEqual(stages, ['parse', 'signature', 'ack', 'contract', 'resolve_client', 'apply_auth', 'seal', 'token_ok', 'dedupe', 'core', 'outbox']);
});

test('the same message delivered twice is answered once', { skip }, async () => {
  const { env } = setup();
  const first = await inbound(delivery(ALL['wa.text'].payload), env);
  const second = await inbound(delivery(ALL['wa.text'].payload), env);
  assert.equal(first.outbox.length, 1);
  assert.equal(second.outbox.length, 0);
});

test('enforce rejects a wrong secret before anything is stored; warn accepts it', { skip }, async () => {
  const enforce = setup({ META_SIGNATURE_REQUIRED: 'enforce' });
  const seen = await inbound(delivery(ALL['wa.text'].payload, 'wrong'), enforce.env);
  assert.equal(seen.parse[0].json.accept, false);
  assert.equal(seen.outbox, undefined);
  const redis = resp.connect(REDIS_URL);
  assert.deepEqual(await redis.call('KEYS', `${enforce.prefix}*dedupe*`), []);
  await redis.quit();
  const warn = setup();
  assert.equal((await inbound(delivery(ALL['wa.text'].payload, 'wrong'), warn.env)).outbox.length, 1);
});

test('a status update is acknowledged and never reaches the outbox', { skip }, async () => {
  const { env } = setup();
  const { outbox } = await inbound(delivery(ALL['wa.status.read'].payload), env);
  assert.equal(outbox.length, 0);
});

test('no log line carries the app secret or the Graph token', { skip }, async () => {
  const { env, log } = setup();
  await inbound(delivery(ALL['wa.text'].payload), env);
  const text = fs.readFileSync(log, 'utf8');
  assert.ok(!text.includes(SECRET) && !text.includes('EAAGtest'));
});

test('ten concurrent deliveries of one message: exactly one passes Dedupe (SET NX)', { skip }, async () => {
  const { env } = setup();
  const split = await runCodeNode('W1_IN_WA.json', 'Split Messages', {
    items: (await runCodeNode('W1_IN_WA.json', 'B0 - Parse & Canonicalize', { items: delivery(ALL['wa.text'].payload), env })), env });
  const passed = await Promise.all(Array.from({ length: 10 }, () => runCodeNode('W1_IN_WA.json', 'Dedupe', { items: split, env })));
  assert.equal(passed.flat().length, 1);
});

test('the metrics route renders the counters the stages moved', { skip }, async () => {
  const { env } = setup();
  await inbound(delivery(ALL['wa.text'].payload), env);
  const [page] = await runCodeNode('W9_OPS.json', 'Metrics', { items: [{ json: {} }], env });
  assert.match(page.json.text, /^inbound_total\{channel="wa",outcome="processed"\} 1$/m);
  assert.match(page.json.text, /^ack_latency_seconds_count\{channel="wa"\} 1$/m);
});

test('the admin API needs its bearer token', { skip }, async () => {
  const { env } = setup({ GATEWAY_ADMIN_TOKEN: 'adm' });
  const [no] = await runCodeNode('W9_OPS.json', 'Dlq', { items: [{ json: { headers: {} } }], env });
  assert.equal(no.json.status, 401);
  const [yes] = await runCodeNode('W9_OPS.json', 'Dlq', { items: [{ json: { headers: { authorization: 'Bearer adm' } } }], env });
  assert.equal(yes.json.status, 200);
});

test('the sender classifies each answer of a batch: sent, retried once more, dead-lettered', { skip }, async () => {
  const { env, prefix } = setup({ OUTBOX_BACKOFF_BASE_SECONDS: '0.1', OUTBOX_BACKOFF_MAX_SECONDS: '0.2' });
  const record = (id) => ({ key: `wa:${id}`, channel: 'wa', msg_id: id, correlation_id: 'c', client_id: 'primary',
    tenant_id: PNID, to: '33600000000', text: 'hi', received_at: Date.now() });
  const requests = await runCodeNode('W5_OUT_WA.json', 'Build Graph Request', { items: ['a', 'b', 'c'].map((id) => ({ json: record(id) })), env });
  assert.equal(requests.length, 3);
  assert.equal(requests[0].json.url, `http://127.0.0.1:9/v25.0/${PNID}/messages`);
  const answers = [
    { statusCode: 200, headers: {}, body: { messages: [{ id: 'wamid.sent' }] } },
    { statusCode: 503, headers: { 'retry-after': '1' }, body: 'unavailable' },
    { statusCode: 400, headers: {}, body: { error: { code: 100, message: 'Invalid parameter' } } },
  ];
  const retries = await runCodeNode('W5_OUT_WA.json', 'Classify Answer', {
    items: answers.map((json) => ({ json })), env, upstream: requests.map((r) => r.json) });
  assert.deepEqual(retries.map((r) => [r.json.msg_id, r.json.attempt]), [['b', 2]]);
  assert.ok(retries[0].json.wait_seconds >= 1, 'Retry-After is a floor');
  assert.ok(!('token' in (await dlq(prefix)).c), 'the DLQ never holds the token');
  assert.equal((await dlq(prefix)).c.reason, 'graph-100');
});

async function dlq(prefix) {
  const redis = resp.connect(REDIS_URL);
  const flat = await redis.call('HGETALL', `${prefix}dlq`);
  await redis.quit();
  const out = {};
  for (let i = 0; i < flat.length; i += 2) out[JSON.parse(flat[i + 1]).msg_id] = JSON.parse(flat[i + 1]);
  return out;
}
