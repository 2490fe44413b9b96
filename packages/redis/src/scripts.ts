import { createHash } from 'node:crypto';

/**
 * A Lua script the store runs with `EVALSHA`, sending the source again on `NOSCRIPT`.
 * Every script takes the user's two keys as `KEYS[1]` (the index sorted set) and `KEYS[2]`
 * (the sessions hash), so each call touches one hash slot. The writes are scripts, since each
 * makes several changes that must happen together; reads and `deleteAll` are single plain
 * commands (`HGET`, `HGETALL`, `DEL`), which are as atomic and cost Redis less.
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

/**
 * ARGV: sessionId, stored value (`<expiresAtMs>:<lockVersion>:<record>`, see `storedValue`),
 * nowMs, expiresAtMs, expectedLockVersion (or ''), keyExpiryGraceMs. Applies the
 * compare-and-set against the expiry and lock version at the front of the stored value,
 * drops the user's expired sessions, and writes the value and its index entry. Returns 1
 * when written, 0 when the compare-and-set failed and nothing changed.
 *
 * The keys' expiry is only ever extended here, and only when the keys would otherwise end
 * less than the grace after this session: then both are set to end twice the grace after
 * it. A user whose session is refreshed on every request thus costs two `PEXPIRE` calls
 * once per grace period rather than on every write, and the keys end between one and two
 * grace periods after the last session (later when a session's expiry was shortened, until
 * a delete or prune recomputes it from the last session).
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
    expiresAt, version = string.match(current, '^(%d+):(%d*):')
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
redis.call('ZADD', index, ARGV[4], sessionId)
local graceMs = tonumber(ARGV[6])
local neededMs = tonumber(ARGV[4]) - nowMs + graceMs
if redis.call('PTTL', sessions) < neededMs then
  local ttlArg = string.format('%.0f', neededMs + graceMs)
  redis.call('PEXPIRE', index, ttlArg)
  redis.call('PEXPIRE', sessions, ttlArg)
end
return 1
`,
  true,
);

/**
 * ARGV: sessionId, nowMs, keyExpiryGraceMs. Removes the session, drops the user's expired
 * sessions and deletes both keys when nothing is left. Returns 1.
 */
export const DELETE_SCRIPT = defineScript(
  'delete',
  `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], 'r:' .. ARGV[1])
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
