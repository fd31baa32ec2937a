"""Lua scripts of the Redis store: each multi-key change runs atomically inside Redis.

A script runs alone on the server (no other command interleaves), which is what makes a claim
safe when several gateway processes share one Redis: an item moves from ``due`` to
``inflight`` exactly once. ARGV[1] is always the key prefix of the item hashes.
"""

# KEYS: inbox "new" list, inbox "leased" zset. ARGV: hash prefix, now, limit, lease_until, owner.
# First the events this owner still holds: between two of its claims a worker holds nothing it
# knows of, so such a lease comes from a claim whose answer was lost on the way back (a
# connection cut after Redis ran the script, a client retry): re-taken now, not in 30 s.
# The scan walks the leases still running: the events in flight (a claimed batch per worker), so
# a few dozen HGETs, not the inbox (its backlog waits in the "new" list, unleased).
# Then events whose lease ended (their worker died), then new ones in arrival order (LPUSH on
# put, RPOP here); every claimed event sits in "leased" scored by its lease end.
INBOX_CLAIM = """
local limit = tonumber(ARGV[3])
local ids = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf')) do
  if #ids >= limit then break end
  if redis.call('HGET', ARGV[1] .. id, 'owner') == ARGV[5] then ids[#ids + 1] = id end
end
if #ids < limit then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, limit - #ids)) do
    ids[#ids + 1] = id
  end
end
while #ids < limit do
  local id = redis.call('RPOP', KEYS[1])
  if not id then break end
  ids[#ids + 1] = id
end
local out = {}
for _, id in ipairs(ids) do
  local h = ARGV[1] .. id
  if redis.call('EXISTS', h) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[4], id)
    redis.call('HINCRBY', h, 'attempts', 1)
    redis.call('HSET', h, 'owner', ARGV[5])
    local fields = redis.call('HGETALL', h)
    out[#out + 1] = fields
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"""

