import { createHash } from 'node:crypto';

/**
 * A Lua script the store runs with `EVALSHA`, sending the source again on `NOSCRIPT`.
 * Every script takes the user's two keys as `KEYS[1]` (the index sorted set) and `KEYS[2]`
 * (the sessions hash), so each call touches one hash slot.
 */
export interface RedisScript {
  /** A name for messages and tests. */
  readonly name: string;
  /** The Lua source. */
  readonly lua: string;
  /** The SHA-1 of the source, as `EVALSHA` expects it. */
  readonly sha: string;
}

/*
 * Shared helpers. Times arrive as decimal strings from the store's clock: liveness is decided
 * by that clock (`nowMs < expiresAtMs`), never by the server's TIME. Key expiry only frees
 * memory: both keys are set to expire a grace period after the user's last session does,
 * measured from now on the store's clock, so a constant offset between the store's clock and
 * the server's cannot make a key vanish while a session in it is live, and a store clock that
 * runs slower than the server's (a paused or manual clock) may lag by up to the grace period.
 */
const PRELUDE = `
local function dropExpired(index, sessions, nowArg)
  local expired = redis.call('ZRANGEBYSCORE', index, '-inf', nowArg)
  for first = 1, #expired, 500 do
    local fields = {}
    for position = first, math.min(first + 499, #expired) do
      fields[#fields + 1] = 'r:' .. expired[position]
      fields[#fields + 1] = 'v:' .. expired[position]
    end
    redis.call('HDEL', sessions, unpack(fields))
  end
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', nowArg)
  end
  return #expired
end

local function expireWithLastSession(index, sessions, nowMs, graceMs)
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', index, sessions)
    return
  end
  local ttlMs = math.max(1, math.ceil(tonumber(last[2]) - nowMs)) + graceMs
  local ttlArg = string.format('%.0f', ttlMs)
  redis.call('PEXPIRE', index, ttlArg)
  redis.call('PEXPIRE', sessions, ttlArg)
end
`;

/** Builds a script; `helpers` prepends the shared functions for the scripts that use them. */
function defineScript(name: string, body: string, helpers = false): RedisScript {
  const lua = `${helpers ? PRELUDE : ''}\n${body.trim()}\n`;
  return Object.freeze({ name, lua, sha: createHash('sha1').update(lua).digest('hex') });
}

/** ARGV: sessionId, nowMs. Returns the record when the session is live, else nil. */
export const GET_SCRIPT = defineScript(
  'get',
  `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= tonumber(ARGV[2]) then
  return false
end
return redis.call('HGET', KEYS[2], 'r:' .. ARGV[1])
`,
);

/**
 * ARGV: sessionId, record, nowMs, expiresAtMs, expectedLockVersion (or ''), lockVersion (or
 * ''), keyExpiryGraceMs. Applies the compare-and-set, drops the user's expired sessions, writes the record,
 * its lock version and its index entry, and sets both keys to expire with the last session.
 * Returns 1 when written, 0 when the compare-and-set failed and nothing changed.
 */
export const UPSERT_SCRIPT = defineScript(
  'upsert',
  `
local index, sessions = KEYS[1], KEYS[2]
local sessionId, nowMs, expected = ARGV[1], tonumber(ARGV[3]), ARGV[5]
if expected ~= '' then
  local score = redis.call('ZSCORE', index, sessionId)
  local live = score and tonumber(score) > nowMs
  if expected == '0' then
    if live then
      return 0
    end
  elseif not live or redis.call('HGET', sessions, 'v:' .. sessionId) ~= expected then
    return 0
  end
end
dropExpired(index, sessions, ARGV[3])
redis.call('HSET', sessions, 'r:' .. sessionId, ARGV[2])
if ARGV[6] == '' then
  redis.call('HDEL', sessions, 'v:' .. sessionId)
else
  redis.call('HSET', sessions, 'v:' .. sessionId, ARGV[6])
end
redis.call('ZADD', index, ARGV[4], sessionId)
expireWithLastSession(index, sessions, nowMs, tonumber(ARGV[7]))
return 1
`,
  true,
);

/**
 * ARGV: sessionId, nowMs, keyExpiryGraceMs. Removes the session, drops the user's expired sessions and
 * deletes both keys when nothing is left. Returns 1.
 */
export const DELETE_SCRIPT = defineScript(
  'delete',
  `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], 'r:' .. ARGV[1], 'v:' .. ARGV[1])
dropExpired(KEYS[1], KEYS[2], ARGV[2])
expireWithLastSession(KEYS[1], KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
`,
  true,
);

/** ARGV: nowMs. Returns the live sessions as a flat list: id, record, id, record, ... */
export const GET_ALL_SCRIPT = defineScript(
  'getAll',
  `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
local found = {}
for _, sessionId in ipairs(ids) do
  local record = redis.call('HGET', KEYS[2], 'r:' .. sessionId)
  if record then
    found[#found + 1] = sessionId
    found[#found + 1] = record
  end
end
return found
`,
);

/** No ARGV. Deletes both keys of the user. Returns how many keys existed. */
export const DELETE_ALL_SCRIPT = defineScript(
  'deleteAll',
  `
return redis.call('DEL', KEYS[1], KEYS[2])
`,
);

/**
 * ARGV: nowMs, keyExpiryGraceMs. Drops the user's expired sessions; returns how many were
 * dropped.
 */
export const PRUNE_SCRIPT = defineScript(
  'prune',
  `
local dropped = dropExpired(KEYS[1], KEYS[2], ARGV[1])
expireWithLastSession(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
return dropped
`,
  true,
);
