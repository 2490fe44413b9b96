import { SessionStoreError, type SessionStoreEvent, type StoredSession } from '@sessionstore/core';
import { parseStoredValue, RedisSessionStore, storedValue, userKeys } from '@sessionstore/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from './support/clock.js';
import {
  connectTestRedis,
  deleteKeysWithPrefix,
  keysWithPrefix,
  REDIS_URL,
  runPrefix,
} from './support/redis.js';

/** Sessions with whatever fields a case needs. */
type TestSession = StoredSession & Record<string, unknown>;

const RUN_PREFIX = runPrefix('store');
let client: Redis;
let storeCount = 0;

beforeAll(async () => {
  client = await connectTestRedis();
});

afterAll(async () => {
  await deleteKeysWithPrefix(client, RUN_PREFIX);
  await client.quit();
});

function openStore(clock = new TestClock(), keyExpiryGraceMs?: number) {
  storeCount += 1;
  const prefix = `${RUN_PREFIX}${storeCount}:`;
  return {
    store: new RedisSessionStore<TestSession>({
      client,
      prefix,
      clock: clock.now,
      keyExpiryGraceMs,
    }),
    prefix,
    clock,
  };
}

describe('the per-user index', () => {
  it('leaves no key behind after 1,000 cycles of create and delete for one user', async () => {
    const { store, prefix } = openStore();

    for (let cycle = 0; cycle < 1000; cycle++) {
      await store.upsert({ id: `s-${cycle}`, userId: 7 }, 3600);
      await store.delete(`s-${cycle}`, 7);
    }

    expect(await keysWithPrefix(client, prefix)).toEqual([]);
    await store.close();
  });

  it('holds exactly the 2 live sessions after a write to a user with 3 expired and 2 live', async () => {
    const { store, clock } = openStore();
    const keys = userKeys(store.prefix, 8);
    for (const id of ['old-1', 'old-2', 'old-3']) {
      await store.upsert({ id, userId: 8 }, 10);
    }
    await store.upsert({ id: 'live-1', userId: 8 }, 600);
    await store.upsert({ id: 'live-2', userId: 8 }, 600);
    clock.advance(20_000);

    await store.upsert({ id: 'live-1', userId: 8, note: 'refreshed' }, 600);

    expect((await client.zrange(keys.index, 0, -1)).sort()).toEqual(['live-1', 'live-2']);
    expect((await client.hkeys(keys.sessions)).sort()).toEqual(['r:live-1', 'r:live-2']);
    expect(await store.getAll(8)).toHaveLength(2);
    await store.close();
  });

  it('drops expired sessions on delete too, and deletes both keys when none is left', async () => {
    const { store, prefix, clock } = openStore();
    await store.upsert({ id: 'short', userId: 9 }, 5);
    await store.upsert({ id: 'long', userId: 9 }, 60);
    clock.advance(10_000);

    await store.delete('long', 9);

    expect(await keysWithPrefix(client, prefix)).toEqual([]);
    await store.close();
  });
});

