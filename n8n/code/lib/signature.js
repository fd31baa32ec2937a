'use strict';
// X-Hub-Signature-256 on the raw bytes, and the three modes off / warn / enforce (P0-05).
const crypto = require('crypto');

const MODES = ['off', 'warn', 'enforce'];
const DEFAULT_MODE = 'warn'; // the backlog's migration phase: log, do not block

function mode(env) {
  const raw = String((env && env.META_SIGNATURE_REQUIRED) || '').trim().toLowerCase();
  if (raw === '') return DEFAULT_MODE;
  if (!MODES.includes(raw)) {
    throw new Error(`META_SIGNATURE_REQUIRED=${raw} is not one of ${MODES.join(', ')}`);
  }
  return raw;
}

// Meta's exact format: "sha256=" + 64 lowercase hex; anything else is not a signature.
const FORMAT = /^sha256=([0-9a-f]{64})$/;

function check(raw, header, secret) {
  if (header === undefined || header === null || header === '') return { valid: false, reason: 'missing' };
  const match = FORMAT.exec(String(header));
  if (!match) return { valid: false, reason: 'malformed' };
  if (!secret) return { valid: false, reason: 'no-secret' };
  const want = crypto.createHmac('sha256', secret).update(raw).digest();
  const got = Buffer.from(match[1], 'hex');
  // constant time: a timing difference would leak how many leading bytes were right
  return crypto.timingSafeEqual(want, got) ? { valid: true, reason: 'valid' } : { valid: false, reason: 'mismatch' };
}

// The verdict for one delivery: accept (and whether to warn), or reject before anything is stored.
function verdict(raw, header, secret, sigMode) {
  if (sigMode === 'off') return { accept: true, valid: null, reason: 'not-checked', warn: false };
  const { valid, reason } = check(raw, header, secret);
  if (valid) return { accept: true, valid, reason, warn: false };
  return { accept: sigMode !== 'enforce', valid, reason, warn: sigMode === 'warn' };
}

module.exports = { mode, check, verdict, MODES, DEFAULT_MODE };
