// @ts-check
// The conformance harness for @sessionstore/redis, used by test/conformance.test.ts (the
// vitest binding), by the cluster tests and by the sessionstore-conformance CLI. Plain ESM so
// every one of them, and the lifecycle case's child process, can import it; it loads the
// built package, so run `pnpm build` first.
//
// Each run works under a key prefix of its own, and each store under a prefix of its own
// inside it, so one case's keys never show up in another case's counts. The client is an
// application client from the store's point of view: stores leave it open, and teardown
// deletes the run's keys and, when the harness opened the client, quits it. Siblings
// (hooks.openSibling) use the prefix of the store they share data with, on a second client
// from the same factory, so the two share no connection.

import { randomBytes } from 'node:crypto';
import {
  parseStoredValue,
  RedisSessionStore,
  recordField,
  storedValue,
  userKeys,
} from '@sessionstore/redis';
import { Redis } from 'ioredis';

/** @typedef {import('@sessionstore/conformance').ConformanceHarness} ConformanceHarness */
/** @typedef {import('@sessionstore/conformance').HarnessCreateOptions} HarnessCreateOptions */
/** @typedef {import('@sessionstore/redis').RedisClient} RedisClient */

/** The server the tests use: `SESSIONSTORE_REDIS_URL`, or the local default. */
export const redisUrl = process.env.SESSIONSTORE_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Builds a harness.
 *
 * @param {{
 *   client?: () => RedisClient,
 *   closeClient?: boolean,
 *   name?: string,
 * }} [settings] - `client` opens the client the stores share, on first use (by default a
 *   `Redis` on `SESSIONSTORE_REDIS_URL`); `closeClient` says whether teardown quits it
 *   (default true); `name` names the run in reports.
 * @returns {ConformanceHarness}
 */
export function createRedisHarness(settings = {}) {
  const runPrefix = `sessionstore-conformance:${process.pid}-${randomBytes(4).toString('hex')}:`;
  const openClient = settings.client ?? (() => new Redis(redisUrl));
  /** @type {RedisClient | undefined} */
  let client;
  /** @type {RedisClient | undefined} */
  let siblingClient;
  let storeCount = 0;

  const shared = () => {
    client ??= openClient();
    return client;
  };
  const forSiblings = () => {
    siblingClient ??= openClient();
    return siblingClient;
  };

  return {
    name: settings.name ?? 'redis',
    capabilities: { realTimeExpiry: true, harnessModule: import.meta.url, signing: true },

    /** @param {HarnessCreateOptions} options */
    create(options) {
      storeCount += 1;
      return new RedisSessionStore({
        client: shared(),
        prefix: `${runPrefix}${storeCount}:`,
        ...definedOnly(options),
      });
    },

    async teardown() {
      const endingSiblings = siblingClient;
      siblingClient = undefined;
      if (endingSiblings !== undefined && endingSiblings !== client) {
        if (settings.closeClient ?? true) await endingSiblings.quit();
      }
      if (client === undefined) {
        return;
      }
      const ending = client;
      client = undefined;
      try {
        for (const key of await scanKeys(ending, runPrefix)) {
          await ending.del(key);
        }
      } finally {
        if (settings.closeClient ?? true) {
          await ending.quit();
        }
      }
    },

    hooks: {
      openSibling(store, options) {
        return new RedisSessionStore({
          client: forSiblings(),
          prefix: prefixOf(store),
          ...definedOnly(options),
        });
      },

      // Keys, plus every index entry and every hash field they hold: 0 means nothing is left.
      async countStored(store) {
        const redis = shared();
        let count = 0;
        for (const key of await scanKeys(redis, prefixOf(store))) {
          const type = await redis.type(key);
          count += 1;
          count += type === 'zset' ? await redis.zcard(key) : 0;
          count += type === 'hash' ? await redis.hlen(key) : 0;
        }
        return count;
      },

      async writeRawRecord(store, userId, sessionId, record, expiresAtMs) {
        const redis = shared();
        const keys = userKeys(prefixOf(store), userId);
        const field = recordField(sessionId);
        // Like a backend's own row update: the record and expiry change, the lock version stays.
        const existing = await redis.hget(keys.sessions, field);
        const lockVersion =
          existing === null ? null : (parseStoredValue(existing)?.lockVersion ?? null);
        await redis.hset(keys.sessions, field, storedValue(record, expiresAtMs, lockVersion));
        await redis.zadd(keys.index, expiresAtMs, sessionId);
        const [, lastMs] = await redis.zrange(keys.index, -1, -1, 'WITHSCORES');
        await redis.pexpireat(keys.index, Number(lastMs));
        await redis.pexpireat(keys.sessions, Number(lastMs));
      },

      async readRawRecord(store, userId, sessionId) {
        const keys = userKeys(prefixOf(store), userId);
        const value = await shared().hget(keys.sessions, recordField(sessionId));
        return value === null ? null : (parseStoredValue(value)?.record ?? value);
      },
    },
  };
}

/** The harness on the machine's Redis, for the vitest binding and the CLI. */
export const harness = createRedisHarness({ name: 'redis (standalone)' });

export default harness;

/**
 * The key prefix of a store this harness made.
 *
 * @param {object} store
 * @returns {string}
 */
function prefixOf(store) {
  if (!(store instanceof RedisSessionStore)) {
    throw new TypeError('The redis harness was handed a store it did not create.');
  }
  return store.prefix;
}

/**
 * Every key that starts with `prefix`, on every master of a Cluster.
 *
 * @param {RedisClient} client
 * @param {string} prefix
 * @returns {Promise<string[]>}
 */
async function scanKeys(client, prefix) {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const nodes = 'nodes' in client ? client.nodes('master') : [client];
  /** @type {string[]} */
  const keys = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/**
 * The create options that are set: the store's own defaults apply to the rest.
 *
 * @param {HarnessCreateOptions} options
 */
function definedOnly(options) {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