describe('key expiry', () => {
  it('keeps both keys until the last session of the user expires, and no longer', async () => {
    const { store } = openStore(new TestClock(), 0);
    const keys = userKeys(store.prefix, 10);
    await store.upsert({ id: 'long', userId: 10 }, 100);
    await store.upsert({ id: 'short', userId: 10 }, 10);

    for (const key of [keys.index, keys.sessions]) {
      const ttlMs = await client.pttl(key);
      expect(ttlMs).toBeGreaterThan(95_000);
      expect(ttlMs).toBeLessThanOrEqual(100_000);
    }

    await store.delete('long', 10);
    const ttlMs = await client.pttl(keys.index);
    expect(ttlMs).toBeGreaterThan(5_000);
    expect(ttlMs).toBeLessThanOrEqual(10_000);
    await store.close();
  });

  it('counts key expiry from the store clock, so a clock off from the server loses nothing', async () => {
    for (const offsetMs of [-3_600_000, 86_400_000]) {
      const clock = new TestClock();
      clock.advance(offsetMs);
      const { store } = openStore(clock, 0);

      await store.upsert({ id: 's', userId: 12 }, 60);

      expect(await store.get('s', 12)).toEqual({ id: 's', userId: 12 });
      const ttlMs = await client.pttl(userKeys(store.prefix, 12).index);
      expect(ttlMs).toBeGreaterThan(55_000);
      expect(ttlMs).toBeLessThanOrEqual(60_000);
      await store.close();
    }
  });

  it('sets the keys to end twice keyExpiryGraceMs (60 s by default) after a new last session', async () => {
    const { store } = openStore();
    await store.upsert({ id: 's', userId: 13 }, 10);

    const ttlMs = await client.pttl(userKeys(store.prefix, 13).index);
    expect(ttlMs).toBeGreaterThan(125_000);
    expect(ttlMs).toBeLessThanOrEqual(130_000);
    await store.close();
  });

  it('leaves the key expiry alone on a write while it still covers the session by the grace', async () => {
    const clock = new TestClock();
    const { store } = openStore(clock, 10_000);
    const keys = userKeys(store.prefix, 15);
    await store.upsert({ id: 's', userId: 15 }, 100);
    await client.pexpire(keys.sessions, 115_000);
    await client.pexpire(keys.index, 115_000);

    // Still 5 s more than the 110 s the keys must last: no change.
    clock.advance(1_000);
    await store.upsert({ id: 's', userId: 15 }, 100);
    expect(await client.pttl(keys.sessions)).toBeLessThanOrEqual(115_000);

    // 1 s short of the grace after the session: extended to twice the grace after it.
    await client.pexpire(keys.sessions, 109_000);
    await store.upsert({ id: 's', userId: 15 }, 100);
    for (const key of [keys.index, keys.sessions]) {
      const ttlMs = await client.pttl(key);
      expect(ttlMs).toBeGreaterThan(115_000);
      expect(ttlMs).toBeLessThanOrEqual(120_000);
    }
    await store.close();
  });

  it('lets Redis drop the keys within twice the grace after a shortened only session ends', async () => {
    const { store } = openStore(new TestClock(), 1_000);
    const keys = userKeys(store.prefix, 17);

    await store.upsert({ id: 's', userId: 17 }, 86_400);
    await store.upsert({ id: 's', userId: 17 }, 10);

    for (const key of [keys.index, keys.sessions]) {
      const ttlMs = await client.pttl(key);
      expect(ttlMs).toBeGreaterThan(10_000);
      expect(ttlMs).toBeLessThanOrEqual(12_000);
    }
    await store.close();
  });

  it('keeps the keys for a later session when a shorter one is written', async () => {
    const { store } = openStore(new TestClock(), 1_000);
    const keys = userKeys(store.prefix, 18);

    await store.upsert({ id: 'long', userId: 18 }, 600);
    await store.upsert({ id: 'short', userId: 18 }, 10);

    const ttlMs = await client.pttl(keys.sessions);
    expect(ttlMs).toBeGreaterThan(595_000);
    expect(ttlMs).toBeLessThanOrEqual(602_000);
    await store.close();
  });

  it('recomputes the key expiry from the last session on delete', async () => {
    const { store } = openStore(new TestClock(), 1_000);
    const keys = userKeys(store.prefix, 16);
    await store.upsert({ id: 'long', userId: 16 }, 600);
    await store.upsert({ id: 'short', userId: 16 }, 30);

    await store.delete('long', 16);

    const ttlMs = await client.pttl(keys.sessions);
    expect(ttlMs).toBeGreaterThan(25_000);
    expect(ttlMs).toBeLessThanOrEqual(31_000);
    await store.close();
  });

  it('keeps a session that a paused store clock still calls live past its real-time end', async () => {
    const { store } = openStore(new TestClock(), 5_000);
    await store.upsert({ id: 'paused', userId: 14 }, 1);

    // Real time runs past the ttl while the store's clock stands still: the key must stay.
    await new Promise((resolve) => setTimeout(resolve, 1_300));

    expect(await store.get('paused', 14)).toEqual({ id: 'paused', userId: 14 });
    await store.close();
  });

  it('rejects a negative or fractional keyExpiryGraceMs', () => {
    for (const keyExpiryGraceMs of [-1, 1.5, Number.NaN]) {
      expect(() => new RedisSessionStore({ client, keyExpiryGraceMs })).toThrow(/keyExpiryGraceMs/);
    }
  });

  it('decides liveness by the store clock even while the keys still exist', async () => {
    const { store, clock } = openStore();
    await store.upsert({ id: 's', userId: 11 }, 60);
    clock.advance(60_000);

    expect(await store.get('s', 11)).toBeNull();
    expect(await store.getAll(11)).toEqual([]);
    expect(await client.exists(userKeys(store.prefix, 11).index)).toBe(1);
    await store.close();
  });
});

