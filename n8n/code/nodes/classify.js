'use strict';
// "Classify Answer" (W5-W7): per reply, sent, retry after a backoff (Retry-After honoured), or
// dead-letter. The HTTP Request node answers item for item, in order: answer i is request i.
const { run } = require('../lib/context');
const graph = require('../lib/graph');

async function main(ctx) {
  return run(ctx, async ({ env, log, now, store }) => {
    const requests = ctx.upstream || []; // what "Send to Graph" was given: its answers replaced $json
    if (requests.length !== ctx.items.length) {
      throw new Error(`Classify Answer: ${ctx.items.length} answers for ${requests.length} requests`);
    }
    const s = store();
    const retries = [];
    for (const [i, item] of ctx.items.entries()) {
      const request = requests[i];
      const answer = item.json;
      const attempt = request.attempt || 1;
      const channel = request.channel;
      const fields = { channel, msg_id: request.msg_id, correlation_id: request.correlation_id, attempt };
      const v = graph.classify(answer, attempt, {
        maxAttempts: Number(env.OUTBOX_MAX_ATTEMPTS || 3),
        base: Number(env.OUTBOX_BACKOFF_BASE_SECONDS || 0.5),
        max: Number(env.OUTBOX_BACKOFF_MAX_SECONDS || 30),
        nowMs: now(),
      });
      if (v.outcome === 'sent') {
        log.info('send', 'accepted by Graph', { ...fields, status: answer.statusCode });
        await s.count('outbound_total', { channel, outcome: 'sent' });
        await s.observe('e2e_latency_seconds', { channel }, (now() - request.received_at) / 1000);
        await s.outboxMark(request.key, 'sent', { attempts: attempt });
      } else if (v.outcome === 'retry') {
        log.warn('send', `attempt ${attempt} refused (${v.reason}): retry in ${v.wait.toFixed(2)} s`, fields);
        await s.count('outbound_total', { channel, outcome: 'retried' });
        retries.push({ ...request, attempt: attempt + 1, wait_seconds: v.wait });
      } else {
        log.error('send', `dead-lettered after ${attempt} attempt(s): ${v.reason}`, fields);
        const { token, url, body, ...record } = request; // never store the token
        await s.dlqPush(request.key, { ...record, reason: v.reason, replayable: v.replayable, attempts: attempt,
          dead_at: new Date(now()).toISOString() });
        await s.outboxMark(request.key, 'dead', { attempts: attempt, reason: v.reason });
        await s.count('outbound_total', { channel, outcome: 'dead' });
        await s.count('errors_total', { channel, kind: 'send' });
      }
    }
    // one Wait node for all of them: the longest wait asked for (a Retry-After is a floor)
    const wait = Math.max(0, ...retries.map((r) => r.wait_seconds));
    return retries.map((r) => ({ json: { ...r, wait_seconds: Number(wait.toFixed(3)) } }));
  });
}

module.exports = { main };
