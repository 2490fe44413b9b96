import type { StoredSession } from '@sessionstore/core';
import { RedisSessionStore, userKeys } from '@sessionstore/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from './support/clock.js';
import { connectTestRedis, deleteKeysWithPrefix, runPrefix } from './support/redis.js';

type TestSession = StoredSession & Record<string, unknown>;

const RUN_PREFIX = runPrefix('evicted-hash');
let client: Redis;

beforeAll(async () => {
  client = await connectTestRedis();
});

afterAll(async () => {
  await deleteKeysWithPrefix(client, RUN_PREFIX);
  await client.quit();
});

describe('a user whose sessions hash was evicted', () => {
  it('deleting the last session leaves no index key behind for sessions the hash no longer has', async () => {
    const clock = new TestClock();
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix: `${RUN_PREFIX}lost-hash:`,
      clock: clock.now,
    });
    const keys = userKeys(store.prefix, 1);
    await store.upsert({ id: 'long', userId: 1 }, 86_400);
    await client.del(keys.sessions); // as an eviction would: the user is logged out
    await store.upsert({ id: 'new', userId: 1 }, 60);
    await store.delete('new', 1);

    // The user has no session left in the hash, yet the index lives on for a day
    // (it was even extended from 60 s + 2 graces to a day + 1 grace by the delete).
    expect(await client.hlen(keys.sessions)).toBe(0);
    expect(await client.pttl(keys.index)).toBe(-2);
    await store.close();
  });
});
