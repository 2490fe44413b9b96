import type { StoredSession } from '@sessionstore/core';
import { startMongoTestServer } from '@sessionstore/mongo-test-server';
import { MongoClient, MongoNetworkError, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoSessionStore } from '../src/index.js';
import { type Backend, commandLog, startBackend, TEST_SERVER_ONLY } from './backend.js';
import { closedLoopbackPort } from './closed-port.js';

type AnySession = StoredSession & Record<string, unknown>;

const RECOVERY_ATTEMPTS = 10;

/**
 * Calls `action` until it resolves, at most {@link RECOVERY_ATTEMPTS} times, and returns how
 * many calls it took. The driver notices a server that came back on its next heartbeat, so
 * the first call after a restart may still fail; a store that stays broken never succeeds.
 */
async function attemptsUntilSuccess(action: () => Promise<unknown>): Promise<number> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= RECOVERY_ATTEMPTS; attempt++) {
    try {
      await action();
      return attempt;
    } catch (error) {
      expect(error).toMatchObject({ code: 'UNAVAILABLE' });
      lastError = error;
    }
  }
  throw lastError;
}

// These cases need the test server's failure hook: a real MongoDB cannot be told to fail
// the next write. On a real one they are reported as skipped.
describe.skipIf(TEST_SERVER_ONLY)('failures injected through the test server', () => {
  let backend: Backend;
  let client: MongoClient;
  let commands: ReturnType<typeof commandLog>;
  let collectionCount = 0;

  beforeAll(async () => {
    backend = await startBackend();
    client = await backend.client({ monitorCommands: true });
    commands = commandLog(client);
  });

  afterAll(async () => {
    await backend.stop();
  });

  beforeEach(() => {
    commands.clear();
  });

  /** A store whose indexes already exist, so the next write is the operation's own. */
  async function openStore() {
    collectionCount += 1;
    const store = new MongoSessionStore<AnySession>({
      client,
      database: backend.database,
      collection: `failures_${collectionCount}`,
    });
    await store.get('warm-up', 0);
    commands.clear();
    return store;
  }

  function failNextWrite(...args: Parameters<NonNullable<Backend['server']>['failNextWrite']>) {
    backend.server?.failNextWrite(...args);
  }

  it('turns a duplicate key on a create (lockVersion 0) into CONFLICT and writes nothing', async () => {
    const store = await openStore();
    failNextWrite({ kind: 'duplicateKey' });

    const error = await store
      .upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60)
      .catch((reason: unknown) => reason);

    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect(commands.names).toEqual(['update']);
    expect(await store.get('sid', 1)).toBeNull();
    await store.close();
  });

  it('retries an unconditional upsert once after a duplicate key, and it succeeds', async () => {
    const store = await openStore();
    failNextWrite({ kind: 'duplicateKey' });

    await store.upsert({ id: 'sid', userId: 1, round: 1 }, 60);

    expect(commands.names).toEqual(['update', 'update']);
    expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1, round: 1 });
    await store.close();
  });

  it('retries only once: a second duplicate key rejects with UNAVAILABLE', async () => {
    const store = await openStore();
    failNextWrite({ kind: 'duplicateKey' });
    failNextWrite({ kind: 'duplicateKey' });

    const error = await store
      .upsert({ id: 'sid', userId: 1 }, 60)
      .catch((reason: unknown) => reason);

    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as Error).cause).toBeInstanceOf(MongoServerError);
    expect((error as Error).message).toMatch(/MongoDB answered with an error \(code 11000\)/);
    expect(commands.names).toEqual(['update', 'update']);
    await store.close();
  });

  it('does not read a duplicate key on another unique index as a conflict or a race', async () => {
    const store = await openStore();
    const other = { keyPattern: { email: 1 }, keyValue: { email: 'a@example.test' } };
    failNextWrite({ kind: 'duplicateKey', ...other });
    failNextWrite({ kind: 'duplicateKey', ...other });

    const create = store.upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60);
    await expect(create).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const put = store.upsert({ id: 'sid', userId: 1 }, 60);
    await expect(put).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    expect(commands.names).toEqual(['update', 'update']);
    await store.close();
  });

  it('turns a lost connection into UNAVAILABLE, and the next call succeeds', async () => {
    const store = await openStore();
    failNextWrite({ kind: 'network' });

    const error = await store
      .upsert({ id: 'sid', userId: 1 }, 60)
      .catch((reason: unknown) => reason);

    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as Error).cause).toBeInstanceOf(MongoNetworkError);
    expect((error as Error).message).toMatch(/could not be reached \(MongoNetworkError\)/);
    expect(await store.get('sid', 1)).toBeNull();
    await store.upsert({ id: 'sid', userId: 1 }, 60);
    expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1 });
    await store.close();
  });

  it('reports UNAVAILABLE when the reply to an applied write is lost: the outcome is unknown', async () => {
    const store = await openStore();
    failNextWrite({ kind: 'network', afterWrite: true });

    const upsert = store.upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60);
    await expect(upsert).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    // The write landed; a retry of the create is then refused rather than applied twice.
    expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1, lockVersion: 1 });
    const retry = store.upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60);
    await expect(retry).rejects.toMatchObject({ code: 'CONFLICT' });
    await store.close();
  });

  it('passes a server error on as UNAVAILABLE with its code name, and keeps the store usable', async () => {
    const store = await openStore();
    failNextWrite({
      kind: 'command',
      code: 91,
      codeName: 'ShutdownInProgress',
      errmsg: 'The server is shutting down',
    });

    const error = await store.delete('sid', 1).catch((reason: unknown) => reason);

    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as Error).message).toBe(
      '@sessionstore/mongodb: delete() failed: MongoDB answered with an error (ShutdownInProgress).',
    );
    await store.upsert({ id: 'sid', userId: 1 }, 60);
    expect(await store.getAll(1)).toEqual([{ id: 'sid', userId: 1 }]);
    await store.close();
  });
});

