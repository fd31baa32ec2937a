'use strict';
// "Split Messages", after the ACK: one item per message to answer; statuses, receipts and
// echoes are counted and dropped here (P1-02). A message counts as processed at Dedupe, once.
const { run } = require('../lib/context');

async function main(ctx) {
  return run(ctx, async ({ log, channel, now, store }) => {
    const out = [];
    const s = store();
    for (const { json } of ctx.items) {
      const ackSeconds = (now() - json.received_at) / 1000;
      await s.observe('ack_latency_seconds', { channel }, ackSeconds);
      const base = { channel, correlation_id: json.correlation_id };
      let ignored = 0;
      for (const u of json.updates) {
        if (!u.processable) {
          ignored += 1;
          log.info('ack', `${u.kind} at ${u.where}: acknowledged, not answered`, { ...base, msg_id: u.envelope ? u.envelope.msg_id : null, kind: u.kind });
          continue;
        }
        log.info('ack', 'acknowledged with 200', { ...base, msg_id: u.envelope.msg_id, ack_ms: Math.round(ackSeconds * 1000) });
        out.push({ json: { channel, correlation_id: json.correlation_id, received_at: json.received_at,
          tenant_id: u.tenant_id, where: u.where, envelope: u.envelope } });
      }
      if (ignored) await s.count('inbound_total', { channel, outcome: 'ignored' }, ignored);
    }
    return out;
  });
}

module.exports = { main };
