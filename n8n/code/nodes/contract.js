'use strict';
// "Contract Valid?": the canonical envelope has what the next stages need, else it stops here.
const { run, ids } = require('../lib/context');

function problems(env) {
  const out = [];
  for (const key of ['msg_id', 'from', 'type', 'tenant_id']) if (!env[key]) out.push(`${key} is missing`);
  if (!env.timestamp) out.push(env.timestamp_error || 'timestamp is missing');
  return out;
}

async function main(ctx) {
  return run(ctx, async ({ log, channel, store }) => {
    const out = [];
    for (const item of ctx.items) {
      const found = problems(item.json.envelope);
      if (found.length) {
        log.warn('contract', `invalid envelope: ${found.join('; ')}`, ids(item.json));
        await store().count('errors_total', { channel, kind: 'contract' });
        await store().count('inbound_total', { channel, outcome: 'quarantined' });
        await store().quarantine('contract', { msg_id: item.json.envelope.msg_id, problems: found, where: item.json.where });
        continue;
      }
      log.info('contract', 'valid', ids(item.json));
      out.push(item);
    }
    return out;
  });
}

module.exports = { main, problems };
