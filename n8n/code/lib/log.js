'use strict';
// One JSON object per log line (P2-02): timestamp, level, channel, msg_id, correlation_id, stage.
const fs = require('fs');

// Field names whose values are never written, whatever a caller passes.
const SECRET_KEYS = /secret|token|authorization|signature|password|seal_key|api_key/i;

function scrub(fields) {
  const out = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEYS.test(key)) continue;
    out[key] = value;
  }
  return out;
}

function logger(env, base = {}) {
  const file = env && env.LOG_FILE;
  const lines = [];
  function line(level, stage, message, fields = {}) {
    const record = {
      timestamp: new Date().toISOString(),
      level,
      channel: null,
      msg_id: null,
      correlation_id: null,
      ...scrub(base),
      ...scrub(fields),
      stage,
      message,
    };
    lines.push(JSON.stringify(record));
  }
  // one append per node run: lines of one execution stay together and in order
  function flush() {
    if (!lines.length) return;
    const text = lines.join('\n') + '\n';
    lines.length = 0;
    if (file) fs.appendFileSync(file, text);
    else process.stdout.write(text);
  }
  return { info: (s, m, f) => line('INFO', s, m, f), warn: (s, m, f) => line('WARNING', s, m, f),
    error: (s, m, f) => line('ERROR', s, m, f), flush, lines };
}

module.exports = { logger, scrub };
