import { SessionStoreError } from '@sessionstore/core';
import { RedisSessionStore, type RedisSessionStoreOptions } from '@sessionstore/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { OPTION_NAMES } from '../src/store.js';
import { connectTestRedis, deleteKeysWithPrefix, REDIS_URL, runPrefix } from './support/redis.js';
import { startSilencingProxy } from './support/tcp-proxy.js';

const RUN_PREFIX = runPrefix('option-names');
let client: Redis;

beforeAll(async () => {
  client = await connectTestRedis();
});

afterAll(async () => {
  await deleteKeysWithPrefix(client, RUN_PREFIX);
  await client.quit();
});

function constructorError(options: unknown): SessionStoreError {
  try {
    new RedisSessionStore(options as RedisSessionStoreOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return error as SessionStoreError;
  }
  throw new Error('expected the constructor to throw');
}

/** `REDIS_URL` with its host and port replaced by a loopback port of the test's choosing. */
function urlOnPort(port: number, password?: string): string {
  const url = new URL(REDIS_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  if (password !== undefined) url.password = password;
  return url.toString();
}

describe('RedisSessionStore option names', () => {
  it('rejects a misspelled option at once with INVALID_ARGUMENT, without the url', () => {
    // Port 1 on loopback: nothing listens there, so a store that got this far would fail
    // later, with UNAVAILABLE, instead of here.
    const error = constructorError({ url: urlOnPort(1, 'option-names-secret'), prefx: 'app:' });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      '@sessionstore/redis: the constructor was called with an invalid argument: unknown ' +
        'option `prefx` (did you mean `prefix`?).',
    );
    expect(error.message).not.toContain('option-names-secret');
  });

  it('opens no connection for a url when an option is misspelled', async () => {
    const proxy = await startSilencingProxy(Number(new URL(REDIS_URL).port || 6379));
    try {
      const url = urlOnPort(proxy.port);

      const error = constructorError({ url, commandTimeout: 500 });
      expect(error.message).toContain('`commandTimeout` (did you mean `commandTimeoutMs`?)');

      // The same url, spelled right: its store connects through the proxy, which so counts
      // one connection, the first it has seen.
      const store = new RedisSessionStore({ url, prefix: RUN_PREFIX, commandTimeoutMs: 5_000 });
      expect(await store.get('s', 1)).toBeNull();
      await store.close();
      expect(proxy.connections).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('accepts every option it declares, and an unknown one set to undefined', async () => {
    const store = new RedisSessionStore<{ id: string; userId: number }>({
      client,
      prefix: `${RUN_PREFIX}all:`,
      commandTimeoutMs: 5_000,
      keyExpiryGraceMs: 1_000,
      clock: () => 1_000,
      maxSessionBytes: 4096,
      logger: { warn() {}, error() {} },
      signingSecret: 'a secret long enough for the tests',
      pruneIntervalMs: 0,
      ...{ prefx: undefined },
    });

    await store.upsert({ id: 's', userId: 1 }, 60);
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    await store.close();
  });

  it('checks exactly the names RedisSessionStoreOptions declares', () => {
    // Checked by the type checker (`pnpm typecheck`): an option added to the type but not
    // to the list would be rejected at run time, and this line would not compile.
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<keyof RedisSessionStoreOptions>();
    expect(new Set(OPTION_NAMES).size).toBe(OPTION_NAMES.length);
  });
});
