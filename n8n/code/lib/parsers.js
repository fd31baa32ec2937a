'use strict';
// Native Meta webhooks -> updates: every entry, change, message and event of a batch (P0-01..03, P1-01).
const { toIso } = require('./timestamps');

const asList = (v) => (Array.isArray(v) ? v : []);
const asDict = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const str = (v) => (v === undefined || v === null || v === '' ? null : String(v));

const OBJECTS = { wa: 'whatsapp_business_account', ig: 'instagram', msg: 'page' };
const WA_MEDIA = ['image', 'audio', 'video', 'document', 'sticker'];
const WA_KNOWN = new Set(['text', ...WA_MEDIA, 'location', 'contacts', 'interactive', 'button',
  'reaction', 'order', 'system', 'unsupported', 'request_welcome']);
// acknowledged and logged, never answered: a notice from WhatsApp, or nothing said yet
const WA_NOT_PROCESSED = new Set(['system', 'request_welcome']);
const ATTACHMENT_TYPES = { image: 'image', sticker: 'sticker', audio: 'audio', video: 'video',
  file: 'file', reel: 'reel', ig_reel: 'reel', share: 'share', post: 'share', ig_post: 'share',
  media: 'share', story: 'share', ig_story: 'share', story_mention: 'story_mention',
  fallback: 'fallback', template: 'template', appointment_booking: 'template' };
const RECEIPTS = ['read', 'delivery'];

// One update: kind ("message" is the only one answered), where it sat, and its envelope.
function update(kind, where, envelope = null, processable = false, tenantId = null) {
  return { kind, where, processable, tenant_id: tenantId, envelope };
}

function envelope(channel, fields) {
  let timestamp = null;
  let timestampError = null;
  try {
    timestamp = toIso(fields.timestamp);
  } catch (err) {
    timestampError = err.message; // the contract stage refuses it, with this reason
  }
  return {
    provider: channel,
    msg_id: str(fields.msg_id),
    from: str(fields.from),
    text: fields.text || '',
    timestamp,
    type: fields.type,
    attachments: fields.attachments || [],
    raw_meta: fields.raw_meta,
    reply_to: str(fields.reply_to),
    tenant_id: str(fields.tenant_id),
    user_id: str(fields.user_id),
    ...(timestampError ? { timestamp_error: timestampError } : {}),
  };
}

// --- WhatsApp: entry[].changes[].value.{messages,statuses,errors}[] -----------------------
function parseWhatsApp(body) {
  const out = [];
  asList(body.entry).forEach((entry, e) => {
    asList(asDict(entry).changes).forEach((change, c) => {
      const where = `entry[${e}].changes[${c}]`;
      change = asDict(change);
      const value = asDict(change.value);
      if ((change.field || 'messages') !== 'messages') {
        out.push(update(String(change.field), where)); // account, template, quality notices
        return;
      }
      const tenant = str(asDict(value.metadata).phone_number_id);
      const contacts = asList(value.contacts).map(asDict);
      asList(value.messages).forEach((m, i) => out.push(waMessage(asDict(m), contacts, tenant, `${where}.value.messages[${i}]`)));
      asList(value.statuses).forEach((_, i) => out.push(update('status', `${where}.value.statuses[${i}]`, null, false, tenant)));
      asList(value.errors).forEach((_, i) => out.push(update('error', `${where}.value.errors[${i}]`, null, false, tenant)));
    });
  });
  return out;
}

function waContact(message, contacts) {
  for (const contact of contacts) {
    if ((message.from && contact.wa_id === message.from) || (message.from_user_id && contact.user_id === message.from_user_id)) return contact;
  }
  return contacts.length === 1 ? contacts[0] : {};
}

