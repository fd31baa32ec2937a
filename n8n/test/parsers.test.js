'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { parse } = require('../code/lib/parsers');
const { ALL } = require('./helpers');

test('every catalogue sample is answered exactly when the catalogue says it is processable', () => {
  for (const [name, sample] of Object.entries(ALL)) {
    const { ok, updates } = parse(sample.payload, sample.channel);
    assert.ok(ok, `${name}: not recognised as ${sample.channel}`);
    assert.equal(updates.some((u) => u.processable), sample.processable, `${name} (${sample.kind})`);
  }
});

test('statuses, receipts and echoes are acknowledged, never answered', () => {
  for (const name of ['wa.status.sent', 'wa.status.read', 'wa.status.failed', 'msg.delivery', 'msg.read', 'msg.echo', 'ig.echo', 'ig.read']) {
    const { updates } = parse(ALL[name].payload, ALL[name].channel);
    assert.ok(updates.length >= 1, name);
    assert.ok(updates.every((u) => !u.processable), name);
  }
});

test('a WhatsApp text maps from, id, text and the epoch-seconds timestamp', () => {
  const sample = ALL['wa.text'].payload;
  const msg = sample.entry[0].changes[0].value.messages[0];
  const [u] = parse(sample, 'wa').updates;
  assert.equal(u.envelope.msg_id, msg.id);
  assert.equal(u.envelope.from, msg.from);
  assert.equal(u.envelope.text, msg.text.body);
  assert.equal(u.envelope.type, 'text');
  assert.equal(Date.parse(u.envelope.timestamp), Number(msg.timestamp) * 1000);
  assert.equal(u.tenant_id, sample.entry[0].changes[0].value.metadata.phone_number_id);
});

test('Messenger and Instagram map sender, mid and the epoch-milliseconds timestamp', () => {
  for (const name of ['msg.text', 'ig.text']) {
    const sample = ALL[name].payload;
    const ev = sample.entry[0].messaging[0];
    const [u] = parse(sample, ALL[name].channel).updates;
    assert.equal(u.envelope.msg_id, ev.message.mid, name);
    assert.equal(u.envelope.from, ev.sender.id, name);
    assert.equal(u.envelope.text, ev.message.text, name);
    assert.equal(Date.parse(u.envelope.timestamp), ev.timestamp, name);
    assert.equal(u.tenant_id, sample.entry[0].id, name);
  }
});

test('every entry, change and message of a batch is parsed, not only entry[0]', () => {
  const one = ALL['wa.text'].payload;
  const message = one.entry[0].changes[0].value.messages[0];
  const value = (e, c) => ({ ...one.entry[0].changes[0].value,
    messages: [0, 1].map((m) => ({ ...message, id: `wamid.batch.${e}.${c}.${m}` })) });
  const body = { object: one.object, entry: [0, 1, 2].map((e) => ({ id: one.entry[0].id,
    changes: [0, 1].map((c) => ({ field: 'messages', value: value(e, c) })) })) };
  const ids = parse(body, 'wa').updates.filter((u) => u.processable).map((u) => u.envelope.msg_id);
  assert.equal(ids.length, 12);
  assert.equal(new Set(ids).size, 12);

  const msg = ALL['msg.text'].payload;
  const multi = { object: 'page', entry: [msg.entry[0], { ...msg.entry[0], messaging: [
    { ...msg.entry[0].messaging[0], message: { ...msg.entry[0].messaging[0].message, mid: 'm_second' } }] }] };
  assert.deepEqual(parse(multi, 'msg').updates.map((u) => u.envelope.msg_id), [msg.entry[0].messaging[0].message.mid, 'm_second']);
});

test('a body for another channel is refused by name', () => {
  const r = parse(ALL['wa.text'].payload, 'msg');
  assert.equal(r.ok, false);
  assert.match(r.reason, /whatsapp_business_account/);
});
