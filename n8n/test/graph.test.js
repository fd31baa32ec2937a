'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { classify, request, retryAfter } = require('../code/lib/graph');

const opts = { maxAttempts: 3, base: 0.5, max: 30, nowMs: Date.parse('2026-01-01T00:00:00Z') };
const graphError = (status, code, headers = {}) => ({ statusCode: status, headers, body: { error: { code, message: 'x', type: 'OAuthException' } } });

test('2xx is sent', () => {
  assert.equal(classify({ statusCode: 200, headers: {}, body: { messages: [{ id: 'wamid.1' }] } }, 1, opts).outcome, 'sent');
});

test('rate limits and outages are retried, then dead-lettered as replayable after the last attempt', () => {
  // Meta: 130429 "Rate limit hit", 131000 "Something went wrong" are transient; 100 and 190 are not
  assert.equal(classify(graphError(400, 130429), 1, opts).outcome, 'retry');
  assert.equal(classify({ statusCode: 503, headers: {}, body: 'down' }, 2, opts).outcome, 'retry');
  const last = classify(graphError(500, 131000), 3, opts);
  assert.deepEqual([last.outcome, last.replayable], ['dead', true]);
});

test('permanent errors go straight to the DLQ, not replayable by the schedule', () => {
  for (const code of [100, 190, 131026]) {
    const v = classify(graphError(400, code), 1, opts);
    assert.deepEqual([v.outcome, v.replayable], ['dead', false], String(code));
  }
});

test('Retry-After is a floor for the next attempt; a send with no answer is never re-sent', () => {
  const v = classify(graphError(429, 130429, { 'Retry-After': '2' }), 1, opts);
  assert.ok(v.wait >= 2, `waits ${v.wait}`);
  assert.equal(retryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, opts.nowMs), 5);
  assert.equal(classify({ error: { message: 'timeout of 10000ms exceeded', code: 'ECONNABORTED' } }, 1, opts).reason, 'ambiguous');
  assert.equal(classify({ error: { message: 'connect ECONNREFUSED 127.0.0.1:9' } }, 1, opts).outcome, 'retry');
});

test('WhatsApp bodies address a phone with "to" and a business-scoped id with "recipient"', () => {
  assert.equal(request('wa', 'http://g/v25.0/', '123', '33612345678', 'hi').body.to, '33612345678');
  const bsuid = request('wa', 'http://g/v25.0', '123', 'US.13491208655302741918', 'hi');
  assert.equal(bsuid.body.recipient, 'US.13491208655302741918');
  assert.equal(bsuid.url, 'http://g/v25.0/123/messages');
  assert.deepEqual(request('msg', 'http://g/v25.0', '9', '42', 'hi').body, { recipient: { id: '42' }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
  assert.throws(() => request('ig', '', '9', '42', 'hi'), /IG_SEND_URL is not set/);
});
