'use strict';
// "Core - Reply Rule": the client's rule gives exactly one reply text per message.
const { run, ids } = require('../lib/context');
const tenants = require('../lib/tenants');

async function main(ctx) {
  return run(ctx, async ({ env, log }) => {
    const clients = tenants.load(env.CLIENTS_FILE);
    return ctx.items.map((item) => {
      const client = clients.find((c) => c.client_id === item.json.client_id) || {};
      const rule = client.reply_rule || { kind: 'echo' };
      const text = tenants.replyText(rule, item.json.envelope.text, item.json.envelope.type);
      log.info('core', `reply by rule ${rule.kind}`, ids(item.json));
      return { json: { ...item.json, reply_text: text } };
    });
  });
}

module.exports = { main };
