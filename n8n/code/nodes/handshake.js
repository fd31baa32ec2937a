'use strict';
// "Verify Handshake": Meta's GET with hub.mode=subscribe and our verify token gets its challenge back.
const crypto = require('crypto');
const { run } = require('../lib/context');

function same(a, b) {
  const x = crypto.createHash('sha256').update(String(a)).digest();
  const y = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(x, y);
}

async function main(ctx) {
  return run(ctx, async ({ env, log, channel }) => {
    const q = (ctx.items[0] && ctx.items[0].json.query) || {};
    const want = env.META_VERIFY_TOKEN || '';
    const ok = q['hub.mode'] === 'subscribe' && want !== '' && typeof q['hub.verify_token'] === 'string' && same(q['hub.verify_token'], want);
    const base = { channel, msg_id: null, correlation_id: null };
    if (ok) log.info('handshake', 'verified', base); else log.warn('handshake', 'refused', base);
    return [{ json: ok ? { status: 200, text: String(q['hub.challenge'] || '') } : { status: 403, text: 'Forbidden' } }];
  });
}

module.exports = { main };
