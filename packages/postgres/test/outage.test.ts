import { once } from 'node:events';
import { inspect } from 'node:util';
import { SessionStoreError } from '@sessionstore/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionFailure, PostgresSessionStore } from '../src/index.js';
import { dropSchemas, openTestPool, type TestSession, uniqueName } from './support.js';

let admin: pg.Pool;
const schema = uniqueName('sessionstore_outage_test');

beforeAll(async () => {
  admin = await openTestPool();
});

afterAll(async () => {
  await dropSchemas(admin, [schema]);
  await admin.end();
});

/** Waits until `count` backends of this application wait on a lock; at most 10 s. */
async function waitForBlockedBackends(applicationName: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await admin.query(
      "SELECT count(*)::int AS blocked FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
      [applicationName],
    );
    if (rows[0].blocked >= count) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${count} backends of ${applicationName} never blocked on the lock.`);
}

/** Terminates this test's own backends, found by their application_name, and no other. */
async function terminateBackends(applicationName: string): Promise<number> {
  const { rows } = await admin.query(
    'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows.length;
}

describe('a backend terminated mid-run', () => {
  it('fails the calls in flight with UNAVAILABLE, and the next call succeeds', async () => {
    const applicationName = uniqueName('sessionstore_outage');
    const pool = await openTestPool({ application_name: applicationName, max: 3 });
    const store = new PostgresSessionStore<TestSession>({ pool, schema, table: 'in_flight' });
    await store.upsert({ id: 'hot', userId: 1, step: 'before' }, 60);

    // A row lock held by another connection keeps the store's statements waiting.
    const holder = await admin.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM "${schema}".in_flight WHERE session_id = 'hot' FOR UPDATE`);
    const inFlight = [1, 2, 3].map((step) =>
      store.upsert({ id: 'hot', userId: 1, step }, 60).catch((error: unknown) => error),
    );
    await waitForBlockedBackends(applicationName, 3);

    expect(await terminateBackends(applicationName)).toBe(3);
    const errors = await Promise.all(inFlight);
    await holder.query('ROLLBACK');
    holder.release();

    for (const error of errors) {
      expect(SessionStoreError.is(error, 'UNAVAILABLE')).toBe(true);
      expect(isConnectionFailure((error as Error).cause)).toBe(true);
    }
    expect(await store.get('hot', 1)).toEqual({ id: 'hot', userId: 1, step: 'before' });
    await store.close();
    await pool.end();
  });

  it('an idle connection terminated between calls does not fail the next call', async () => {
    const applicationName = uniqueName('sessionstore_outage');
    const pool = await openTestPool({ application_name: applicationName, max: 1 });
    const store = new PostgresSessionStore<TestSession>({ pool, schema, table: 'idle' });
    await store.upsert({ id: 'idle', userId: 1 }, 60);
    const dropped = once(pool, 'error');

    expect(await terminateBackends(applicationName)).toBe(1);
    await dropped;

    expect(await store.get('idle', 1)).toEqual({ id: 'idle', userId: 1 });
    await store.close();
    await pool.end();
  });
});

describe('credentials never reach a message', () => {
  const secret = 'hunter2-do-not-log';

  function everythingPrinted(error: unknown): string {
    const cause = (error as Error).cause as Error | undefined;
    return [
      String(error),
      (error as Error).stack,
      JSON.stringify(error),
      inspect(error, { depth: 8, showHidden: true }),
      cause?.message,
      cause?.stack,
    ].join('\n');
  }

  it('an unreachable server gives UNAVAILABLE without the connection string', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const connectionString = `postgres://sessionstore:${secret}@127.0.0.1:1/test`;
    const store = new PostgresSessionStore({ connectionString, connectionTimeoutMillis: 2_000 });

    const error = await store.get('s', 1).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'UNAVAILABLE', cause: { code: 'ECONNREFUSED' } });
    expect((error as Error).message).toContain('could not be reached');
    expect(everythingPrinted(error)).not.toContain(secret);
    expect(inspect(store, { depth: 8, showHidden: true })).not.toContain(secret);
    await store.close();
  });

  it('a malformed connection URL is rejected without quoting it', () => {
    const connectionString = `postgres://sessionstore:${secret}@[not-a-host/test`;

    const error = (() => {
      try {
        return new PostgresSessionStore({ connectionString });
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(everythingPrinted(error)).not.toContain(secret);
  });

  it('a socket-directory URL without a host is accepted, as pg accepts it', async () => {
    const connectionString = 'postgres://sessionstore@/test?host=/nonexistent/sessionstore';

    const store = new PostgresSessionStore({ connectionString });

    await expect(store.get('s', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await store.close();
  });
});
