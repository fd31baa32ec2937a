'use strict';
// The envelope's seal: HMAC-SHA256 of its canonical JSON (sorted keys); a later stage checks it.
const crypto = require('crypto');

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

function seal(envelope, key) {
  if (!key) throw new Error('GATEWAY_SEAL_KEY is not set: envelopes cannot be sealed');
  return crypto.createHmac('sha256', key).update(canonical(envelope)).digest('hex');
}

function intact(envelope, mac, key) {
  const want = Buffer.from(seal(envelope, key), 'hex');
  const got = Buffer.from(String(mac || ''), 'hex');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

module.exports = { seal, intact, canonical };
