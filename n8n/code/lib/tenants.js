'use strict';
// The clients file (who owns which business id, its Graph token and reply rule) (P0-06).
const fs = require('fs');

function load(path) {
  if (!path) throw new Error('CLIENTS_FILE is not set: the gateway cannot tell whose message this is');
  const data = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (!data || !Array.isArray(data.clients)) throw new Error(`${path}: expected {"clients": [...]}`);
  return data.clients;
}

// The client owning business id ``id`` on ``channel`` (null when nobody does).
function resolve(clients, channel, id) {
  if (!id) return null;
  return clients.find((c) => ((c.channels || {})[channel] || []).includes(String(id))) || null;
}

function token(client, env) {
  if (client.token) return client.token;
  if (client.token_env) return (env && env[client.token_env]) || '';
  return '';
}

// Expired when token_expires_at (ISO or epoch seconds) is in the past.
function expired(client, nowMs) {
  const at = client.token_expires_at;
  if (at === undefined || at === null || at === '') return false;
  const ms = typeof at === 'number' ? at * 1000 : Date.parse(at);
  return Number.isFinite(ms) && ms <= nowMs;
}

// Exactly one reply text per inbound message: echo (the default), fixed text, or keywords.
function replyText(rule, text, type) {
  const r = rule || { kind: 'echo' };
  if (r.kind === 'fixed') return r.text || '';
  if (r.kind === 'keywords') {
    const said = String(text || '').toLowerCase();
    for (const [word, answer] of Object.entries(r.keywords || {})) {
      const escaped = word.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'u').test(said)) return answer;
    }
    return r.default || '';
  }
  // echo: a message without text still gets a deterministic, observable answer
  return text ? text : `[${type}]`;
}

module.exports = { load, resolve, token, expired, replyText };