describe.skipIf(TEST_SERVER_ONLY)('a MongoDB that comes and goes (test server)', () => {
  it('lets a store on a url recover when MongoDB starts after its first call failed', async () => {
    const port = await closedLoopbackPort();
    const store = new MongoSessionStore<AnySession>({
      url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      database: 'comes_and_goes',
      operationTimeoutMs: 500,
    });

    try {
      await expect(store.get('sid', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const server = await startMongoTestServer({ port });
      try {
        await attemptsUntilSuccess(() => store.upsert({ id: 'sid', userId: 1 }, 60));
        expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1 });
      } finally {
        await store.close();
        await server.stop();
      }
    } finally {
      await store.close();
    }
  });

  it('reports a server that went away as unreachable, whichever way the driver notices', async () => {
    const server = await startMongoTestServer();
    const client = new MongoClient(server.url);
    const store = new MongoSessionStore<AnySession>({
      client,
      database: 'comes_and_goes',
      operationTimeoutMs: 500,
    });

    try {
      await client.connect();
      await store.upsert({ id: 'sid', userId: 1 }, 60);
      await server.stop();

      for (let attempt = 0; attempt < 3; attempt++) {
        const error = await store.upsert({ id: 'sid', userId: 1 }, 60).catch((reason) => reason);

        expect(error).toMatchObject({ code: 'UNAVAILABLE' });
        expect((error as Error).message).toMatch(
          /^@sessionstore\/mongodb: upsert\(\) failed: MongoDB (could not be reached \(\w+\)|did not answer within operationTimeoutMs \(500 ms\))\.$/,
        );
      }
    } finally {
      await store.close();
      await client.close();
      await server.stop();
    }
  });

  it('rejects within operationTimeoutMs once the server is gone, then recovers when it is back', async () => {
    const first = await startMongoTestServer();
    const store = new MongoSessionStore<AnySession>({
      url: first.url,
      database: 'comes_and_goes',
      operationTimeoutMs: 500,
    });

    try {
      await store.upsert({ id: 'sid', userId: 1 }, 60);
      await first.stop();

      const startedMs = performance.now();
      await expect(store.get('sid', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(performance.now() - startedMs).toBeLessThan(2000);

      const second = await startMongoTestServer({ port: first.port });
      try {
        // A new, empty server: the session is gone, but the store works again.
        await attemptsUntilSuccess(() => store.upsert({ id: 'sid', userId: 1, round: 2 }, 60));
        expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1, round: 2 });
      } finally {
        await store.close();
        await second.stop();
      }
    } finally {
      await store.close();
      await first.stop();
    }
  });
});