# KEYS: event hash, new list. ARGV: event id, field/value pairs... An id already stored (a
# quarantine replay repeated, a replay racing the worker) is left alone: writing it again would
# reset its attempt count and queue it twice.
INBOX_PUT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('LPUSH', KEYS[2], ARGV[1])
return 1
"""

# KEYS: item hash, due zset. ARGV: unused prefix, next_attempt_at, key, field/value pairs...
# EXISTS then HSET inside one script: the key is unique for ever (sent or dead alike).
OUTBOX_PUT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


def _move_expired(*, limit: str, state: str, target_score: str, update: str) -> str:
    """Lua moving the keys of zset KEYS[1] scored up to ARGV[2] into zset KEYS[2].

    Only hashes (ARGV[1] .. key) still in ``state`` move, after the ``update`` Lua lines run on
    hash ``h``; the moved hashes come back as HGETALL replies. A key whose hash left ``state``
    (settled meanwhile) only leaves KEYS[1]. The outbox claim (due -> inflight) and the crash
    recovery (inflight -> dlq) are this one move with other arguments.
    """
    return f"""
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2]{limit})
local out = {{}}
for _, key in ipairs(keys) do
  redis.call('ZREM', KEYS[1], key)
  local h = ARGV[1] .. key
  if redis.call('HGET', h, 'state') == '{state}' then
{update}
    redis.call('ZADD', KEYS[2], {target_score}, key)
    out[#out + 1] = redis.call('HGETALL', h)
  end
end
return out
"""


# KEYS: due zset, inflight zset. ARGV: hash prefix, now, limit, lease_until.
OUTBOX_CLAIM = _move_expired(
    limit=", 'LIMIT', 0, tonumber(ARGV[3])",
    state="pending",
    target_score="ARGV[4]",
    update="""    redis.call('HSET', h, 'state', 'inflight')
    redis.call('HINCRBY', h, 'attempts', 1)""",
)

# KEYS: due, inflight, dlq zsets. ARGV: hash prefix, key, answer json, keep ms.
# Unconditional: Graph's answer proves the send, even if recovery had dead-lettered the item.
# The sent record then expires after the retention (its key refuses a second reply until then).
OUTBOX_SENT = """
local h = ARGV[1] .. ARGV[2]
if redis.call('EXISTS', h) == 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HSET', h, 'state', 'sent', 'answer', ARGV[3])
redis.call('HDEL', h, 'dead_reason', 'dead_replayable', 'dead_at')
redis.call('PEXPIRE', h, ARGV[4])
return 1
"""

# KEYS: due, inflight zsets. ARGV: hash prefix, key, next_attempt_at, error.
OUTBOX_RETRY = """
local h = ARGV[1] .. ARGV[2]
if redis.call('HGET', h, 'state') ~= 'inflight' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', h, 'state', 'pending', 'next_attempt_at', ARGV[3], 'last_error', ARGV[4])
return 1
"""

# KEYS: inflight, dlq zsets. ARGV: hash prefix, now, reason.
OUTBOX_RECOVER = _move_expired(
    limit="",
    state="inflight",
    target_score="ARGV[2]",
    update="""    redis.call('HSET', h, 'state', 'dead', 'dead_reason', ARGV[3], 'dead_replayable', '0',
               'dead_at', ARGV[2])""",
)

# KEYS: due, inflight, dlq zsets. ARGV: hash prefix, key, reason, replayable, dead_at,
# attempts, last_error.
DLQ_PUT = """
local h = ARGV[1] .. ARGV[2]
if redis.call('EXISTS', h) == 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HSET', h, 'state', 'dead', 'dead_reason', ARGV[3], 'dead_replayable', ARGV[4],
           'dead_at', ARGV[5], 'attempts', ARGV[6], 'last_error', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
return 1
"""


def _named_or_all(all_flag: int, first_key: int) -> str:
    """Lua setting ``keys``: every member of zset KEYS[1] when ARGV[all_flag] is '1', else the
    members named in ARGV[first_key..] (the admin "replay/purge these, or all" choice)."""
    return f"""
local keys = {{}}
if ARGV[{all_flag}] == '1' then keys = redis.call('ZRANGE', KEYS[1], 0, -1)
else for i = {first_key}, #ARGV do keys[#keys + 1] = ARGV[i] end end"""


# KEYS: dlq, due zsets. ARGV: hash prefix, now, force ('1'/'0'), all ('1'/'0'), keys...
DLQ_REPLAY = (
    _named_or_all(4, 5)
    + """
local out = {}
for _, key in ipairs(keys) do
  local h = ARGV[1] .. key
  if redis.call('ZSCORE', KEYS[1], key)
     and (ARGV[3] == '1' or redis.call('HGET', h, 'dead_replayable') == '1') then
    redis.call('ZREM', KEYS[1], key)
    redis.call('HSET', h, 'state', 'pending', 'attempts', '0', 'next_attempt_at', ARGV[2])
    redis.call('HDEL', h, 'dead_reason', 'dead_replayable', 'dead_at')
    redis.call('ZADD', KEYS[2], ARGV[2], key)
    out[#out + 1] = key
  end
end
return out
"""
)

# KEYS: dlq zset. ARGV: hash prefix, all ('1'/'0'), keys...
# The hash stays (state "purged") so the key can never be queued again.
DLQ_PURGE = (
    _named_or_all(2, 3)
    + """
local n = 0
for _, key in ipairs(keys) do
  if redis.call('ZREM', KEYS[1], key) == 1 then
    redis.call('HSET', ARGV[1] .. key, 'state', 'purged')
    n = n + 1
  end
end
return n
"""
)

# KEYS: quarantine zset. ARGV: hash prefix, all ('1'/'0'), ids...; returns how many went.
QUARANTINE_PURGE = (
    _named_or_all(2, 3)
    + """
local n = 0
for _, id in ipairs(keys) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('DEL', ARGV[1] .. id)
    n = n + 1
  end
end
return n
"""
)
