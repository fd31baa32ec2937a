// node-correct: a small Meta webhook gateway (WhatsApp, Instagram, Messenger) written from
// Meta's webhook formats and the acceptance suite's features alone. Node.js standard library
// only. It is meant to be RIGHT: the zoo uses it to check the suite passes a correct gateway.
//
// Settings (env): PORT, HOST, META_APP_SECRET, META_VERIFY_TOKEN, META_SIGNATURE_REQUIRED
// (off | warn | enforce, default warn), WA_SEND_URL / IG_SEND_URL / MSG_SEND_URL (Graph base
// with version), GATEWAY_ENV (prod refuses missing or local send URLs), CLIENTS_FILE (tenants),
// SEND_MAX_ATTEMPTS (default 3), SEND_BACKOFF_MS (default 200).
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');

const env = process.env;
const PORT = Number(env.PORT || 8080);
const HOST = env.HOST || '127.0.0.1';
const APP_SECRET = env.META_APP_SECRET || '';
const VERIFY_TOKEN = env.META_VERIFY_TOKEN || '';
const SIGNATURE_MODE = env.META_SIGNATURE_REQUIRED || 'warn';
const MAX_ATTEMPTS = Number(env.SEND_MAX_ATTEMPTS || 3);
const BACKOFF_MS = Number(env.SEND_BACKOFF_MS || 200);
// Meta documents 3 MB as the largest webhook body; more is refused with 413.
const MAX_BODY = 3 * 1000 * 1000;
const SEND_URL = { wa: env.WA_SEND_URL, ig: env.IG_SEND_URL, msg: env.MSG_SEND_URL };
// Graph error codes worth retrying: transient, rate and throughput limits, server errors.
// Anything else (100 invalid parameter, 190 token, 131026 undeliverable, 131047 window ...)
// will fail the same way again, so it is never retried.
const RETRYABLE_CODES = new Set([1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056]);

function log(level, msg, fields = {}) {
  // plain JSON lines on stdout; never the secret, the verify token or a Graph token
  process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }) + '\n');
}

// ---- configuration checks -----------------------------------------------------------------
function configProblems() {
  const problems = [];
  if (!['off', 'warn', 'enforce'].includes(SIGNATURE_MODE)) {
    problems.push(`META_SIGNATURE_REQUIRED must be off, warn or enforce, not ${SIGNATURE_MODE}`);
  }
  if (env.GATEWAY_ENV === 'prod') {
    // In production a send URL must be set and must be Meta's Graph API, never a local mock.
    for (const [ch, name] of [['wa', 'WA_SEND_URL'], ['ig', 'IG_SEND_URL'], ['msg', 'MSG_SEND_URL']]) {
      const url = SEND_URL[ch];
      if (!url) problems.push(`${name} is not set`);
      else if (!/^https:\/\/graph\.(facebook|instagram)\.com\//.test(url)) {
        problems.push(`${name} must point at https://graph.facebook.com, not ${url}`);
      }
    }
    if (!APP_SECRET) problems.push('META_APP_SECRET is not set');
  }
  return problems;
}

// ---- tenants ------------------------------------------------------------------------------
// CLIENTS_FILE: {"clients": [{client_id, channels: {wa: [ids], ig: [ids], msg: [ids]}, token,
// token_expires_at, reply_rule: {kind: "echo"} | {kind: "fixed", text}}]}
function loadTenants() {
  const byId = new Map();
  if (!env.CLIENTS_FILE) return byId;
  const doc = JSON.parse(fs.readFileSync(env.CLIENTS_FILE, 'utf8'));
  for (const client of doc.clients || []) {
    for (const [ch, ids] of Object.entries(client.channels || {})) {
      for (const id of ids) byId.set(`${ch}:${id}`, client);
    }
  }
  return byId;
}
const TENANTS = loadTenants();

