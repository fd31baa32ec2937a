'use strict';
// "Token OK?": a broken seal or an expired token stops the message in quarantine (kept, not dropped).
const { run, ids } = require('../lib/context');
const { intact } = require('../lib/seal');

async function main(ctx) {
  return run(ctx, async ({ env, log, channel, store }) => {
    const out = [];
    for (const item of ctx.items) {
      const j = item.json;
      let reason = null;
      if (!intact(j.envelope, j.seal, env.GATEWAY_SEAL_KEY)) reason = 'seal-broken';
      else if (j.token_expired) reason = 'token-expired';
      if (reason) {
        log.warn('token_ok', `quarantined: ${reason}`, ids(j));
        await store().quarantine(reason, { msg_id: j.envelope.msg_id, channel, client_id: j.client_id });
        await store().count('errors_total', { channel, kind: reason });
        await store().count('inbound_total', { channel, outcome: 'quarantined' });
        continue;
      }
      log.info('token_ok', 'token valid, seal intact', ids(j));
      out.push(item);
    }
    return out;
  });
}

module.exports = { main };