function waMessage(message, contacts, tenant, where) {
  const contact = waContact(message, contacts);
  const userId = message.from_user_id || contact.user_id || asDict(message.system).user_id || null;
  // BSUID dialect: a user may come without a phone number; the business-scoped id answers then
  const sender = message.from || contact.wa_id || userId;
  const mtype = message.type;
  const ctype = WA_KNOWN.has(mtype) ? mtype : 'unsupported';
  const bodyOf = asDict(typeof mtype === 'string' ? message[mtype] : null);
  const env = envelope('wa', {
    msg_id: message.id, from: sender, timestamp: message.timestamp, type: ctype,
    text: waText(ctype, bodyOf, message), attachments: waAttachments(ctype, bodyOf),
    raw_meta: message, reply_to: asDict(message.context).id, tenant_id: tenant, user_id: userId,
  });
  if (WA_NOT_PROCESSED.has(ctype)) return update(ctype, where, env, false, tenant);
  // a group message: this gateway answers one-to-one chats only
  if (message.group_id) return update('group', where, env, false, tenant);
  if (ctype === 'reaction' && !bodyOf.emoji) return update('reaction_removed', where, env, false, tenant);
  return update('message', where, env, true, tenant);
}

function waText(ctype, body, message) {
  if (ctype === 'text') return String(body.body || '');
  if (WA_MEDIA.includes(ctype)) return String(body.caption || '');
  if (ctype === 'interactive') {
    const reply = asDict(body[String(body.type)]);
    return String(reply.title || reply.body || '');
  }
  if (ctype === 'button') return String(body.text || body.payload || '');
  if (ctype === 'reaction') return String(body.emoji || '');
  if (ctype === 'location') return String(body.name || body.address || '');
  if (ctype === 'order' || ctype === 'system') return String(body.text || body.body || '');
  if (ctype === 'contacts') {
    return asList(message.contacts).map((c) => asDict(asDict(c).name).formatted_name).filter((n) => typeof n === 'string').join(', ');
  }
  return '';
}

function waAttachments(ctype, body) {
  if (!WA_MEDIA.includes(ctype)) return [];
  const item = { type: ctype };
  for (const [src, dst] of [['id', 'media_id'], ['url', 'url'], ['mime_type', 'mime_type'], ['sha256', 'sha256']]) {
    if (typeof body[src] === 'string' && body[src]) item[dst] = body[src];
  }
  if (typeof body.caption === 'string') item.caption = body.caption;
  if (typeof body.filename === 'string' && body.filename) item.filename = body.filename;
  return [item];
}

// --- Instagram and Messenger: entry[].messaging[] (and standby[]) -------------------------
function parseMessaging(body, channel) {
  const out = [];
  asList(body.entry).forEach((entry, e) => {
    entry = asDict(entry);
    asList(entry.messaging).forEach((ev, i) => out.push(messagingEvent(channel, asDict(ev), entry, `entry[${e}].messaging[${i}]`)));
    // standby: another app owns the thread (handover protocol), not ours to answer
    asList(entry.standby).forEach((_, i) => out.push(update('standby', `entry[${e}].standby[${i}]`)));
    asList(entry.changes).forEach((ch, i) => out.push(change(channel, asDict(ch), entry, `entry[${e}].changes[${i}]`)));
  });
  return out;
}

// Instagram comments are answered (a changes[] form with no timestamp of its own: entry.time);
// mentions name no author and other fields are notices: acknowledged, not answered.
function change(channel, ch, entry, where) {
  const value = asDict(ch.value);
  const tenant = str(entry.id);
  if (channel === 'ig' && (ch.field === 'comments' || ch.field === 'live_comments')) {
    const env = envelope(channel, {
      // Facebook-Login payloads name it comment_id, Instagram-Login ones id
      msg_id: value.comment_id || value.id, from: asDict(value.from).id, timestamp: entry.time,
      type: 'comment', text: value.text || '', raw_meta: value, reply_to: value.parent_id, tenant_id: tenant });
    return update('message', where, env, true, tenant);
  }
  return update(String(ch.field || 'change'), where, null, false, tenant);
}

