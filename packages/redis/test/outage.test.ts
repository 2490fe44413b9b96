import { SessionStoreError, type StoredSession } from '@sessionstore/core';
import { RedisSessionStore } from '@sessionstore/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  removeDir,
  startRedisServer,
  type TestRedisServer,
} from './support/redis-server.js';

type TestSession = StoredSession & Record<string, unknown>;

const PASSWORD = 'outage-test-password';
const COMMAND_TIMEOUT_MS = 500;
/** What the event loop and a busy 2-core machine may add to the bound. */
const SLACK_MS = 400;
const RECOVERY_TIMEOUT_MS = 20_000;

let dir: string;
let server: TestRedisServer;

beforeAll(async () => {
  dir = await makeTempDir();
  server = await startRedisServer(dir, () => ['--requirepass', PASSWORD]);
});

afterAll(async () => {
  await server?.stop();
  await removeDir(dir);
});

function serverUrl(): string {
  return `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
}

/** Every store call, so each one is shown to respect the bound. */
const calls: [string, (store: RedisSessionStore<TestSession>) => Promise<unknown>][] = [
  ['get()', (store) => store.get('s', 1)],
  ['upsert()', (store) => store.upsert({ id: 'written-during-outage', userId: 2 }, 60)],
  ['delete()', (store) => store.delete('s', 1)],
  ['getAll()', (store) => store.getAll(1)],
  ['deleteAll()', (store) => store.deleteAll(1)],
  ['prune()', (store) => store.prune()],
];

async function expectUnavailableWithinBound(store: RedisSessionStore<TestSession>): Promise<void> {
  for (const [name, call] of calls) {
    const startedMs = performance.now();
    const error = await call(store).then(
      () => new Error(`${name} resolved while Redis was down`),
      (rejection: unknown) => rejection,
    );
    const elapsedMs = performance.now() - startedMs;

    expect(SessionStoreError.is(error, 'UNAVAILABLE'), `${name}: ${error}`).toBe(true);
    expect(elapsedMs, `${name} took ${elapsedMs} ms`).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    expect((error as Error).message).not.toContain(PASSWORD);
    expect((error as Error).message).not.toContain(String(server.port));
  }
}

/** Retries a call until the store reaches Redis again, within a bound. */
async function waitUntilWorking(store: RedisSessionStore<TestSession>): Promise<void> {
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      await store.getAll(1);
      return;
    } catch (error) {
      if (!SessionStoreError.is(error, 'UNAVAILABLE')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`The store did not reach the restarted Redis within ${RECOVERY_TIMEOUT_MS} ms.`);
}

async function exerciseOutage(store: RedisSessionStore<TestSession>): Promise<void> {
  await store.upsert({ id: 's', userId: 1 }, 60);
  expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });

  await server.stop();
  await expectUnavailableWithinBound(store);

  await server.restart();
  await waitUntilWorking(store);

  // The server restarted empty: an upsert rejected during the outage must not have been
  // queued and run once the connection came back (its user is one no later call deletes).
  expect(await store.get('written-during-outage', 2)).toBeNull();
  await store.upsert({ id: 'after', userId: 1 }, 60);
  expect(await store.getAll(1)).toEqual([{ id: 'after', userId: 1 }]);
  await store.deleteAll(1);
}

describe('while Redis is down', () => {
  it('a store opened from a url rejects every call with UNAVAILABLE in time, then recovers', async () => {
    const store = new RedisSessionStore<TestSession>({
      url: serverUrl(),
      prefix: 'outage-owned:',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });

    await exerciseOutage(store);

    await store.close();
    expect(store.client.status).toBe('end');
  });

  it('a store on an application client with an offline queue does the same', async () => {
    const client = new Redis(serverUrl());
    client.on('error', () => undefined);
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix: 'outage-app:',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });

    await exerciseOutage(store);

    await store.close();
    expect(await client.ping()).toBe('PONG');
    expect(client.listenerCount('ready')).toBe(0);
    await client.quit();
  });

  it('closes a store whose own connection is down without waiting for it', async () => {
    const store = new RedisSessionStore<TestSession>({
      url: serverUrl(),
      prefix: 'outage-close:',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    await store.upsert({ id: 's', userId: 1 }, 60);
    await server.stop();

    const startedMs = performance.now();
    await store.close();

    expect(performance.now() - startedMs).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    expect(store.client.status).toBe('end');
    await server.restart();
  });
});

describe('a call waiting for a lost connection', () => {
  it('is rejected, and never sent, when the store closes meanwhile', async () => {
    const client = new Redis(serverUrl());
    client.on('error', () => undefined);
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix: 'outage-closing:',
      commandTimeoutMs: 5_000,
    });
    await store.getAll(1);
    await server.stop();

    const listenersBefore = client.listenerCount('ready');
    const waiting = store.upsert({ id: 'sent-after-close', userId: 1 }, 60).catch((e) => e);
    for (let turn = 0; turn < 1000 && client.listenerCount('ready') === listenersBefore; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(client.listenerCount('ready'), 'the call waits for the connection').toBeGreaterThan(
      listenersBefore,
    );
    const closedMs = performance.now();
    await store.close();
    const error = await waiting;
    const rejectedAfterMs = performance.now() - closedMs;
    await server.restart();
    await client.ping();

    expect(SessionStoreError.is(error, 'UNAVAILABLE'), String(error)).toBe(true);
    expect(rejectedAfterMs).toBeLessThan(SLACK_MS);
    // The restarted server has run no script at all: the waiting call was dropped, not queued.
    expect(await client.info('commandstats')).not.toMatch(/cmdstat_eval/);
    await client.quit();
  });

  it('is rejected at once when the application has quit its client', async () => {
    const client = new Redis(serverUrl());
    const store = new RedisSessionStore<TestSession>({ client, prefix: 'outage-quit:' });
    await store.getAll(1);
    await client.quit();

    const startedMs = performance.now();
    await expect(store.get('s', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(performance.now() - startedMs).toBeLessThan(SLACK_MS);
    await store.close();
  });
});

describe('when the server forgets its scripts', () => {
  it('sends the script source again after NOSCRIPT and succeeds', async () => {
    const client = new Redis(serverUrl());
    const store = new RedisSessionStore<TestSession>({ client, prefix: 'noscript:' });
    await store.upsert({ id: 's', userId: 1 }, 60);

    await client.script('FLUSH');

    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    await store.upsert({ id: 't', userId: 1 }, 60);
    expect(await store.getAll(1)).toHaveLength(2);
    await store.deleteAll(1);
    await store.close();
    await client.quit();
  });
});
