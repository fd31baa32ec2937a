'use strict';
// "Classify Answer" (W5-W7): sent, retry after a backoff (Retry-After honoured), or dead-letter.
const { run } = require('../lib/context');
const graph = require('../lib/graph');

async function main(ctx) {
  return run(ctx, async ({ env, log, now, store }) => {
    const request = ctx.upstream; // the Build Graph Request item: the answer replaced $json
    const attempt = (ctx.runIndex || 0) + 1;
    const answer = ctx.items[0].json;
    const channel = request.channel;
    const fields = { channel, msg_id: request.msg_id, correlation_id: request.correlation_id, attempt };
    const v = graph.classify(answer, attempt, {
      maxAttempts: Number(env.OUTBOX_MAX_ATTEMPTS || 3),
      base: Number(env.OUTBOX_BACKOFF_BASE_SECONDS || 0.5),
      max: Number(env.OUTBOX_BACKOFF_MAX_SECONDS || 30),
      nowMs: now(),
    });
    const s = store();
    if (v.outcome === 'sent') {
      log.info('send', 'accepted by Graph', { ...fields, status: answer.statusCode });
      await s.count('outbound_total', { channel, outcome: 'sent' });
      await s.observe('e2e_latency_seconds', { channel }, (now() - request.received_at) / 1000);
      await s.outboxMark(request.key, 'sent', { attempts: attempt });
      return [];
    }
    if (v.outcome === 'retry') {
      log.warn('send', `attempt ${attempt} refused (${v.reason}): retry in ${v.wait.toFixed(2)} s`, fields);
      await s.count('outbound_total', { channel, outcome: 'retried' });
      return [{ json: { ...request, wait_seconds: Number(v.wait.toFixed(3)) } }];
    }
    log.error('send', `dead-lettered after ${attempt} attempt(s): ${v.reason}`, fields);
    const { token, url, body, ...record } = request; // never store the token
    await s.dlqPush(request.key, { ...record, reason: v.reason, replayable: v.replayable, attempts: attempt,
      dead_at: new Date(now()).toISOString() });
    await s.outboxMark(request.key, 'dead', { attempts: attempt, reason: v.reason });
    await s.count('outbound_total', { channel, outcome: 'dead' });
    await s.count('errors_total', { channel, kind: 'send' });
    return [];
  });
}

module.exports = { main };