function messagingEvent(channel, ev, entry, where) {
  // entry.id is the Page / IG account; recipient.id the same on inbound events
  const tenant = str(entry.id) || str(asDict(ev.recipient).id);
  const sender = str(asDict(ev.sender).id);
  const stamp = ev.timestamp !== undefined ? ev.timestamp : entry.time;
  const env = (type, msgId, extra = {}) => envelope(channel, {
    msg_id: msgId, from: sender, timestamp: stamp, type, raw_meta: ev, tenant_id: tenant, ...extra });
  if ('message' in ev) return messagingMessage(asDict(ev.message), env, tenant, where);
  if ('postback' in ev) {
    const pb = asDict(ev.postback);
    return update('message', where, env('postback', pb.mid || `postback:${sender}:${stamp}`, { text: pb.payload || pb.title || '' }), true, tenant);
  }
  if ('reaction' in ev) {
    const r = asDict(ev.reaction);
    // reaction.mid is the reacted-to message: the reaction gets an id of its own
    const e = env('reaction', r.mid ? `${r.mid}:reaction:${stamp}` : null, { text: r.emoji || r.reaction || '', reply_to: r.mid });
    return update(r.action === 'unreact' ? 'reaction_removed' : 'message', where, e, r.action !== 'unreact', tenant);
  }
  if ('referral' in ev) {
    return update('message', where, env('referral', `referral:${sender}:${stamp}`, { text: asDict(ev.referral).ref || '' }), true, tenant);
  }
  if ('optin' in ev) {
    const opt = asDict(ev.optin);
    return update('message', where, env('optin', `optin:${sender}:${stamp}`, { text: opt.ref || opt.payload || '' }), true, tenant);
  }
  if ('message_edit' in ev) {
    const edit = asDict(ev.message_edit);
    return update('edit', where, env('edit', edit.mid, { text: edit.text || '' }), false, tenant);
  }
  for (const receipt of RECEIPTS) if (receipt in ev) return update(receipt, where, null, false, tenant);
  const other = Object.keys(ev).find((k) => !['sender', 'recipient', 'timestamp'].includes(k)) || 'unknown';
  return update(other, where, null, false, tenant);
}

function messagingMessage(msg, env, tenant, where) {
  // our own send coming back (message_echoes): answering it would loop forever
  if (msg.is_echo) return update('echo', where, null, false, tenant);
  if (msg.is_self) return update('self', where, null, false, tenant);
  const mid = msg.mid;
  const text = msg.text || '';
  const replyTo = asDict(msg.reply_to);
  const attachments = asList(msg.attachments).map((a) => attachment(asDict(a)));
  if (msg.is_deleted) return update('deleted', where, env('deleted', mid, { text }), false, tenant);
  if (msg.is_unsupported) return update('message', where, env('unsupported', mid, { text }), true, tenant);
  const story = asDict(replyTo.story);
  let e;
  if (Object.keys(story).length) {
    e = env('story_reply', mid, { text, attachments: [{ type: 'story', ...(story.url ? { url: story.url } : {}) }, ...attachments] });
  } else if (msg.quick_reply) {
    e = env('quick_reply', mid, { text, reply_to: replyTo.mid });
  } else if (attachments.length) {
    e = env(attachmentType(asList(msg.attachments)), mid, { text, attachments, reply_to: replyTo.mid });
  } else {
    e = env('text', mid, { text, reply_to: replyTo.mid });
  }
  return update('message', where, e, true, tenant);
}

function attachment(a) {
  const out = { type: str(a.type) || 'unknown' };
  const payload = asDict(a.payload);
  if (typeof payload.url === 'string' && payload.url) out.url = payload.url;
  if (typeof payload.title === 'string') out.caption = payload.title;
  return out;
}

function attachmentType(list) {
  for (const item of list.map(asDict)) {
    const stickerId = asDict(item.payload).sticker_id || item.sticker_id;
    if (item.type === 'sticker' || (item.type === 'image' && stickerId)) return 'sticker';
  }
  // a type Meta adds later is a fallback, not an error (forward-compatible)
  return ATTACHMENT_TYPES[str(asDict(list[0]).type) || ''] || 'fallback';
}

// The whole body of one POST: the channel's object is checked, then every update listed.
function parse(body, channel) {
  const b = asDict(body);
  if (b.object !== OBJECTS[channel]) {
    return { ok: false, reason: `object is ${JSON.stringify(b.object)}, expected ${JSON.stringify(OBJECTS[channel])}`, updates: [] };
  }
  return { ok: true, reason: '', updates: channel === 'wa' ? parseWhatsApp(b) : parseMessaging(b, channel) };
}

module.exports = { parse, parseWhatsApp, parseMessaging, OBJECTS };
