'use strict';
// "Dedupe": Redis SET NX per message id, atomic under concurrent redeliveries.
const { run, ids } = require('../lib/context');

async function main(ctx) {
  return run(ctx, async ({ log, channel, store }) => {
    const out = [];
    for (const item of ctx.items) {
      if (!(await store().firstSeen(channel, item.json.envelope.msg_id))) {
        log.info('dedupe', 'already seen: not answered again', ids(item.json));
        await store().count('inbound_total', { channel, outcome: 'duplicate' });
        continue;
      }
      log.info('dedupe', 'first delivery', ids(item.json));
      await store().count('inbound_total', { channel, outcome: 'processed' });
      out.push(item);
    }
    return out;
  });
}

module.exports = { main };
