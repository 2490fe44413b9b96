import { createHash } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import type { Session } from '@sessionstore/core';
import { RedisSessionStore } from '@sessionstore/redis';
import RedisStore from 'connect-redis';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { plansFor, type SessionApi } from '../operations.js';
import { redisUrl } from '../services.js';
import { TTL_SECONDS } from '../session.js';
import type { OpenSuite } from '../suite.js';
import { expressStoreApi } from './express.js';
import { keyvApi } from './keyv.js';
import { storeApi } from './ours.js';

/** The key prefix of everything this run writes; every key under it is deleted at the end. */
export const BENCH_ROOT_PREFIX = `sessionstore-bench:${process.pid}:`;

/** The key prefix of one contender or purpose, under {@link BENCH_ROOT_PREFIX}. */
export function benchPrefix(purpose: string): string {
  return `${BENCH_ROOT_PREFIX}${purpose}:`;
}

/**
 * Redis: each contender has its own connection and key prefix. Keyv's Redis adapter speaks
 * node-redis; everything else goes through ioredis.
 */
export async function openRedisSuite(): Promise<OpenSuite> {
  const clients = [openClient(), openClient(), openClient()];
  const [oursClient, rawClient, peerClient] = clients as [Redis, Redis, Redis];
  const ours = new RedisSessionStore({ client: oursClient, prefix: benchPrefix('ours') });
  const peer = new RedisStore({
    client: peerClient,
    prefix: benchPrefix('connect-redis'),
    ttl: TTL_SECONDS,
  });
  const raw = await rawRedisApi(rawClient, benchPrefix('raw'));
  const namespace = benchPrefix('keyv');
  const keyv = new Keyv<Session>({ store: new KeyvRedis(redisUrl(), { namespace }), namespace });

  return {
    adapter: 'redis',
    setting: 'each contender with its own connection to one Redis and its own key prefix',
    contenders: [
      { name: 'sessionstore', role: 'ours', plans: plansFor(storeApi(ours)) },
      { name: 'ioredis', role: 'raw', plans: plansFor(raw) },
      { name: 'connect-redis 7 (ioredis)', role: 'peer', plans: plansFor(expressStoreApi(peer)) },
      { name: 'keyv + @keyv/redis', role: 'peer', plans: plansFor(keyvApi(keyv)) },
    ],
    skipped: [],
    async close() {
      await ours.close();
      await keyv.disconnect();
      await deleteKeys(rawClient, BENCH_ROOT_PREFIX);
      await Promise.all(clients.map((client) => client.quit()));
    },
  };
}

/** Opens an ioredis connection to the benchmark's Redis. */
export function openClient(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
}

/** Deletes every key under `prefix`, in at most 100,000 SCAN steps. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let step = 0; step < 100_000; step++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) {
      await client.unlink(...keys);
    }
    cursor = next;
    if (cursor === '0') {
      return;
    }
  }
}

/** A Lua script with its SHA, run by `EVALSHA` (loaded once when the suite opens). */
interface Script {
  sha: string;
  lua: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: record, index. ARGV: record text, ttl ms, expires at ms, session id. */
const PUT = script(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`);

/** KEYS: record, index, version. ARGV: as PUT, then the expected and the new version. */
const COMPARE_AND_SET = script(`
if redis.call('GET', KEYS[3]) ~= ARGV[5] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`);

/** KEYS: record, index, version. ARGV: session id. */
const DELETE = script(`
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);

/**
 * KEYS: index. ARGV: the prefix of the user's record keys. It names keys it was not given,
 * which only a single Redis allows; enough for this benchmark.
 */
const DELETE_ALL = script(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return #ids`);

/**
 * The least the same job needs on ioredis: `GET` of a string key for get; one `EVALSHA` that
 * sets the record, adds it to the user's sorted set and renews that set's expiry for upsert
 * (a version check first for compare-and-set); `ZRANGE` then `MGET` (two round trips) for
 * getAll; one script each for delete and deleteAll.
 */
export async function rawRedisApi(client: Redis, prefix: string): Promise<SessionApi> {
  const userBase = (userId: number | string) => `${prefix}{${userId}}`;
  const keysOf = (userId: number | string, sessionId: string) => {
    const base = userBase(userId);
    return [`${base}:s:${sessionId}`, `${base}:index`, `${base}:v:${sessionId}`] as const;
  };
  const ttlMs = String(TTL_SECONDS * 1000);
  const run = (used: Script, keys: readonly string[], args: string[]) =>
    client.evalsha(used.sha, keys.length, ...keys, ...args);
  for (const used of [PUT, COMPARE_AND_SET, DELETE, DELETE_ALL]) {
    await client.script('LOAD', used.lua);
  }
  const write = (session: Session, record: object, versions: string[]) => {
    const [recordKey, indexKey, versionKey] = keysOf(session.userId as number, session.id);
    const expiresAtMs = String(Date.now() + TTL_SECONDS * 1000);
    const args = [JSON.stringify(record), ttlMs, expiresAtMs, session.id, ...versions];
    return versions.length === 0
      ? run(PUT, [recordKey, indexKey], args)
      : run(COMPARE_AND_SET, [recordKey, indexKey, versionKey], args);
  };

  return {
    get: async (sessionId, userId) => {
      const record = await client.get(keysOf(userId, sessionId)[0]);
      return record === null ? null : JSON.parse(record);
    },
    put: (session) => write(session, session, []),
    create: async (session) => {
      await client.set(keysOf(session.userId as number, session.id)[2], '0');
      await write(session, { ...session, lockVersion: 1 }, ['0', '1']);
    },
    update: async (session) => {
      const expected = session.lockVersion as number;
      const record = { ...session, lockVersion: expected + 1 };
      const written = await write(session, record, [String(expected), String(expected + 1)]);
      if (written !== 1) {
        throw new Error('raw compare-and-set found another version');
      }
    },
    delete: (sessionId, userId) => run(DELETE, keysOf(userId, sessionId), [sessionId]),
    getAll: async (userId) => {
      const ids = await client.zrange(`${userBase(userId)}:index`, 0, -1);
      if (ids.length === 0) {
        return [];
      }
      const records = await client.mget(ids.map((id) => keysOf(userId, id)[0]));
      return records.flatMap((record) => (record === null ? [] : [JSON.parse(record)]));
    },
    deleteAll: (userId) =>
      run(DELETE_ALL, [`${userBase(userId)}:index`], [`${userBase(userId)}:s:`]),
  };
}
