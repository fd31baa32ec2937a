'use strict';
// Meta timestamps (epoch seconds or milliseconds, string or number) to ISO 8601 UTC (P1-03).

// Below this an epoch is in seconds, above it in milliseconds: 1e11 s is the year 5138 and
// 1e11 ms is March 1973, so no real webhook falls on the wrong side.
const MS_THRESHOLD = 1e11;

function toIso(value) {
  if (value === null || value === undefined || typeof value === 'boolean') {
    throw new Error(`timestamp ${JSON.stringify(value)} is not an epoch number`);
  }
  let number;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '' || Number.isNaN(Number(text))) return isoString(text);
    number = Number(text);
  } else if (typeof value === 'number') {
    number = value;
  } else {
    throw new Error(`timestamp ${JSON.stringify(value)} is not an epoch number`);
  }
  if (!Number.isFinite(number) || number < 0) {
    throw new Error(`timestamp ${JSON.stringify(value)} is not a valid epoch`);
  }
  const millis = number >= MS_THRESHOLD ? Math.round(number) : Math.round(number * 1000);
  const iso = new Date(millis).toISOString(); // always .sss: the instant is what counts
  // whole seconds stay whole ("...:43Z"), as Meta's own epoch-seconds are
  return millis % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}

function isoString(text) {
  // an ISO 8601 string with a zone (some proxies rewrite the epoch): normalised to UTC
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    throw new Error(`timestamp ${JSON.stringify(text)} is neither epoch nor ISO 8601 with a zone`);
  }
  const moment = new Date(text);
  if (Number.isNaN(moment.getTime())) throw new Error(`timestamp ${JSON.stringify(text)} is not a date`);
  return moment.toISOString().replace('.000Z', 'Z');
}

module.exports = { toIso, MS_THRESHOLD };
