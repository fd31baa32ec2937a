'use strict';
// Graph send requests (W5-W7) and the verdict on each answer: sent, retry, or dead-letter.

// A business-scoped user id is addressed with "recipient", a phone number with "to".
const BSUID = /^[A-Z]{2}\.(ENT\.)?[0-9]{5,40}$/;
// Graph codes worth another attempt (rate limits, transient outages); the rest are permanent.
const RETRYABLE = new Set([2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056]);
const SLOW = 131048; // spam rate limit: not before a minute
const MAYBE_ONCE = 1; // "unknown error": one more try
const PAIR_DELAY = 6; // 131056: same pair too fast

function request(channel, sendUrl, tenantId, to, text) {
  if (!sendUrl) throw new Error(`${channel.toUpperCase()}_SEND_URL is not set`);
  const url = `${sendUrl.replace(/\/+$/, '')}/${tenantId}/messages`;
  if (channel === 'wa') {
    const body = { messaging_product: 'whatsapp', recipient_type: 'individual' };
    body[BSUID.test(to) ? 'recipient' : 'to'] = to;
    body.type = 'text';
    body.text = { body: text };
    return { url, body };
  }
  return { url, body: { recipient: { id: to }, messaging_type: 'RESPONSE', message: { text } } };
}

function header(headers, name) {
  const h = headers || {};
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : h[key];
}

// Seconds a Retry-After header asks for (delta seconds or an HTTP date), 0 if none.
function retryAfter(headers, nowMs) {
  const raw = header(headers, 'retry-after');
  if (raw === undefined || raw === null || raw === '') return 0;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(String(raw));
  return Number.isFinite(at) ? Math.max(0, (at - nowMs) / 1000) : 0;
}

function backoff(attempt, base, max, random = Math.random) {
  // exponential with full jitter, at least half the step so retries never bunch up at 0
  const step = Math.min(max, base * 2 ** (attempt - 1));
  return step / 2 + random() * (step / 2);
}

// The answer of one attempt -> {outcome: sent|retry|dead, reason, wait}. ``answer`` is the
// HTTP Request node's full response ({statusCode, headers, body}) or {error} when none came.
function classify(answer, attempt, opts) {
  const { maxAttempts, base, max, nowMs } = opts;
  if (answer.error !== undefined && answer.statusCode === undefined) {
    const text = JSON.stringify(answer.error);
    // refused before the request left: safe to send again; a timeout or reset after it left
    // may have been delivered (Graph has no idempotency key): dead-lettered, never re-sent
    if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(text)) return next(true, 'connect', 0);
    return { outcome: 'dead', reason: 'ambiguous', replayable: false, wait: 0 };
  }
  const status = Number(answer.statusCode);
  let body = answer.body;
  if (typeof body === 'string') {
    try { body = JSON.parse(body); } catch (_) { /* not JSON: the status decides */ }
  }
  if (status >= 200 && status < 300) return { outcome: 'sent', reason: `http-${status}`, replayable: false, wait: 0 };
  const err = body && typeof body === 'object' ? body.error : undefined;
  const wait = retryAfter(answer.headers, nowMs);
  if (err && Number.isInteger(err.code)) {
    const reason = `graph-${err.code}${err.error_subcode ? `/${err.error_subcode}` : ''}`;
    if (RETRYABLE.has(err.code)) return next(true, reason, Math.max(wait, err.code === 131056 ? PAIR_DELAY : 0));
    if (err.code === SLOW) return next(true, reason, Math.max(wait, 60));
    if (err.code === MAYBE_ONCE) return next(attempt < 2, reason, wait);
    return { outcome: 'dead', reason, replayable: false, wait: 0 };
  }
  return next(status >= 500 || status === 408 || status === 429, `http-${status}`, wait);

  function next(retryable, reason, minWait) {
    if (!retryable) return { outcome: 'dead', reason, replayable: false, wait: 0 };
    if (attempt >= maxAttempts) return { outcome: 'dead', reason, replayable: true, wait: 0 };
    return { outcome: 'retry', reason, replayable: true, wait: Math.max(minWait, backoff(attempt, base, max)) };
  }
}

module.exports = { request, classify, retryAfter, backoff, BSUID, RETRYABLE };
