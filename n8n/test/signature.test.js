'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { check, verdict, mode } = require('../code/lib/signature');
const { ROOT } = require('./helpers');

// Vectors computed with printf + openssl dgst (payloads/vectors/make_vectors.sh), not by this code.
const { vectors } = JSON.parse(fs.readFileSync(path.join(ROOT, 'payloads', 'vectors', 'signatures.json'), 'utf8'));

test('every vector verifies with its openssl signature', () => {
  assert.ok(vectors.length > 0);
  for (const v of vectors) {
    assert.equal(check(Buffer.from(v.body, 'utf8'), `sha256=${v.sha256}`, v.secret).valid, true, v.name);
  }
});

test('a changed byte, another secret or a malformed header is refused', () => {
  const v = vectors[0];
  const body = Buffer.from(v.body, 'utf8');
  assert.equal(check(Buffer.from(v.body + ' ', 'utf8'), `sha256=${v.sha256}`, v.secret).reason, 'mismatch');
  assert.equal(check(body, `sha256=${v.sha256}`, 'another-secret').reason, 'mismatch');
  for (const bad of [`sha256=${v.sha256.toUpperCase()}`, v.sha256, `sha1=${v.sha1}`, 'sha256=', ` sha256=${v.sha256}`]) {
    assert.equal(check(body, bad, v.secret).valid, false, bad);
  }
  assert.equal(check(body, undefined, v.secret).reason, 'missing');
});

test('the three modes: warn by default, only enforce rejects', () => {
  assert.equal(mode({}), 'warn');
  assert.equal(mode({ META_SIGNATURE_REQUIRED: 'ENFORCE' }), 'enforce');
  assert.throws(() => mode({ META_SIGNATURE_REQUIRED: 'strict' }), /off, warn, enforce/);
  const body = Buffer.from('{}');
  assert.deepEqual([verdict(body, undefined, 's', 'enforce').accept, verdict(body, undefined, 's', 'warn').accept, verdict(body, undefined, 's', 'off').accept], [false, true, true]);
  assert.equal(verdict(body, undefined, 's', 'warn').warn, true);
});

test('REDIS_URL forms the Code nodes accept', () => {
  const { parseUrl } = require('../code/lib/resp');
  assert.deepEqual(parseUrl('redis://127.0.0.1:6391/0'), { host: '127.0.0.1', port: 6391, db: 0, password: '' });
  assert.deepEqual(parseUrl('redis://:s%40cret@cache:6380/2'), { host: 'cache', port: 6380, db: 2, password: 's@cret' });
  assert.throws(() => parseUrl('http://x'), /expected redis:\/\//);
});
