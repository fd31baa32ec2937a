'use strict';
// "Apply Auth": the client has a Graph token to answer with, and whether it is still valid.
// The token itself never travels in the items (they are saved with the execution).
const { run, ids } = require('../lib/context');
const tenants = require('../lib/tenants');

async function main(ctx) {
  return run(ctx, async ({ env, log, channel, now, store }) => {
    const clients = tenants.load(env.CLIENTS_FILE);
    const out = [];
    for (const item of ctx.items) {
      const client = clients.find((c) => c.client_id === item.json.client_id);
      const hasToken = Boolean(client && tenants.token(client, env));
      if (!hasToken) {
        log.error('apply_auth', `client ${item.json.client_id} has no Graph token`, ids(item.json));
        await store().count('errors_total', { channel, kind: 'no_token' });
        continue;
      }
      const expired = tenants.expired(client, now());
      log.info('apply_auth', expired ? 'token expired' : 'token present', ids(item.json));
      out.push({ json: { ...item.json, token_expired: expired } });
    }
    return out;
  });
}

module.exports = { main };
