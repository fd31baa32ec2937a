'use strict';
// Everything the workflows share lives in Redis: dedupe marks, outbox, DLQ, quarantine,
// envelopes for the admin API, and the counters /metrics renders.
const PREFIX = (env) => (env && env.REDIS_PREFIX) || 'gw:';
const DAY = 86400;
// Latency histogram buckets (seconds), as Prometheus' default set.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function labelKey(labels) {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

function store(redis, env) {
  const p = PREFIX(env);
  const ttl = Number((env && env.DEDUPE_TTL_SECONDS) || 7 * DAY);
  return {
    redis,
    // atomic: of N concurrent deliveries of one message, exactly one gets true
    async firstSeen(channel, msgId) {
      return (await redis.call('SET', `${p}dedupe:${channel}:${msgId}`, Date.now(), 'EX', ttl, 'NX')) === 'OK';
    },
    // the outbox record: written once per message (a second writer gets false)
    async outboxAdd(key, record) {
      return (await redis.call('SET', `${p}outbox:${key}`, JSON.stringify(record), 'EX', ttl, 'NX')) === 'OK';
    },
    async outboxMark(key, status, extra = {}) {
      const raw = await redis.call('GET', `${p}outbox:${key}`);
      const record = raw ? JSON.parse(raw) : { key };
      Object.assign(record, extra, { status, updated_at: new Date().toISOString() });
      await redis.call('SET', `${p}outbox:${key}`, JSON.stringify(record), 'EX', ttl);
    },
    async dlqPush(key, record) {
      await redis.call('HSET', `${p}dlq`, key, JSON.stringify(record));
    },
    async dlqList() {
      const flat = (await redis.call('HGETALL', `${p}dlq`)) || [];
      const out = [];
      for (let i = 0; i < flat.length; i += 2) out.push(JSON.parse(flat[i + 1]));
      return out;
    },
    // taking an item out is the claim: of two replayers only the one whose HDEL removed it sends
    async dlqTake(key) {
      const raw = await redis.call('HGET', `${p}dlq`, key);
      if (!raw) return null;
      return (await redis.call('HDEL', `${p}dlq`, key)) === 1 ? JSON.parse(raw) : null;
    },
    async dlqDepth() {
      return redis.call('HLEN', `${p}dlq`);
    },
    async quarantine(reason, detail) {
      await redis.call('RPUSH', `${p}quarantine`, JSON.stringify({ reason, detail, at: new Date().toISOString() }));
      await redis.call('LTRIM', `${p}quarantine`, -1000, -1);
    },
    async quarantined() {
      return ((await redis.call('LRANGE', `${p}quarantine`, 0, -1)) || []).map((s) => JSON.parse(s));
    },
    async keepEnvelope(envelope) {
      const key = `${p}envelope:${envelope.msg_id}`;
      await redis.call('RPUSH', key, JSON.stringify(envelope));
      await redis.call('EXPIRE', key, DAY);
    },
    async envelopes(msgId) {
      return ((await redis.call('LRANGE', `${p}envelope:${msgId}`, 0, -1)) || []).map((s) => JSON.parse(s));
    },
    // a one-shot flag (the seal-tamper probe): true once after it was armed
    async takeFlag(name) {
      return (await redis.call('DEL', `${p}flag:${name}`)) === 1;
    },
    async setFlag(name) {
      await redis.call('SET', `${p}flag:${name}`, '1', 'EX', 300);
    },
    async count(metric, labels, by = 1) {
      await redis.call('HINCRBY', `${p}metrics:counters`, `${metric}|${labelKey(labels)}`, by);
    },
    async observe(metric, labels, seconds) {
      const base = `${metric}|${labelKey(labels)}`;
      const le = BUCKETS.find((b) => seconds <= b);
      await redis.call('HINCRBY', `${p}metrics:hist`, `${base}|${le === undefined ? '+Inf' : le}`, 1);
      await redis.call('HINCRBYFLOAT', `${p}metrics:hist`, `${base}|sum`, seconds);
    },
    async metricsRaw() {
      const c = (await redis.call('HGETALL', `${p}metrics:counters`)) || [];
      const h = (await redis.call('HGETALL', `${p}metrics:hist`)) || [];
      return { counters: c, hist: h };
    },
  };
}

module.exports = { store, BUCKETS, labelKey };
