import { SessionStoreError, type StoredSession } from '@sessionstore/core';
import { FORCED_RECONNECT_INTERVAL_MS, RedisSessionStore } from '@sessionstore/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  removeDir,
  startRedisServer,
  type TestRedisServer,
} from './support/redis-server.js';
import { type SilencingProxy, startSilencingProxy } from './support/tcp-proxy.js';

type TestSession = StoredSession & Record<string, unknown>;

const COMMAND_TIMEOUT_MS = 500;
/** What the event loop and a busy 2-core machine may add to the bound. */
const SLACK_MS = 400;

let dir: string;
let server: TestRedisServer;
let proxy: SilencingProxy | undefined;
let store: RedisSessionStore<TestSession> | undefined;

beforeAll(async () => {
  dir = await makeTempDir();
  server = await startRedisServer(dir);
});

afterEach(async () => {
  await store?.close();
  await proxy?.close();
  store = undefined;
  proxy = undefined;
});

afterAll(async () => {
  await server?.stop();
  await removeDir(dir);
});

async function openStoreBehindProxy(
  commandTimeoutMs: number,
): Promise<RedisSessionStore<TestSession>> {
  proxy = await startSilencingProxy(server.port);
  store = new RedisSessionStore<TestSession>({
    url: `redis://127.0.0.1:${proxy.port}`,
    prefix: `silent-${proxy.port}:`,
    commandTimeoutMs,
  });
  await store.upsert({ id: 's', userId: 1 }, 60);
  return store;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `call` and returns its rejection, failing when it resolves. */
async function rejectionOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => new Error('the call resolved on a silent connection'),
    (error: unknown) => error,
  );
}

describe('a store opened from a url, when its connection goes silent', () => {
  it('rejects the call that met the silence with UNAVAILABLE in time, then serves the next call on a new connection', async () => {
    const opened = await openStoreBehindProxy(COMMAND_TIMEOUT_MS);
    proxy?.silenceOpenConnections();

    const startedMs = performance.now();
    const error = await rejectionOf(opened.get('s', 1));
    expect(SessionStoreError.is(error, 'UNAVAILABLE'), String(error)).toBe(true);
    expect(performance.now() - startedMs).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);

    expect(await opened.get('s', 1)).toEqual({ id: 's', userId: 1 });
    expect(proxy?.connections).toBe(2);
    await opened.deleteAll(1);
  });

  it(`opens at most one new connection per ${FORCED_RECONNECT_INTERVAL_MS} ms while calls keep going unanswered`, async () => {
    const opened = await openStoreBehindProxy(200);
    // Each connection answers its handshake, then goes silent: a server that is slow, not gone.
    proxy?.silenceEachConnectionAfter(300);
    await sleep(350);
    const startedMs = performance.now();

    let failures = 0;
    for (let turn = 0; turn < 50 && performance.now() - startedMs < 2_500; turn++) {
      const error = await rejectionOf(opened.get('s', 1));
      if (SessionStoreError.is(error, 'UNAVAILABLE')) failures += 1;
      await sleep(50);
    }

    expect(failures).toBeGreaterThanOrEqual(5);
    expect(proxy?.connections).toBe(2);
  });
});
