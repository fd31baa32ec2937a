'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { toIso } = require('../code/lib/timestamps');

// Expected instants worked out by hand: 1 700 000 000 s = 19 675 days + 80 000 s after the epoch.
test('epoch seconds, as a number or a string, become ISO 8601 UTC', () => {
  assert.equal(toIso(1700000000), '2023-11-14T22:13:20Z');
  assert.equal(toIso('1700000000'), '2023-11-14T22:13:20Z');
  assert.equal(toIso(0), '1970-01-01T00:00:00Z');
  assert.equal(toIso(86400), '1970-01-02T00:00:00Z');
});

test('epoch milliseconds keep their milliseconds', () => {
  assert.equal(toIso(1700000000123), '2023-11-14T22:13:20.123Z');
  assert.equal(toIso('1700000000000'), '2023-11-14T22:13:20Z');
});

test('an ISO string with a zone is normalised to UTC; garbage is refused by name', () => {
  assert.equal(toIso('2023-11-14T23:13:20+01:00'), '2023-11-14T22:13:20Z');
  assert.throws(() => toIso('yesterday'), /neither epoch nor ISO/);
  assert.throws(() => toIso('2023-11-14T22:13:20'), /neither epoch nor ISO/);
  assert.throws(() => toIso(-5), /not a valid epoch/);
  assert.throws(() => toIso(null), /not an epoch/);
});