describe('driver errors', () => {
  it('keeps a reply error as cause without the command arguments, which hold session ids', async () => {
    const { store } = openStore();
    const keys = userKeys(store.prefix, 15);
    await client.set(keys.sessions, 'not a hash');

    const error = await store.get('secret-session-id-15', 15).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).code).toBe('UNAVAILABLE');
    const cause = (error as SessionStoreError).cause as { message: string; command?: unknown };
    expect(cause.message).toContain('WRONGTYPE');
    expect(JSON.stringify(cause.command)).not.toContain('secret-session-id-15');
    expect(JSON.stringify(cause, Object.getOwnPropertyNames(cause))).not.toContain(
      'secret-session-id-15',
    );
    await client.del(keys.sessions);
    await store.close();
  });
});

describe('prune()', () => {
  it('removes expired sessions of every user and counts them', async () => {
    const { store, prefix, clock } = openStore();
    await store.upsert({ id: 'a', userId: 'u1' }, 10);
    await store.upsert({ id: 'b', userId: 'u1' }, 10);
    await store.upsert({ id: 'c', userId: 'u2' }, 10);
    await store.upsert({ id: 'd', userId: 'u2' }, 600);
    clock.advance(10_000);

    expect(await store.prune()).toBe(3);
    expect(await store.prune()).toBe(0);
    const u2 = userKeys(prefix, 'u2');
    expect((await keysWithPrefix(client, prefix)).sort()).toEqual([u2.index, u2.sessions].sort());
    expect(await client.zrange(u2.index, 0, -1)).toEqual(['d']);
    await store.close();
  });
});

