'use strict';
// "Build Graph Request" (W5-W7): the Graph URL, body and the client's token for one outbox record.
const { run } = require('../lib/context');
const tenants = require('../lib/tenants');
const graph = require('../lib/graph');

const SEND_URL = { wa: 'WA_SEND_URL', ig: 'IG_SEND_URL', msg: 'MSG_SEND_URL' };

async function main(ctx) {
  return run(ctx, async ({ env, log, store }) => {
    const clients = tenants.load(env.CLIENTS_FILE);
    const out = [];
    for (const { json } of ctx.items) {
      const fields = { channel: json.channel, msg_id: json.msg_id, correlation_id: json.correlation_id };
      const client = clients.find((c) => c.client_id === json.client_id);
      const sendUrl = env[SEND_URL[json.channel]];
      if (!client || !sendUrl) {
        const why = !client ? `client ${json.client_id} is gone` : `${SEND_URL[json.channel]} is not set`;
        log.error('send', `not sent: ${why}`, fields);
        await store().dlqPush(json.key, { ...json, reason: 'config', replayable: true, attempts: 0 });
        await store().count('outbound_total', { channel: json.channel, outcome: 'dead' });
        continue;
      }
      const { url, body } = graph.request(json.channel, sendUrl, json.tenant_id, json.to, json.text);
      out.push({ json: { ...json, url, body, token: tenants.token(client, env) } });
    }
    return out;
  });
}

module.exports = { main, SEND_URL };