// ---- signature ----------------------------------------------------------------------------
// X-Hub-Signature-256: "sha256=" + lowercase hex HMAC-SHA256 of the raw body bytes. The exact
// string is compared in constant time, so uppercase hex, other prefixes, whitespace or an
// empty digest are all refused.
function signatureOk(raw, header) {
  if (!APP_SECRET || typeof header !== 'string') return false;
  const want = Buffer.from('sha256=' + crypto.createHmac('sha256', APP_SECRET).update(raw).digest('hex'));
  const got = Buffer.from(header);
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

// ---- dedupe -------------------------------------------------------------------------------
// Meta redelivers until it gets a 200 and may send the same event twice at once: one key per
// event, checked and set synchronously (no await in between), kept for a day.
const seen = new Map();
const DEDUPE_TTL_MS = 24 * 3600 * 1000;
function firstTime(key) {
  const now = Date.now();
  if (seen.size > 100000) {
    for (const [k, t] of seen) if (now - t > DEDUPE_TTL_MS) seen.delete(k);
  }
  if (seen.has(key)) return false;
  seen.set(key, now);
  return true;
}

// JSON with every object's keys sorted: the same value gives the same text whatever order the
// keys came in (Meta does not promise the same bytes, or the same key order, on a redelivery).
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// Messenger/Instagram postbacks and reactions may come without a mid: derive a stable key from
// the event's own content (never a random id, or a redelivery would look new).
function stableKey(channel, ev) {
  const kind = Object.keys(ev).filter((k) => !['sender', 'recipient', 'timestamp'].includes(k)).sort();
  const content = canonical([ev.sender?.id, ev.recipient?.id, ev.timestamp, kind.map((k) => [k, ev[k]])]);
  return `${channel}:sha256:${crypto.createHash('sha256').update(content).digest('hex')}`;
}

// ---- parsing: Meta's webhooks -> user messages to answer ----------------------------------
// Each item: {channel, tenantId, to, toField, key, text, mediaId}
function waText(m) {
  switch (m.type) {
    case 'text': return m.text?.body;
    case 'image': case 'video': case 'document': return m[m.type]?.caption;
    case 'interactive': {
      const r = m.interactive?.button_reply || m.interactive?.list_reply;
      return r?.title || r?.id;
    }
    case 'button': return m.button?.text || m.button?.payload;
    case 'location': return m.location?.name;
    case 'reaction': return m.reaction?.emoji;
    case 'order': return m.order?.text;
    default: return undefined;
  }
}

function whatsappMessages(body) {
  const out = [];
  for (const entry of body.entry || []) {
    for (const change of entry.changes || []) {
      if (change.field !== 'messages') continue;
      const value = change.value || {};
      const phoneId = value.metadata?.phone_number_id;
      // value.statuses (sent / delivered / read / failed) are not messages: ignored.
      for (const m of value.messages || []) {
        // system notices and a first-contact request_welcome are not messages to answer; a
        // group message is not answered one-to-one (it would leak the group's conversation)
        if (m.type === 'system' || m.type === 'request_welcome' || m.group_id) continue;
        if (m.type === 'reaction' && !m.reaction?.emoji) continue; // a removed reaction
        if (!m.id) {
          log('warn', 'whatsapp message without id: quarantined, not answered', { type: m.type });
          continue;
        }
        const bsuid = !m.from && m.from_user_id; // BSUID dialect: answer the business-scoped id
        const media = ['image', 'video', 'audio', 'document', 'sticker'].includes(m.type) ? m[m.type]?.id : undefined;
        out.push({
          channel: 'wa', tenantId: phoneId, to: bsuid || m.from, toField: bsuid ? 'recipient' : 'to',
          key: `wa:${m.id}`, text: waText(m) || `[${m.type}]`, mediaId: media,
        });
      }
    }
  }
  return out;
}

function messagingEvents(channel, body) {
  const out = [];
  for (const entry of body.entry || []) {
    for (const ev of entry.messaging || []) {
      const tenantId = ev.recipient?.id || entry.id;
      const to = ev.sender?.id;
      if (ev.message) {
        // echoes are the business's own sends; deleted messages have nothing to answer; an
        // is_self message is an account's test message to itself (no user to answer)
        if (ev.message.is_echo || ev.message.is_deleted || ev.message.is_self) continue;
        const m = ev.message;
        const kind = m.attachments?.[0]?.type;
        out.push({
          channel, tenantId, to, key: m.mid ? `${channel}:${m.mid}` : stableKey(channel, ev),
          text: m.text || (kind ? `[${kind}]` : '[message]'),
        });
      } else if (ev.postback) {
        const p = ev.postback;
        out.push({
          channel, tenantId, to, key: p.mid ? `${channel}:${p.mid}` : stableKey(channel, ev),
          text: p.payload || p.title || '[postback]',
        });
      } else if (ev.referral) {
        // the user opened the conversation from an ad, a link or a QR code: answered once
        out.push({
          channel, tenantId, to, key: stableKey(channel, ev),
          text: ev.referral.ref || '[referral]',
        });
      }
      // read, delivery, reaction, optin, standby ...: acknowledged, not answered
    }
  }
  return out;
}

// Instagram comments (changes, field comments / live_comments) are answered with a direct
// message to their author; mentions name no author and are not answered.
function instagramComments(body) {
  const out = [];
  for (const entry of body.entry || []) {
    for (const change of entry.changes || []) {
      if (!['comments', 'live_comments'].includes(change.field)) continue;
      const v = change.value || {};
      const id = v.comment_id || v.id;
      if (!v.from?.id || !id || v.from.id === entry.id) continue; // no author, or our own comment
      out.push({ channel: 'ig', tenantId: entry.id, to: v.from.id, key: `ig:comment:${id}`, text: v.text || '[comment]' });
    }
  }
  return out;
}

function userMessages(body) {
  if (body?.object === 'whatsapp_business_account') return whatsappMessages(body);
  if (body?.object === 'instagram') return [...messagingEvents('ig', body), ...instagramComments(body)];
  if (body?.object === 'page') return messagingEvents('msg', body);
  return []; // another product's webhook (user, permissions ...): nothing to answer
}

// ---- sending through the Graph API --------------------------------------------------------
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function graph(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  let json = null;
  try { json = await res.json(); } catch { /* an HTML error page from a proxy */ }
  return { res, json };
}

function retryable(res, json) {
  const code = json?.error?.code;
  if (code !== undefined) return RETRYABLE_CODES.has(code) || json.error.is_transient === true;
  return res.status === 429 || res.status >= 500; // no Graph error body: judge the HTTP status
}

async function sendWithRetry(url, token, body, what) {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let delay = BACKOFF_MS * 2 ** (attempt - 1);
    try {
      const { res, json } = await graph('POST', url, token, body);
      if (res.ok) return true;
      if (!retryable(res, json)) {
        log('error', 'graph refused the reply, not retried', { ...what, status: res.status, code: json?.error?.code });
        return false;
      }
      // Retry-After (seconds) is a floor: never retry sooner than Graph asked
      const after = Number(res.headers.get('retry-after'));
      if (after > 0) delay = Math.max(delay, after * 1000);
      log('warn', 'graph send failed, will retry', { ...what, attempt, status: res.status, code: json?.error?.code });
    } catch (err) {
      // No answer after the request left (a timeout, a reset): Graph may have accepted it, and a
      // retry would send the reply twice. Only a connection that was never made is retried.
      if (err?.cause?.code !== 'ECONNREFUSED') {
        log('error', 'no answer from graph: the reply may have been sent, not retried', { ...what, attempt, error: String(err) });
        return false;
      }
      log('warn', 'graph unreachable, will retry', { ...what, attempt, error: String(err) });
    }
    if (attempt < MAX_ATTEMPTS) await sleep(delay);
  }
  log('error', 'reply dropped after the maximum attempts', { ...what, attempts: MAX_ATTEMPTS });
  return false;
}