describe('prefixes', () => {
  it('keeps two stores apart when one prefix starts with the other', async () => {
    const clock = new TestClock();
    const outer = new RedisSessionStore<TestSession>({
      client,
      prefix: `${RUN_PREFIX}app`,
      clock: clock.now,
    });
    const inner = new RedisSessionStore<TestSession>({
      client,
      prefix: `${RUN_PREFIX}app:x`,
      clock: clock.now,
    });
    await outer.upsert({ id: 's', userId: 1, owner: 'outer' }, 10);
    await inner.upsert({ id: 's', userId: 1, owner: 'inner' }, 600);
    await inner.upsert({ id: 't', userId: 1, owner: 'inner' }, 10);

    expect(await outer.get('s', 1)).toMatchObject({ owner: 'outer' });
    expect(await inner.getAll(1)).toHaveLength(2);

    clock.advance(10_000);
    expect(await outer.prune()).toBe(1);
    await outer.deleteAll(1);
    expect(await inner.get('s', 1)).toMatchObject({ owner: 'inner' });
    expect(await inner.prune()).toBe(1);

    await outer.close();
    await inner.close();
  });

  it('rejects a prefix that could open a hash tag or is empty', () => {
    for (const prefix of ['', 'a{b', 'a}b', '{app}', 'a\u0000b']) {
      expect(() => new RedisSessionStore<TestSession>({ client, prefix })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });

  it('honours a client whose keyPrefix option ioredis adds to every key', async () => {
    const keyPrefix = `${RUN_PREFIX}kp:`;
    const prefixed = client.duplicate({ keyPrefix });
    const clock = new TestClock();
    const store = new RedisSessionStore<TestSession>({
      client: prefixed,
      prefix: 'p:',
      clock: clock.now,
    });
    await store.upsert({ id: 'a', userId: 3 }, 10);
    await store.upsert({ id: 'b', userId: 3 }, 600);
    clock.advance(10_000);

    expect(await store.prune()).toBe(1);
    expect(await store.getAll(3)).toEqual([{ id: 'b', userId: 3 }]);
    expect(await client.exists(`${keyPrefix}${userKeys('p:', 3).index}`)).toBe(1);

    await store.close();
    await prefixed.quit();
  });
});

describe('user ids that try to break out of the hash tag', () => {
  const hostileIds = ['{', '}', '}{', '{}', 'a}b{c', '%7B', '%', '1:2:3', '{1}', '}:index'];

  it('keeps every hostile id a user of its own, with its sessions intact', async () => {
    const { store } = openStore();
    const ids = [...hostileIds, store.prefix, `${store.prefix}{x}`];
    for (const userId of ids) {
      await store.upsert({ id: 'same-session-id', userId, mark: userId }, 600);
    }

    for (const userId of ids) {
      expect(await store.getAll(userId)).toEqual([{ id: 'same-session-id', userId, mark: userId }]);
    }
    await store.deleteAll('{');
    expect(await store.get('same-session-id', '%7B')).toMatchObject({ mark: '%7B' });
    await store.close();
  });

  it('gives both keys of each id one hash tag: the escaped id, with no brace inside', () => {
    for (const userId of hostileIds) {
      const keys = userKeys(`${RUN_PREFIX}tag:`, userId);
      const tag = hashTagOf(keys.index);
      expect(hashTagOf(keys.sessions)).toBe(tag);
      expect(tag).not.toMatch(/[{}]/);
      expect(unescapeTag(tag)).toBe(userId);
    }
  });
});

describe('ownership', () => {
  it('leaves an application client connected after close()', async () => {
    const { store } = openStore();
    await store.upsert({ id: 's', userId: 1 }, 60);

    await store.close();
    await store.close();

    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    await expect(store.get('s', 1)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('connects an application client made with lazyConnect on its first call', async () => {
    const lazy = client.duplicate({ lazyConnect: true });
    const { store } = openStore();
    const lazyStore = new RedisSessionStore<TestSession>({ client: lazy, prefix: store.prefix });
    expect(lazy.status).toBe('wait');

    await lazyStore.upsert({ id: 's', userId: 1 }, 60);

    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    await lazyStore.close();
    await store.close();
    expect(lazy.status).toBe('ready');
    await lazy.quit();
  });

  it('closes the connection it opened from a url', async () => {
    const store = new RedisSessionStore<TestSession>({
      url: REDIS_URL,
      prefix: `${RUN_PREFIX}owned:`,
    });
    await store.upsert({ id: 's', userId: 1 }, 60);
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });

    await store.close();

    expect(store.client.status).toBe('end');
  });
});

describe('options', () => {
  it('rejects a missing client and url, a bad url and a bad timeout without connecting', () => {
    const cases: unknown[] = [
      {},
      { url: 'http://user:secret-password@127.0.0.1:6379' },
      { url: 'redis://:secret-password@127.0.0.1:not-a-port' },
      { url: 'redis://:secret-password@[::1' },
      { client, url: REDIS_URL },
      { client, commandTimeoutMs: 0 },
      { client, commandTimeoutMs: 1.5 },
      { client: { status: 'ready' } },
    ];
    for (const options of cases) {
      let thrown: unknown;
      try {
        new RedisSessionStore(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(SessionStoreError.is(thrown, 'INVALID_ARGUMENT')).toBe(true);
      expect((thrown as Error).message).not.toContain('secret-password');
      expect(JSON.stringify((thrown as Error).cause ?? null)).not.toContain('secret-password');
    }
  });
});

describe('stored records', () => {
  it('are the expiry, the lock version and JSON text that Redis tools can read', async () => {
    const clock = new TestClock();
    const { store } = openStore(clock);
    await store.upsert({ id: 's', userId: 5, lockVersion: 0, device: 'laptop' }, 60);

    const raw = await client.hget(userKeys(store.prefix, 5).sessions, 'r:s');
    const [expiresAtMs, lockVersion, ...rest] = (raw ?? '').split(':');

    expect(Number(expiresAtMs)).toBe(clock.now() + 60_000);
    expect(lockVersion).toBe('1');
    expect(JSON.parse(rest.join(':'))).toEqual({
      id: 's',
      userId: 5,
      lockVersion: 1,
      device: 'laptop',
    });
    await store.close();
  });

  it('leave the lock version empty for a session that has none', async () => {
    const { store } = openStore();
    await store.upsert({ id: 's', userId: 6 }, 60);

    const raw = await client.hget(userKeys(store.prefix, 6).sessions, 'r:s');

    expect(raw).toMatch(/^\d+::\{"id":"s","userId":6\}$/);
    await store.close();
  });

  it('treats a value whose expiry cannot be read as absent, and reports it as corrupt', async () => {
    const events: SessionStoreEvent[] = [];
    const store = new RedisSessionStore({
      client,
      prefix: `${RUN_PREFIX}corrupt:`,
      logger: { warn: (_message, event) => events.push(event), error: () => undefined },
    });
    const keys = userKeys(store.prefix, 7);
    // A record written without the expiry in front: it must not read as live forever.
    for (const value of ['{"id":"s","userId":7}', 'x:1:{"id":"s","userId":7}', '12:x:{}']) {
      await client.hset(keys.sessions, 'r:s', value);

      expect(await store.get('s', 7)).toBeNull();
      expect(await store.getAll(7)).toEqual([]);
    }

    expect(events.map((event) => event.type)).toEqual(Array(6).fill('corrupt-record'));
    await client.del(keys.sessions);
    await store.close();
  });
});

describe('a user whose index key was lost', () => {
  it('keeps the live sessions the hash still holds when another one is deleted', async () => {
    const { store } = openStore();
    await store.upsert({ id: 'laptop', userId: 2 }, 600);
    await store.upsert({ id: 'phone', userId: 2 }, 600);
    // Evicted under a volatile-* policy, say: reads go to the hash alone and still work.
    await client.del(userKeys(store.prefix, 2).index);

    await store.delete('phone', 2);

    expect(await store.get('laptop', 2)).toEqual({ id: 'laptop', userId: 2 });
    expect(await store.getAll(2)).toEqual([{ id: 'laptop', userId: 2 }]);
    await store.close();
  });

  it('an upsert of a shorter session keeps the keys alive for a live one the index no longer lists', async () => {
    const { store } = openStore();
    const keys = userKeys(store.prefix, 1);
    await store.upsert({ id: 'a', userId: 1 }, 3600);
    await client.del(keys.index);
    await store.upsert({ id: 'b', userId: 1 }, 60);

    // Session a is live for another hour by the store's clock; its keys must outlive that.
    expect(await client.pttl(keys.sessions)).toBeGreaterThanOrEqual(3_600_000);
    await store.close();
  });

  it('a delete keeps the keys alive for a live session the index no longer lists', async () => {
    const { store } = openStore();
    const keys = userKeys(store.prefix, 1);
    await store.upsert({ id: 'a', userId: 1 }, 3600);
    await client.del(keys.index);
    await store.upsert({ id: 'b', userId: 1 }, 3600);
    await store.upsert({ id: 'c', userId: 1 }, 60);
    await store.delete('b', 1);

    expect(await client.pttl(keys.sessions)).toBeGreaterThanOrEqual(3_600_000);
    await store.close();
  });

  it('a live session stays readable while Redis expires keys on its own (short grace)', async () => {
    const { store, clock } = openStore(new TestClock(), 100);
    const keys = userKeys(store.prefix, 1);
    await store.upsert({ id: 'a', userId: 1 }, 30);
    await client.del(keys.index);
    await store.upsert({ id: 'b', userId: 1 }, 1);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    clock.advance(1500);

    // a has 28.5 s left by the store's clock.
    expect(await store.get('a', 1)).not.toBeNull();
    await store.close();
  });

  it('an index recreated by a refresh gets a key expiry, so it cannot outlive the hash', async () => {
    const { store } = openStore();
    const keys = userKeys(store.prefix, 1);
    await store.upsert({ id: 'a', userId: 1 }, 3600);
    await client.del(keys.index);
    await store.upsert({ id: 'a', userId: 1 }, 3600);

    expect(await client.pttl(keys.sessions)).toBeGreaterThan(0);
    expect(await client.pttl(keys.index)).toBeGreaterThan(0);
    await store.close();
  });
});

describe('a user whose sessions hash was lost', () => {
  it('deleting the last session leaves no index key behind for sessions the hash no longer has', async () => {
    const { store } = openStore();
    const keys = userKeys(store.prefix, 1);
    await store.upsert({ id: 'long', userId: 1 }, 86_400);
    await client.del(keys.sessions); // as an eviction would: the user is logged out
    await store.upsert({ id: 'new', userId: 1 }, 60);
    await store.delete('new', 1);

    expect(await client.hlen(keys.sessions)).toBe(0);
    expect(await client.pttl(keys.index)).toBe(-2);
    await store.close();
  });
});

describe('delete() with a clock that cannot be read', () => {
  it('still revokes the session, and leaves no key behind when it was the last', async () => {
    let reading: () => number = () => 1_700_000_000_000;
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix: `${RUN_PREFIX}broken-clock:`,
      clock: () => reading(),
    });
    await store.upsert({ id: 'a', userId: 3 }, 600);
    await store.upsert({ id: 'b', userId: 3 }, 600);
    reading = () => {
      throw new Error('time source down');
    };

    await store.delete('a', 3);
    // A second store on the same keys whose clock never worked: it has no reading at all.
    const neverRead = new RedisSessionStore<TestSession>({
      client,
      prefix: store.prefix,
      clock: () => Number.NaN,
    });
    await neverRead.delete('b', 3);

    reading = () => 1_700_000_000_001;
    expect(await store.getAll(3)).toEqual([]);
    expect(await keysWithPrefix(client, store.prefix)).toEqual([]);
    await Promise.all([store.close(), neverRead.close()]);
  });
});

describe('a store clock that reads before 1970', () => {
  it('stores and reads sessions like any other clock', async () => {
    let nowMs = -60_000;
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix: `${RUN_PREFIX}negative-clock:`,
      clock: () => nowMs,
    });

    await store.upsert({ id: 's', userId: 1, lockVersion: 0 }, 10);
    nowMs += 1_000;

    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1, lockVersion: 1 });
    await expect(store.upsert({ id: 's', userId: 1, lockVersion: 0 }, 10)).rejects.toThrow(
      /lockVersion 0/,
    );
    await store.upsert({ id: 's', userId: 1, lockVersion: 1 }, 10);
    nowMs += 10_000;
    expect(await store.get('s', 1)).toBeNull();
    await store.close();
  });
});

