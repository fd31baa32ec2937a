'use strict';
// "Load Replayable" (W8_DLQ_HANDLER): takes the replayable dead letters out of the DLQ for a resend.
const { run } = require('../lib/context');

async function main(ctx) {
  return run(ctx, async ({ log, store }) => {
    const s = store();
    const out = [];
    for (const item of await s.dlqList()) {
      if (!item.replayable) continue; // permanent errors and ambiguous sends wait for an operator
      const taken = await s.dlqTake(item.key);
      if (!taken) continue; // another replayer had it
      log.info('dlq', `replaying after ${taken.reason}`, { channel: taken.channel, msg_id: taken.msg_id, correlation_id: taken.correlation_id });
      out.push({ json: stripped(taken) });
    }
    return out;
  });
}

function stripped(item) {
  const { reason, replayable, attempts, dead_at, ...record } = item;
  return record;
}

module.exports = { main, stripped };
