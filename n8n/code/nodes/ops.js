'use strict';
// W9_OPS routes: readiness, metrics, the admin API (DLQ, envelopes, quarantine, probe), startup check.
const crypto = require('crypto');
const { run } = require('../lib/context');
const { render } = require('../lib/metrics');
const signature = require('../lib/signature');
const { stripped } = require('./dlq_load');

const json = (status, body) => [{ json: { status, body, text: JSON.stringify(body) } }];

function authorised(item, env) {
  const want = env.GATEWAY_ADMIN_TOKEN || '';
  const headers = (item && item.json.headers) || {};
  const got = String(headers.authorization || headers.Authorization || '').replace(/^Bearer\s+/i, '');
  if (!want || !got) return false;
  const a = crypto.createHash('sha256').update(got).digest();
  const b = crypto.createHash('sha256').update(want).digest();
  return crypto.timingSafeEqual(a, b);
}

const ROUTES = {
  async ready({ store }) {
    try {
      await store().redis.call('PING');
      return [{ json: { status: 200, text: 'READY' } }];
    } catch (err) {
      return [{ json: { status: 503, text: `Redis: ${err.message}` } }];
    }
  },
  async metrics({ store }) {
    const s = store();
    return [{ json: { status: 200, text: render(await s.metricsRaw(), await s.dlqDepth()) } }];
  },
  async dlq({ store }) {
    const items = await store().dlqList();
    return json(200, { count: items.length, items });
  },
  async replay({ store }, item) {
    const wanted = ((item.json.body || {}).keys || []).map(String);
    const sends = [];
    for (const key of wanted) {
      const taken = await store().dlqTake(key);
      if (taken) sends.push(stripped(taken));
    }
    const body = { replayed: sends.map((s) => s.key) };
    return [{ json: { status: 200, body, text: JSON.stringify(body), sends } }];
  },
  async envelopes({ store }, item) {
    const msgId = String((item.json.query || {}).msg_id || '');
    const found = msgId ? await store().envelopes(msgId) : [];
    return json(200, { count: found.length, envelopes: found.map((envelope) => ({ envelope })) });
  },
  async quarantine({ store }) {
    const items = await store().quarantined();
    return json(200, { count: items.length, items });
  },
  async tamper({ env, store }) {
    if (env.GATEWAY_ENV === 'prod') return json(404, { error: 'no probes in prod' });
    await store().setFlag('tamper-seal');
    return json(200, { armed: 'tamper-seal' });
  },
  // On instance start: the backlog's warning unless signatures are enforced (P0-05).
  async startup({ env, log }) {
    const mode = signature.mode(env);
    const base = { channel: null, msg_id: null, correlation_id: null };
    if (mode !== 'enforce') {
      log.warn('startup', `META_SIGNATURE_REQUIRED is ${mode}: unsigned or forged webhooks are accepted; set enforce once every sender signs`, { ...base, mode });
    } else {
      log.info('startup', 'signature mode enforce', { ...base, mode });
    }
    return [{ json: { mode } }];
  },
};

const ADMIN = new Set(['dlq', 'replay', 'envelopes', 'quarantine', 'tamper']);

async function main(ctx) {
  return run(ctx, async (tools) => {
    const handler = ROUTES[ctx.route];
    if (!handler) throw new Error(`no ops route ${ctx.route}`);
    const item = ctx.items[0] || { json: {} };
    if (ADMIN.has(ctx.route) && !authorised(item, tools.env)) return json(401, { error: 'admin token required' });
    return handler(tools, item);
  });
}

module.exports = { main, ROUTES };