async function answer(item) {
  const client = TENANTS.get(`${item.channel}:${item.tenantId}`);
  const what = { channel: item.channel, key: item.key };
  if (!client) return log('warn', 'no tenant owns this business id: not answered', what);
  if (client.token_expires_at && Date.parse(client.token_expires_at) <= Date.now()) {
    return log('warn', "tenant's Graph token expired: not sent", { ...what, client: client.client_id });
  }
  const base = SEND_URL[item.channel];
  if (item.mediaId) {
    // resolve the WhatsApp media id (URL, mime type) before answering; a failure is not fatal
    try { await graph('GET', `${base}/${item.mediaId}`, client.token); } catch (err) {
      log('warn', 'media lookup failed', { ...what, error: String(err) });
    }
  }
  const rule = client.reply_rule || { kind: 'echo' };
  const text = rule.kind === 'fixed' ? rule.text : item.text;
  let body;
  if (item.channel === 'wa') {
    body = { messaging_product: 'whatsapp', recipient_type: 'individual', [item.toField]: item.to, type: 'text', text: { body: text.slice(0, 4096) } };
  } else {
    body = { recipient: { id: item.to }, messaging_type: 'RESPONSE', message: { text: text.slice(0, 2000) } };
  }
  await sendWithRetry(`${base}/${item.tenantId}/messages`, client.token, body, what);
}

