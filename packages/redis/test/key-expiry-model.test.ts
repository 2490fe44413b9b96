import type { StoredSession } from '@sessionstore/core';
import { parseStoredValue, RedisSessionStore, userKeys } from '@sessionstore/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from './support/clock.js';
import { connectTestRedis, deleteKeysWithPrefix, runPrefix } from './support/redis.js';

// Random sequences of calls on two stores sharing keys, checking the key-expiry rule after
// every step, and the edges of the scripts' inputs.
type TestSession = StoredSession & Record<string, unknown>;

const RUN_PREFIX = runPrefix('key-expiry-model');
let client: Redis;
let count = 0;

beforeAll(async () => {
  client = await connectTestRedis();
});

afterAll(async () => {
  await deleteKeysWithPrefix(client, RUN_PREFIX);
  await client.quit();
});

function nextPrefix(): string {
  count += 1;
  return `${RUN_PREFIX}checks-${count}:`;
}

/** A small seeded PRNG, so every run makes the same sequence. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SLACK_MS = 1000; // server time that passes while the test clock stands still

async function checkInvariant(
  keys: { index: string; sessions: string },
  nowMs: number,
  graceMs: number,
  note: string,
  lenientUpper: boolean,
) {
  const fields = await client.hgetall(keys.sessions);
  const index = await client.zrange(keys.index, 0, -1, 'WITHSCORES');
  const indexed = new Map<string, number>();
  for (let i = 0; i < index.length; i += 2) indexed.set(String(index[i]), Number(index[i + 1]));
  let lastLive = Number.NEGATIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const [field, value] of Object.entries(fields)) {
    const stored = parseStoredValue(value);
    if (stored === null) {
      throw new Error(`${note}: the value of ${field} cannot be parsed`);
    }
    const id = field.slice(2);
    expect(indexed.get(id), `${note}: index score of ${id}`).toBe(stored.expiresAtMs);
    if (stored.expiresAtMs > nowMs) lastLive = Math.max(lastLive, stored.expiresAtMs);
    last = Math.max(last, stored.expiresAtMs);
  }
  expect(indexed.size, `${note}: index size`).toBe(Object.keys(fields).length);
  const pttlS = await client.pttl(keys.sessions);
  const pttlI = await client.pttl(keys.index);
  if (Object.keys(fields).length === 0) {
    expect(pttlI, `${note}: index without hash`).toBe(-2);
    return;
  }
  expect(pttlS, `${note}: sessions has ttl`).toBeGreaterThan(0);
  expect(Math.abs(pttlS - pttlI), `${note}: same ttl`).toBeLessThan(SLACK_MS);
  if (lastLive > nowMs) {
    expect(pttlS, `${note}: covers last live`).toBeGreaterThanOrEqual(
      lastLive - nowMs + graceMs - SLACK_MS,
    );
  }
  if (!lenientUpper && last > nowMs) {
    expect(pttlS, `${note}: not too long`).toBeLessThanOrEqual(
      last - nowMs + 2 * graceMs + SLACK_MS,
    );
  }
}

describe('key expiry under random sequences of calls, and at the edges', () => {
  for (const graceMs of [0, 60_000]) {
    it(`random upserts, deletes, prunes and forward clock jumps by two stores keep the rule (grace ${graceMs})`, async () => {
      const prefix = nextPrefix();
      const clock = new TestClock();
      const stores = [0, 1].map(
        () =>
          new RedisSessionStore<TestSession>({
            client,
            prefix,
            clock: clock.now,
            keyExpiryGraceMs: graceMs,
          }),
      );
      const keys = userKeys(prefix, 5);
      const random = prng(graceMs + 17);
      const ttls = [1, 5, 60, 600, 3600, 86_400];
      const jumps = [0, 0, 500, 30_000, 600_000, 7_200_000];
      let lenientUpper: boolean;
      for (let step = 0; step < 600; step++) {
        const store = stores[Math.floor(random() * 2)] as RedisSessionStore<TestSession>;
        const id = `s${Math.floor(random() * 6)}`;
        const roll = random();
        let op: string;
        if (roll < 0.55) {
          const ttl = ttls[Math.floor(random() * ttls.length)] ?? 1;
          await store.upsert({ id, userId: 5 }, ttl);
          op = `upsert ${id} ${ttl}`;
        } else if (roll < 0.75) {
          await store.delete(id, 5);
          op = `delete ${id}`;
        } else if (roll < 0.8) {
          await store.prune();
          op = 'prune';
        } else {
          const jump = jumps[Math.floor(random() * jumps.length)] ?? 0;
          clock.advance(jump);
          op = `advance ${jump}`;
        }
        // A clock jump moves the store's time but not the keys' PTTL: the upper bound holds again
        // after the next call that writes.
        lenientUpper = op.startsWith('advance');
        await checkInvariant(keys, clock.now(), graceMs, `step ${step} ${op}`, lenientUpper);
      }
      for (const store of stores) await store.close();
    }, 60_000);
  }

  it('a write, a delete and a prune each handle a user with 9,000 expired sessions', async () => {
    const prefix = nextPrefix();
    const clock = new TestClock();
    const store = new RedisSessionStore<TestSession>({ client, prefix, clock: clock.now });
    const keys = userKeys(prefix, 9);
    for (const op of ['upsert', 'delete', 'prune'] as const) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 9000; i++) {
        pipeline.zadd(keys.index, clock.now() - 1, `old-${i}`);
        pipeline.hset(keys.sessions, `r:old-${i}`, `${clock.now() - 1}::{}`);
      }
      await pipeline.exec();
      if (op === 'upsert') await store.upsert({ id: 'new', userId: 9 }, 60);
      if (op === 'delete') await store.delete('new', 9);
      if (op === 'prune') expect(await store.prune()).toBeGreaterThanOrEqual(9000);
      expect(await client.zcard(keys.index)).toBeLessThanOrEqual(1);
    }
    await store.close();
  }, 30_000);

  it('a negative clock reading and grace 0 write, delete and prune without a script error', async () => {
    const prefix = nextPrefix();
    let now = -123_456.7;
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix,
      clock: () => now,
      keyExpiryGraceMs: 0,
    });
    const keys = userKeys(prefix, 3);
    await store.upsert({ id: 'a', userId: 3 }, 1);
    await store.upsert({ id: 'b', userId: 3 }, 2);
    expect(await store.get('a', 3)).not.toBeNull();
    expect(await client.pttl(keys.sessions)).toBeGreaterThan(1500);
    now += 1000;
    await store.prune();
    await store.delete('b', 3);
    expect(await client.exists(keys.index, keys.sessions)).toBe(0);
    await store.close();
  });

  it('a delete without a clock reading removes only the session and both keys when none is left', async () => {
    const prefix = nextPrefix();
    const clock = new TestClock();
    const store = new RedisSessionStore<TestSession>({ client, prefix, clock: clock.now });
    // A store whose clock was never readable: its delete sends no clock reading.
    const blind = new RedisSessionStore<TestSession>({ client, prefix, clock: () => Number.NaN });
    const keys = userKeys(prefix, 4);
    await store.upsert({ id: 'a', userId: 4 }, 60);
    await store.upsert({ id: 'b', userId: 4 }, 3600);
    const before = await client.pttl(keys.sessions);
    await blind.delete('b', 4);
    expect(await client.hexists(keys.sessions, 'r:b')).toBe(0);
    expect(await client.pttl(keys.sessions)).toBeGreaterThan(before - SLACK_MS);
    await blind.delete('a', 4);
    await blind.close();
    expect(await client.exists(keys.index, keys.sessions)).toBe(0);
    await store.close();
  });

  it('the largest grace sets a key expiry without a script error', async () => {
    const prefix = nextPrefix();
    const clock = new TestClock();
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix,
      clock: clock.now,
      keyExpiryGraceMs: Number.MAX_SAFE_INTEGER,
    });
    const keys = userKeys(prefix, 6);
    await store.upsert({ id: 'a', userId: 6 }, 2_147_483_647);
    await store.upsert({ id: 'b', userId: 6 }, 1);
    await store.delete('a', 6);
    await store.prune();
    expect(await client.pttl(keys.sessions)).toBeGreaterThan(Number.MAX_SAFE_INTEGER / 2);
    await store.close();
  });
});
