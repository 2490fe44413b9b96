import { SessionStoreError } from '@sessionstore/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionStore, QueryTimeoutError } from '../src/index.js';
import { dropSchemas, openTestPool, type TestSession, uniqueName } from './support.js';

// On an application's one-connection pool with no statement_timeout, a statement blocked on
// a row lock and a call queued behind it are both cut off within queryTimeoutMs, with phases
// "statement" and "connection", and the store recovers.

const BOUND_MS = 300;
const SLACK_MS = 1_000;
let admin: pg.Pool;
const schema = uniqueName('lock_phase');

beforeAll(async () => {
  admin = await openTestPool();
});

afterAll(async () => {
  await dropSchemas(admin, [schema]);
  await admin.end();
});

async function timed(call: Promise<unknown>) {
  const startMs = Date.now();
  const error = await call.then(
    () => new Error('resolved'),
    (caught: unknown) => caught,
  );
  return { error, elapsedMs: Date.now() - startMs };
}

describe('a lock and a one-connection pool', () => {
  it('bounds the blocked statement and the call waiting behind it, each with its phase', async () => {
    const pool = await openTestPool({ max: 1, application_name: uniqueName('lock_phase') });
    const store = new PostgresSessionStore<TestSession>({
      pool,
      schema,
      table: 'locked',
      pruneIntervalMs: 0,
      queryTimeoutMs: BOUND_MS,
    });
    await store.upsert({ id: 'hot', userId: 1 }, 60);

    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}"."locked" WHERE session_id = 'hot' FOR UPDATE`);

      const [blocked, queued] = await Promise.all([
        timed(store.upsert({ id: 'hot', userId: 1, n: 2 }, 60)),
        timed(store.get('hot', 1)),
      ]);
      for (const result of [blocked, queued]) {
        expect(SessionStoreError.is(result.error, 'UNAVAILABLE')).toBe(true);
        expect(result.elapsedMs).toBeLessThan(BOUND_MS + SLACK_MS);
      }
      expect((blocked.error as Error).cause).toBeInstanceOf(QueryTimeoutError);
      expect((blocked.error as Error).cause).toMatchObject({ phase: 'statement' });
      expect((queued.error as Error).cause).toMatchObject({ phase: 'connection' });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }

    expect(await store.get('hot', 1)).not.toBeUndefined();
    await store.close();
    await pool.end();
  });
});