function processWebhook(body) {
  for (const item of userMessages(body)) {
    if (!firstTime(item.key)) { log('info', 'duplicate, already answered', { key: item.key }); continue; }
    answer(item).catch((err) => log('error', 'answer failed', { key: item.key, error: String(err) }));
  }
}

// ---- HTTP ---------------------------------------------------------------------------------
function reply(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function handshake(res, url) {
  const q = url.searchParams;
  if (q.get('hub.mode') === 'subscribe' && VERIFY_TOKEN && q.get('hub.verify_token') === VERIFY_TOKEN) {
    return reply(res, 200, q.get('hub.challenge') || '');
  }
  return reply(res, 403, 'Forbidden');
}

function receive(req, res) {
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) { tooLarge = true; chunks.length = 0; } else if (!tooLarge) chunks.push(c);
  });
  req.on('end', () => {
    if (tooLarge) return reply(res, 413, 'Payload Too Large');
    const raw = Buffer.concat(chunks);
    const header = req.headers['x-hub-signature-256'];
    if (SIGNATURE_MODE !== 'off' && !signatureOk(raw, header)) {
      if (SIGNATURE_MODE === 'enforce') return reply(res, 401, 'bad signature');
      log('warn', 'bad or missing X-Hub-Signature-256, accepted (META_SIGNATURE_REQUIRED=warn)');
    }
    let body;
    try { body = JSON.parse(raw.toString('utf8')); } catch { return reply(res, 400, 'not JSON'); }
    reply(res, 200, 'EVENT_RECEIVED'); // answer fast; the replies are sent after the 200
    setImmediate(() => {
      try { processWebhook(body); } catch (err) { log('error', 'webhook processing failed', { error: String(err) }); }
    });
  });
}

const WEBHOOK = /^\/webhook\/(wa|ig|msg)\/?$/;

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health' && req.method === 'GET') return reply(res, 200, 'OK');
  if (!WEBHOOK.test(url.pathname)) return reply(res, 404, 'Not Found');
  if (req.method === 'GET') return handshake(res, url);
  if (req.method === 'POST') return receive(req, res);
  return reply(res, 405, 'Method Not Allowed');
});

const problems = configProblems();
if (problems.length) {
  for (const p of problems) process.stderr.write(`config error: ${p}\n`);
  process.exit(1);
}
if (SIGNATURE_MODE !== 'enforce') {
  log('warn', `META_SIGNATURE_REQUIRED=${SIGNATURE_MODE}: unsigned or badly signed webhooks are accepted`);
}
server.listen(PORT, HOST, () => log('info', 'listening', { host: HOST, port: PORT }));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
