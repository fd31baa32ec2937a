'use strict';
// What every Code node gets: its items, env, channel, a logger, and (on demand) the Redis store.
const { logger } = require('./log');
const { store } = require('./store');
const resp = require('./resp');

// Runs fn(tools) and always closes what it opened: one Redis connection per node run.
async function run(ctx, fn) {
  const env = ctx.env || {};
  const log = logger(env);
  let client = null;
  const tools = {
    env,
    log,
    channel: ctx.channel,
    now: ctx.now || (() => Date.now()),
    // tests inject ctx.redis (an object with call()); n8n connects to REDIS_URL
    store() {
      if (!client) client = ctx.redis || resp.connect(env.REDIS_URL);
      return store(client, env);
    },
  };
  try {
    return await fn(tools);
  } finally {
    log.flush();
    if (client && !ctx.redis) await client.quit();
  }
}

// The fields every message's log line carries.
function ids(item) {
  return { channel: item.channel, msg_id: item.envelope ? item.envelope.msg_id : null, correlation_id: item.correlation_id };
}

module.exports = { run, ids };
