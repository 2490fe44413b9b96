import { SessionStoreError } from '@sessionstore/core';
import { MongoClient } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MongoSessionStore } from '../src/index.js';
import { closedLoopbackPort, silentLoopbackServer } from './closed-port.js';

const TIMEOUT_MS = 300;
// Generous for a loaded 2-core machine, and far below the driver's 30 s default.
const SLACK_MS = 1500;

let port: number;

beforeAll(async () => {
  port = await closedLoopbackPort();
});

async function timedRejection(action: Promise<unknown>) {
  const startedMs = performance.now();
  const error = await action.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (reason: unknown) => reason,
  );
  return { error: error as SessionStoreError, elapsedMs: performance.now() - startedMs };
}

describe('an unreachable MongoDB', () => {
  it('makes get() reject with UNAVAILABLE within operationTimeoutMs on an app client', async () => {
    // The app's client keeps the driver's own 30 s server selection timeout.
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`);
    const store = new MongoSessionStore({
      client,
      database: 'auth',
      operationTimeoutMs: TIMEOUT_MS,
    });

    try {
      const { error, elapsedMs } = await timedRejection(store.get('sid', 1));

      expect(error).toBeInstanceOf(SessionStoreError);
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toMatch(/^@sessionstore\/mongodb: get\(\) failed/);
      expect(error.cause).toBeDefined();
      expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    } finally {
      await store.close();
      await client.close();
    }
  });

  it('makes every method reject with UNAVAILABLE within the bound on a url', async () => {
    const store = new MongoSessionStore({
      url: `mongodb://127.0.0.1:${port}/auth?directConnection=true`,
      operationTimeoutMs: TIMEOUT_MS,
    });
    const session = { id: 'sid', userId: 1 } as never;
    const calls: [string, () => Promise<unknown>][] = [
      ['get()', () => store.get('sid', 1)],
      ['upsert()', () => store.upsert(session, 60)],
      ['delete()', () => store.delete('sid', 1)],
      ['getAll()', () => store.getAll(1)],
      ['deleteAll()', () => store.deleteAll(1)],
      ['prune()', () => store.prune()],
    ];

    try {
      for (const [method, call] of calls) {
        const { error, elapsedMs } = await timedRejection(call());

        expect(error.code, method).toBe('UNAVAILABLE');
        expect(error.message, method).toContain(`${method} failed`);
        expect(elapsedMs, method).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      }
    } finally {
      await store.close();
    }
  });

  it('never puts the connection string or its password in the error', async () => {
    const store = new MongoSessionStore({
      url: `mongodb://alice:hunter2@127.0.0.1:${port}/auth?directConnection=true`,
      operationTimeoutMs: TIMEOUT_MS,
    });

    try {
      const { error } = await timedRejection(store.get('sid', 1));

      expect(error.code).toBe('UNAVAILABLE');
      const text = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
      expect(text).not.toMatch(/hunter2|alice|mongodb:\/\//);
      expect(String((error.cause as Error).message)).not.toMatch(/hunter2/);
    } finally {
      await store.close();
    }
  });

  it('lets a store on a url close promptly while a call is pending', async () => {
    const store = new MongoSessionStore({
      url: `mongodb://127.0.0.1:${port}/auth?directConnection=true`,
      operationTimeoutMs: 5000,
    });
    const pending = store.get('sid', 1).catch((error: unknown) => error);

    const startedMs = performance.now();
    await store.close();
    const error = await pending;

    expect(performance.now() - startedMs).toBeLessThan(SLACK_MS);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('bounds a call to a server that accepts the connection and never answers', async () => {
    const silent = await silentLoopbackServer();
    // The app's client keeps the driver's 30 s connect and server selection timeouts.
    const client = new MongoClient(`mongodb://127.0.0.1:${silent.port}/?directConnection=true`);
    const store = new MongoSessionStore({
      client,
      database: 'auth',
      operationTimeoutMs: TIMEOUT_MS,
    });

    try {
      const { error, elapsedMs } = await timedRejection(
        store.upsert({ id: 'sid', userId: 1 } as never, 60),
      );

      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toBe(
        `@sessionstore/mongodb: upsert() failed: MongoDB did not answer within operationTimeoutMs (${TIMEOUT_MS} ms).`,
      );
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    } finally {
      await store.close();
      await client.close();
      await silent.stop();
    }
  });
});
