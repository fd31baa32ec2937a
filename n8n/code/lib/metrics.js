'use strict';
// The Prometheus text of the gateway's own counters and histograms (P2-03).
const { BUCKETS } = require('./store');

const HELP = {
  inbound_total: 'Webhook updates by channel and outcome (processed, ignored, rejected, duplicate)',
  outbound_total: 'Graph sends by channel and outcome (sent, retried, dead)',
  errors_total: 'Errors by channel and kind',
  dlq_depth: 'Replies in the dead-letter queue',
  ack_latency_seconds: 'From the webhook request to its 200',
  e2e_latency_seconds: 'From the webhook request to the accepted Graph send',
};
const COUNTERS = ['inbound_total', 'outbound_total', 'errors_total'];
const HISTOGRAMS = ['ack_latency_seconds', 'e2e_latency_seconds'];

function labels(text) {
  if (!text) return '';
  const parts = text.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return `${kv.slice(0, i)}="${kv.slice(i + 1).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return parts.join(',');
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
  return out;
}

function render(raw, dlqDepth) {
  const lines = [];
  for (const name of COUNTERS) {
    lines.push(`# HELP ${name} ${HELP[name]}`, `# TYPE ${name} counter`);
    for (const [key, value] of pairs(raw.counters)) {
      const [metric, l] = key.split('|');
      if (metric === name) lines.push(`${name}{${labels(l)}} ${value}`);
    }
  }
  lines.push(`# HELP dlq_depth ${HELP.dlq_depth}`, '# TYPE dlq_depth gauge', `dlq_depth ${Number(dlqDepth) || 0}`);
  const hist = new Map();
  for (const [key, value] of pairs(raw.hist)) {
    const [metric, l, bucket] = key.split('|');
    const series = `${metric}|${l}`;
    if (!hist.has(series)) hist.set(series, { metric, l, buckets: {}, sum: 0 });
    if (bucket === 'sum') hist.get(series).sum = value; else hist.get(series).buckets[bucket] = value;
  }
  for (const name of HISTOGRAMS) {
    lines.push(`# HELP ${name} ${HELP[name]}`, `# TYPE ${name} histogram`);
    for (const h of hist.values()) {
      if (h.metric !== name) continue;
      const sep = h.l ? ',' : '';
      let cumulative = 0;
      for (const b of BUCKETS) {
        cumulative += h.buckets[String(b)] || 0;
        lines.push(`${name}_bucket{${labels(h.l)}${sep}le="${b}"} ${cumulative}`);
      }
      cumulative += h.buckets['+Inf'] || 0;
      lines.push(`${name}_bucket{${labels(h.l)}${sep}le="+Inf"} ${cumulative}`);
      lines.push(`${name}_sum{${labels(h.l)}} ${h.sum}`, `${name}_count{${labels(h.l)}} ${cumulative}`);
    }
  }
  return lines.join('\n') + '\n';
}

module.exports = { render };
