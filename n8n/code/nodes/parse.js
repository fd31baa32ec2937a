'use strict';
// "B0 - Parse & Canonicalize": raw bytes -> signature verdict + every update of the batch.
const crypto = require('crypto');
const { run } = require('../lib/context');
const { parse } = require('../lib/parsers');
const signature = require('../lib/signature');

function rawBody(item) {
  const bin = item.binary && item.binary.data;
  if (bin && typeof bin.data === 'string') return Buffer.from(bin.data, 'base64');
  // without the Webhook node's Raw Body option only the parsed JSON is left: the signature
  // cannot match those bytes, which is the point of reading the raw ones
  return Buffer.from(JSON.stringify((item.json && item.json.body) || {}), 'utf8');
}

function header(headers, name) {
  const key = Object.keys(headers || {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

async function main(ctx) {
  return run(ctx, async ({ env, log, channel, now, store }) => {
    const out = [];
    for (const item of ctx.items) {
      const receivedAt = now();
      const correlationId = crypto.randomUUID();
      const raw = rawBody(item);
      const mode = signature.mode(env);
      const sig = signature.verdict(raw, header(item.json.headers, 'x-hub-signature-256'), env.META_APP_SECRET, mode);
      let parsed;
      try {
        parsed = parse(JSON.parse(raw.toString('utf8')), channel);
      } catch (err) {
        parsed = { ok: false, reason: `body is not JSON: ${err.message}`, updates: [] };
      }
      const base = { channel, correlation_id: correlationId };
      const msgIds = parsed.updates.filter((u) => u.envelope).map((u) => u.envelope.msg_id);
      for (const id of msgIds.length ? msgIds : [null]) {
        log.info('parse', parsed.ok ? `${parsed.updates.length} updates` : parsed.reason, { ...base, msg_id: id, bytes: raw.length });
      }
      for (const id of msgIds.length ? msgIds : [null]) {
        const fields = { ...base, msg_id: id, mode, result: sig.reason };
        if (!sig.accept) log.warn('signature', `rejected (${sig.reason}) in ${mode} mode`, fields);
        else if (sig.warn) log.warn('signature', `invalid signature (${sig.reason}) accepted: mode is warn`, fields);
        else log.info('signature', sig.valid === null ? 'not checked: mode is off' : 'valid', fields);
      }
      if (!sig.accept) await store().count('inbound_total', { channel, outcome: 'rejected' }, Math.max(1, msgIds.length));
      out.push({ json: { channel, correlation_id: correlationId, received_at: receivedAt, accept: sig.accept,
        signature: sig.reason, parse_ok: parsed.ok, parse_error: parsed.reason, updates: parsed.updates } });
    }
    return out;
  });
}

module.exports = { main, rawBody };
