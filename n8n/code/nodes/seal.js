'use strict';
// "Seal": the envelope is complete; its HMAC lets the later stages refuse a changed one.
const { run, ids } = require('../lib/context');
const { seal } = require('../lib/seal');

async function main(ctx) {
  return run(ctx, async ({ env, log, store }) => {
    const out = [];
    for (const item of ctx.items) {
      const envelope = { ...item.json.envelope, correlation_id: item.json.correlation_id,
        received_at: new Date(item.json.received_at).toISOString() };
      delete envelope.tenant_id;
      delete envelope.user_id;
      delete envelope.timestamp_error;
      const mac = seal(envelope, env.GATEWAY_SEAL_KEY);
      await store().keepEnvelope(envelope);
      let sealed = envelope;
      // the admin probe (tests only): change the envelope after its seal, once
      if (env.GATEWAY_ENV !== 'prod' && (await store().takeFlag('tamper-seal'))) {
        sealed = { ...envelope, text: `${envelope.text} (tampered)` };
      }
      log.info('seal', 'sealed', ids(item.json));
      out.push({ json: { ...item.json, envelope: sealed, seal: mac, user_id: item.json.envelope.user_id } });
    }
    return out;
  });
}

module.exports = { main };
