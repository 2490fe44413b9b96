import type { StoredSession } from '@sessionstore/core';
import { RedisSessionStore, userKeys } from '@sessionstore/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from './support/clock.js';
import { connectTestRedis, deleteKeysWithPrefix, runPrefix } from './support/redis.js';

type TestSession = StoredSession & Record<string, unknown>;

const RUN_PREFIX = runPrefix('evicted-index');
let client: Redis;
let count = 0;

beforeAll(async () => {
  client = await connectTestRedis();
});

afterAll(async () => {
  await deleteKeysWithPrefix(client, RUN_PREFIX);
  await client.quit();
});

function openStore(keyExpiryGraceMs?: number) {
  count += 1;
  const clock = new TestClock();
  const store = new RedisSessionStore<TestSession>({
    client,
    prefix: `${RUN_PREFIX}lost-index-${count}:`,
    clock: clock.now,
    keyExpiryGraceMs,
  });
  return { store, clock, keys: userKeys(store.prefix, 1) };
}

describe('a user whose index was evicted', () => {
  it('an upsert that shortens another session keeps the keys alive for a live session the index no longer lists', async () => {
    const { store, keys } = openStore();
    await store.upsert({ id: 'a', userId: 1 }, 3600);
    await client.del(keys.index); // as an eviction would
    await store.upsert({ id: 'b', userId: 1 }, 60);

    // Session a is live for another hour by the store's clock; its keys must outlive that.
    expect(await client.pttl(keys.sessions)).toBeGreaterThanOrEqual(3_600_000);
    await store.close();
  });

  it('a delete with a clock reading keeps the keys alive for a live session the index no longer lists', async () => {
    const { store, keys } = openStore();
    await store.upsert({ id: 'a', userId: 1 }, 3600);
    await client.del(keys.index);
    await store.upsert({ id: 'b', userId: 1 }, 3600);
    await store.upsert({ id: 'c', userId: 1 }, 60);
    await store.delete('b', 1);

    expect(await client.pttl(keys.sessions)).toBeGreaterThanOrEqual(3_600_000);
    await store.close();
  });

  it('a live session is still readable after Redis expires the keys (real expiry, short grace)', async () => {
    const { store, clock, keys } = openStore(100);
    await store.upsert({ id: 'a', userId: 1 }, 30);
    await client.del(keys.index);
    await store.upsert({ id: 'b', userId: 1 }, 1); // keys now end 1,000 + 2 x 100 ms from now

    await new Promise((resolve) => setTimeout(resolve, 1500));
    clock.advance(1500);

    // a has 28.5 s left by the store's clock.
    expect(await store.get('a', 1)).not.toBeNull();
    await store.close();
  });

  it('an index recreated by an upsert gets a key expiry, so it does not outlive the hash forever', async () => {
    const { store, keys } = openStore();
    await store.upsert({ id: 'a', userId: 1 }, 3600);
    await client.del(keys.index);
    await store.upsert({ id: 'a', userId: 1 }, 3600); // a refresh inside the window

    expect(await client.pttl(keys.sessions)).toBeGreaterThan(0);
    // -1: the index has no expiry, and with pruneIntervalMs 0 (the default) nothing removes it.
    expect(await client.pttl(keys.index)).toBeGreaterThan(0);
    await store.close();
  });
});
