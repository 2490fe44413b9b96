import { createHash } from 'node:crypto';

/**
 * A Lua script the store runs with `EVALSHA`, sending the source again on `NOSCRIPT`.
 * Every script takes the user's two keys as `KEYS[1]` (the index sorted set) and `KEYS[2]`
 * (the sessions hash), so each call touches one hash slot. The writes are scripts, since each
 * makes several changes that must happen together; reads and `deleteAll` are single plain
 * commands (`HGET`, `HGETALL`, `DEL`), which are as atomic and cost Redis less, except on a
 * Cluster client that sends reads to replicas, where reads run as the scripts below, which
 * ioredis always sends to the master.
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
  for first = 1, #expired, 1000 do
    local fields = {}
    for position = first, math.min(first + 999, #expired) do
      fields[#fields + 1] = 'r:' .. expired[position]
    end
    redis.call('HDEL', sessions, unpack(fields))
  end
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', nowArg)
  end
  return #expired
end

local function setKeyExpiry(index, sessions, ttlMs)
  local ttlArg = string.format('%.0f', ttlMs)
  redis.call('PEXPIRE', index, ttlArg)
  redis.call('PEXPIRE', sessions, ttlArg)
end

-- Builds the index again from the expiry at the front of each stored value, for an index
-- that no longer lists what the hash holds: one of the two keys was evicted.
local function rebuildIndex(index, sessions)
  redis.call('DEL', index)
  local fields = redis.call('HGETALL', sessions)
  for position = 1, #fields, 2 do
    local expiresAt = string.match(fields[position + 1], '^(-?%d+):')
    if expiresAt and string.sub(fields[position], 1, 2) == 'r:' then
      redis.call('ZADD', index, expiresAt, string.sub(fields[position], 3))
    end
  end
end

-- Sets both keys to end the grace after the user's last session, or, given the keys'
-- current time to live, leaves it when it is within one more grace of that (a current time
-- to live of -1 always sets it, to the end of that window). The hash decides what exists: with
-- nothing in it both keys go, and an index that lists other sessions than the hash holds is
-- rebuilt first, so a session only the hash still holds keeps the keys alive.
local function expireWithLastSession(index, sessions, nowMs, graceMs, currentTtlMs)
  local stored = redis.call('HLEN', sessions)
  if stored == 0 then
    redis.call('DEL', index, sessions)
    return
  end
  if redis.call('ZCARD', index) ~= stored then
    rebuildIndex(index, sessions)
  end
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if #last == 0 then
    -- Only values whose expiry cannot be read: they keep the expiry they have.
    return
  end
  local neededMs = math.max(1, math.ceil(tonumber(last[2]) - nowMs)) + graceMs
  if currentTtlMs == nil then
    setKeyExpiry(index, sessions, neededMs)
  elseif currentTtlMs < neededMs or currentTtlMs > neededMs + graceMs then
    setKeyExpiry(index, sessions, neededMs + graceMs)
  end
end
`;

/** Builds a script; `helpers` prepends the shared functions for the scripts that use them. */
function defineScript(name: string, body: string, helpers = false): RedisScript {
  const lua = `${helpers ? PRELUDE : ''}\n${body.trim()}\n`;
  return Object.freeze({ name, lua, sha: createHash('sha1').update(lua).digest('hex') });
}

/**
 * ARGV: sessionId, stored value (`<expiresAtMs>:<lockVersion>:<record>`, see `storedValue`),
 * nowMs, expiresAtMs, expectedLockVersion (or ''), keyExpiryGraceMs. Applies the
 * compare-and-set against the expiry and lock version at the front of the stored value,
 * drops the user's expired sessions, and writes the value and its index entry. Returns 1
 * when written, 0 when the compare-and-set failed and nothing changed.
 *
 * The keys are set to end between one and two grace periods after the user's last session,
 * and left alone while they do: a session refreshed on every request costs one `PTTL` per
 * write and two `PEXPIRE` calls once per grace period; a new session, one `PTTL` of the
 * index more (a new index, the user's first or one lost to eviction, is rebuilt from the
 * hash and then expires with the last session). When the keys would end less than
 * the grace after this session, they are set to end twice the grace after it; when they
 * would end more than twice the grace after it, another session may need them, so the last
 * session decides (an extra `ZRANGE`, and the keys end sooner if this session was
 * shortened).
 */
export const UPSERT_SCRIPT = defineScript(
  'upsert',
  `
local index, sessions = KEYS[1], KEYS[2]
local sessionId, nowMs, expected = ARGV[1], tonumber(ARGV[3]), ARGV[5]
local field = 'r:' .. sessionId
if expected ~= '' then
  local current = redis.call('HGET', sessions, field)
  local expiresAt, version
  if current then
    expiresAt, version = string.match(current, '^(-?%d+):(%d*):')
  end
  local live = expiresAt ~= nil and tonumber(expiresAt) > nowMs
  if expected == '0' then
    if live then
      return 0
    end
  elseif not live or version ~= expected then
    return 0
  end
end
dropExpired(index, sessions, ARGV[3])
redis.call('HSET', sessions, field, ARGV[2])
local graceMs = tonumber(ARGV[6])
if redis.call('ZADD', index, ARGV[4], sessionId) == 1 and redis.call('PTTL', index) == -1 then
  -- A new index: the user's first session, or an index lost to eviction, which the hash
  -- rebuilds before the last session decides the keys' expiry.
  expireWithLastSession(index, sessions, nowMs, graceMs, -1)
  return 1
end
local neededMs = tonumber(ARGV[4]) - nowMs + graceMs
local ttlMs = redis.call('PTTL', sessions)
if ttlMs < neededMs then
  setKeyExpiry(index, sessions, neededMs + graceMs)
elseif ttlMs > neededMs + graceMs then
  expireWithLastSession(index, sessions, nowMs, graceMs, ttlMs)
end
return 1
`,
  true,
);

/**
 * ARGV: sessionId, nowMs (or '' when the store's clock cannot be read), keyExpiryGraceMs.
 * Removes the session, drops the user's expired sessions and deletes both keys when nothing
 * is left. Without a time, it only removes the session, and both keys if none is left.
 * Returns 1.
 */
export const DELETE_SCRIPT = defineScript(
  'delete',
  `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], 'r:' .. ARGV[1])
if ARGV[2] == '' then
  if redis.call('HLEN', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[1], KEYS[2])
  end
  return 1
end
dropExpired(KEYS[1], KEYS[2], ARGV[2])
expireWithLastSession(KEYS[1], KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
`,
  true,
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

/** ARGV: the session's hash field. The stored value, read on the master. */
export const READ_SCRIPT = defineScript(
  'read',
  `
return redis.call('HGET', KEYS[2], ARGV[1])
`,
);

/** No ARGV. Every field and value of the sessions hash, read on the master. */
export const READ_ALL_SCRIPT = defineScript(
  'readAll',
  `
return redis.call('HGETALL', KEYS[2])
`,
);
