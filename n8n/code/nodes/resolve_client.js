'use strict';
// "Resolve Client": which client owns the business id the message was sent to; none, no reply.
const { run, ids } = require('../lib/context');
const tenants = require('../lib/tenants');

async function main(ctx) {
  return run(ctx, async ({ env, log, channel, store }) => {
    const clients = tenants.load(env.CLIENTS_FILE);
    const out = [];
    for (const item of ctx.items) {
      const client = tenants.resolve(clients, channel, item.json.tenant_id);
      if (!client) {
        log.warn('resolve_client', `no client owns ${channel} id ${item.json.tenant_id}: not answered`, ids(item.json));
        await store().count('errors_total', { channel, kind: 'unknown_tenant' });
        continue;
      }
      log.info('resolve_client', `client ${client.client_id}`, { ...ids(item.json), client_id: client.client_id });
      out.push({ json: { ...item.json, client_id: client.client_id, envelope: { ...item.json.envelope, client_id: client.client_id } } });
    }
    return out;
  });
}

module.exports = { main };
