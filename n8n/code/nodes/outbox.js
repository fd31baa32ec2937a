'use strict';
// "Outbox": one outbox record per message (SET NX), handed to the channel's sender workflow.
const { run, ids } = require('../lib/context');

async function main(ctx) {
  return run(ctx, async ({ log, channel, store }) => {
    const out = [];
    for (const item of ctx.items) {
      const j = item.json;
      const key = `${channel}:${j.envelope.msg_id}`;
      // the recipient: a BSUID-only user is answered on the id they wrote from
      const to = j.envelope.from;
      const record = { key, channel, msg_id: j.envelope.msg_id, correlation_id: j.correlation_id,
        client_id: j.client_id, tenant_id: j.tenant_id, to, text: j.reply_text, received_at: j.received_at,
        created_at: new Date().toISOString() };
      if (!(await store().outboxAdd(key, { ...record, status: 'pending' }))) {
        log.info('outbox', 'a reply is already in the outbox', ids(j));
        continue;
      }
      log.info('outbox', 'queued', ids(j));
      out.push({ json: record });
    }
    return out;
  });
}

module.exports = { main };
