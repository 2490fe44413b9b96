import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionStore } from '../src/index.js';
import { dropSchemas, manualClock, openTestPool, type TestSession, uniqueName } from './support.js';

// Revoking a session must not depend on the clock: a clock option that throws or returns
// NaN still lets delete() remove the session, as deleteAll() always could.

let pool: pg.Pool;
const schema = uniqueName('delete_clock');
let tableCount = 0;

beforeAll(async () => {
  pool = await openTestPool();
});

afterAll(async () => {
  await dropSchemas(pool, [schema]);
  await pool.end();
});

/** A store whose clock can be broken by the test after the session was written. */
function openStore() {
  const table = `del_${++tableCount}`;
  const clock = manualClock();
  let broken: (() => number) | undefined;
  const store = new PostgresSessionStore<TestSession>({
    pool,
    schema,
    table,
    pruneIntervalMs: 0,
    clock: () => (broken ?? clock.now)(),
  });
  return {
    store,
    table: `"${schema}"."${table}"`,
    breakClock: (reading: () => number) => {
      broken = reading;
    },
  };
}

async function rowCount(table: string): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

describe('delete() and a broken clock option', () => {
  it('delete() still removes the session when the clock throws (it needs no time)', async () => {
    const { store, table, breakClock } = openStore();
    await store.upsert({ id: 'sid', userId: 7 }, 60);
    breakClock(() => {
      throw new Error('clock source unavailable');
    });

    await expect(store.delete('sid', 7)).resolves.toBeUndefined();
    expect(await rowCount(table)).toBe(0);
    await store.close();
  });

  it('delete() still removes the session when the clock returns NaN', async () => {
    const { store, table, breakClock } = openStore();
    await store.upsert({ id: 'sid', userId: 7 }, 60);
    breakClock(() => Number.NaN);

    await expect(store.delete('sid', 7)).resolves.toBeUndefined();
    expect(await rowCount(table)).toBe(0);
    await store.close();
  });

  it('delete() and deleteAll() agree on a broken clock (deleteAll never reads it)', async () => {
    const { store, table, breakClock } = openStore();
    await store.upsert({ id: 'a', userId: 7 }, 60);
    await store.upsert({ id: 'b', userId: 7 }, 60);
    breakClock(() => Number.NaN);

    const deleteAll = await store.deleteAll(7).then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );
    await store.upsert({ id: 'c', userId: 7 }, 60).catch(() => undefined);
    const deleteOne = await store.delete('a', 7).then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );

    expect({ deleteAll, deleteOne }).toEqual({ deleteAll: 'ok', deleteOne: 'ok' });
    expect(await rowCount(table)).toBe(0);
    await store.close();
  });
});