describe('parseStoredValue', () => {
  it('reads back what storedValue writes', () => {
    for (const [record, expiresAtMs, lockVersion] of [
      ['{"a":1}', 0, null],
      ['x:y:z', 1_767_225_600_000, 7],
      ['', Number.MAX_SAFE_INTEGER, 0],
      ['{}', -60_000, 2],
    ] as const) {
      expect(parseStoredValue(storedValue(record, expiresAtMs, lockVersion))).toEqual({
        record,
        expiresAtMs,
        lockVersion,
      });
    }
  });

  it('refuses a value without a whole-number expiry and lock version in front', () => {
    for (const value of [
      '',
      '{}',
      ':1:{}',
      '12',
      '12:',
      '-::{}',
      '--1::{}',
      '1-1::{}',
      '1.5::{}',
      ' 12::{}',
      '12:1.0:{}',
      '99999999999999999::{}',
      '12:99999999999999999:{}',
    ]) {
      expect(parseStoredValue(value), value).toBeNull();
    }
  });
});

/** The part of a key Redis Cluster hashes, by the rule Redis applies. */
function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open === -1 || close <= open + 1 ? key : key.slice(open + 1, close);
}

/** Reverses the store's escaping of `%`, `{` and `}` in one pass. */
function unescapeTag(tag: string): string {
  const characters: Record<string, string> = { '%25': '%', '%7B': '{', '%7D': '}' };
  return tag.replace(/%(25|7B|7D)/g, (escaped) => characters[escaped] ?? escaped);
}
