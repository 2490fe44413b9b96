import { SessionStoreError, type SessionStoreEvent } from '@sessionstore/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  PostgresSessionStore,
  type PostgresStoreBaseOptions,
  PRUNE_BATCH_SIZE,
} from '../src/index.js';
import { dropSchemas, manualClock, openTestPool, type TestSession, uniqueName } from './support.js';

let pool: pg.Pool;
const schema = uniqueName('sessionstore_store_test');
let tableCount = 0;

beforeAll(async () => {
  pool = await openTestPool();
});

afterAll(async () => {
  await dropSchemas(pool, [schema]);
  await pool.end();
});

function openStore(options: Omit<PostgresStoreBaseOptions, 'schema' | 'table'> = {}) {
  const table = `sessions_${++tableCount}`;
  const store = new PostgresSessionStore<TestSession>({
    pool,
    schema,
    table,
    pruneIntervalMs: 0,
    ...options,
  });
  return { store, name: table, table: `"${schema}"."${table}"` };
}

/** Waits until a backend of this application waits on a lock; at most 10 s. */
async function waitForLockWait(applicationName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rowCount } = await pool.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
      [applicationName],
    );
    if (rowCount !== 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`No backend of ${applicationName} ever waited on a lock.`);
}

async function storedRow(table: string, userKey: string, sessionId: string) {
  const { rows } = await pool.query(
    `SELECT expires_at_ms, lock_version, record FROM ${table} ` +
      'WHERE user_key = $1 AND session_id = $2',
    [userKey, sessionId],
  );
  return rows[0] as { expires_at_ms: string; lock_version: string | null; record: string };
}

describe('PostgresSessionStore against a real server', () => {
  it('get() returns what upsert() stored, for that user only', async () => {
    const { store } = openStore();
    const session = { id: 'sid:1 {"quote"} %_*', userId: 42, note: 'nul \u0000 and 🙂 שלום' };

    await store.upsert(session, 60);

    expect(await store.get(session.id, 42)).toEqual(session);
    expect(await store.get(session.id, '42')).toEqual(session);
    expect(await store.get(session.id, 43)).toBeNull();
    await store.close();
  });

  it('upsert() stores expiry as the clock reading plus the ttl, to the millisecond', async () => {
    const clock = manualClock(1_733_312_345_678);
    const { store, table } = openStore({ clock: clock.now });

    await store.upsert({ id: 'exact', userId: 7 }, 3600);

    const row = await storedRow(table, '7', 'exact');
    expect(row.expires_at_ms).toBe(String(1_733_312_345_678 + 3_600_000));
    expect(JSON.parse(row.record)).toEqual({ id: 'exact', userId: 7 });
    await store.close();
  });

  it('expiry follows the store clock: live until the last millisecond, then gone', async () => {
    const clock = manualClock();
    const { store } = openStore({ clock: clock.now });
    await store.upsert({ id: 'short', userId: 1 }, 10);

    clock.advance(9_999);
    expect(await store.get('short', 1)).not.toBeNull();
    expect(await store.getAll(1)).toHaveLength(1);

    clock.advance(1);
    expect(await store.get('short', 1)).toBeNull();
    expect(await store.getAll(1)).toEqual([]);
    await store.close();
  });

  it('the server clock plays no part: a store clock in 2001 keeps a session live', async () => {
    const clock = manualClock(Date.UTC(2001, 0, 1));
    const { store } = openStore({ clock: clock.now });

    await store.upsert({ id: 'past', userId: 1 }, 60);

    expect(await store.get('past', 1)).toEqual({ id: 'past', userId: 1 });
    expect(await store.prune()).toBe(0);
    await store.close();
  });

  it('lockVersion 0 creates once; a live copy makes the second create a CONFLICT', async () => {
    const { store, table } = openStore();

    await store.upsert({ id: 'cas', userId: 1, lockVersion: 0 }, 60);
    const second = store.upsert({ id: 'cas', userId: 1, lockVersion: 0 }, 60);

    await expect(second).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await storedRow(table, '1', 'cas')).lock_version).toBe('1');
    await store.close();
  });

  it('lockVersion 0 may replace an expired copy', async () => {
    const clock = manualClock();
    const { store } = openStore({ clock: clock.now });
    await store.upsert({ id: 'again', userId: 1, lockVersion: 0, round: 1 }, 1);

    clock.advance(1_000);
    await store.upsert({ id: 'again', userId: 1, lockVersion: 0, round: 2 }, 60);

    expect(await store.get('again', 1)).toEqual({
      id: 'again',
      userId: 1,
      lockVersion: 1,
      round: 2,
    });
    await store.close();
  });

  it('lockVersion n updates only the live copy at n, and stores n + 1', async () => {
    const { store, table } = openStore();
    await store.upsert({ id: 'ver', userId: 1, lockVersion: 0 }, 60);

    await store.upsert({ id: 'ver', userId: 1, lockVersion: 1, step: 'refresh' }, 60);
    const stale = store.upsert({ id: 'ver', userId: 1, lockVersion: 1, step: 'stale' }, 60);

    await expect(stale).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await store.get('ver', 1)).toMatchObject({ lockVersion: 2, step: 'refresh' });
    expect((await storedRow(table, '1', 'ver')).lock_version).toBe('2');
    await store.close();
  });

  it('a refresh of a deleted session is a CONFLICT and does not bring it back', async () => {
    const { store, table } = openStore();
    await store.upsert({ id: 'revoked', userId: 1, lockVersion: 0 }, 60);
    await store.delete('revoked', 1);

    const refresh = store.upsert({ id: 'revoked', userId: 1, lockVersion: 1 }, 60);

    await expect(refresh).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await storedRow(table, '1', 'revoked')).toBeUndefined();
    await store.close();
  });

  it('a refresh of an expired session is a CONFLICT', async () => {
    const clock = manualClock();
    const { store } = openStore({ clock: clock.now });
    await store.upsert({ id: 'lapsed', userId: 1, lockVersion: 0 }, 5);
    clock.advance(5_000);

    const refresh = store.upsert({ id: 'lapsed', userId: 1, lockVersion: 1 }, 60);

    await expect(refresh).rejects.toMatchObject({ code: 'CONFLICT' });
    await store.close();
  });

  it('of 12 parallel creates and 12 parallel refreshes, exactly one of each succeeds', async () => {
    const { store } = openStore();
    const attempts = (lockVersion: number) =>
      Promise.allSettled(
        Array.from({ length: 12 }, (_, writer) =>
          store.upsert({ id: 'race', userId: 9, lockVersion, writer }, 60),
        ),
      );

    const creates = await attempts(0);
    const refreshes = await attempts(1);

    for (const results of [creates, refreshes]) {
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(SessionStoreError.is(result.reason, 'CONFLICT')).toBe(true);
        }
      }
    }
    expect(await store.get('race', 9)).toMatchObject({ lockVersion: 2 });
    await store.close();
  });

  it('getAll() and deleteAll() see every live session of the user and no other', async () => {
    const { store } = openStore();
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => store.upsert({ id: `s${index}`, userId: 5n }, 60)),
    );
    await store.upsert({ id: 's0', userId: 6 }, 60);

    expect((await store.getAll('5')).map((session) => session.id).sort()).toHaveLength(50);
    await store.deleteAll(5);

    expect(await store.getAll(5)).toEqual([]);
    expect(await store.get('s0', 6)).toEqual({ id: 's0', userId: 6 });
    await store.close();
  });

  it('every statement is a named prepared statement with its values as parameters', async () => {
    const { store } = openStore();
    await store.get('warm-up', 1);
    // The store checks a connection out of the pool and runs each statement on it.
    const query = vi.spyOn(pg.Client.prototype, 'query');

    await store.upsert({ id: "x'; DROP TABLE y; --", userId: 1 }, 60);
    await store.get("x'; DROP TABLE y; --", 1);
    await store.getAll(1);
    await store.delete("x'; DROP TABLE y; --", 1);
    await store.deleteAll(1);
    await store.prune();

    const configs = query.mock.calls.map(([config]) => config as unknown as pg.QueryConfig);
    query.mockRestore();
    expect(configs).toHaveLength(6);
    for (const config of configs) {
      expect(config.name).toMatch(/^sessionstore_[a-z_]+_[0-9a-f]{16}$/);
      expect(config.text).not.toContain('DROP');
      expect(config.values?.length).toBeGreaterThan(0);
    }
    await store.close();
  });

  it('two stores on different tables share one connection without statement clashes', async () => {
    const single = await openTestPool({ max: 1 });
    const first = new PostgresSessionStore<TestSession>({
      pool: single,
      schema,
      table: 'shared_conn_a',
    });
    const second = new PostgresSessionStore<TestSession>({
      pool: single,
      schema,
      table: 'shared_conn_b',
    });

    await first.upsert({ id: 'same', userId: 1, from: 'a' }, 60);
    await second.upsert({ id: 'same', userId: 1, from: 'b' }, 60);

    expect(await first.get('same', 1)).toMatchObject({ from: 'a' });
    expect(await second.get('same', 1)).toMatchObject({ from: 'b' });
    await Promise.all([first.close(), second.close()]);
    await single.end();
  });
});

describe('delete() and a broken clock option', () => {
  // Revoking a session must not depend on the clock: a clock option that throws or returns
  // NaN still lets delete() remove the session, as deleteAll() always could.

  /** A store whose clock the test can break after the session was written. */
  function openBreakableStore() {
    const clock = manualClock();
    let broken: (() => number) | undefined;
    const opened = openStore({ clock: () => (broken ?? clock.now)() });
    return {
      ...opened,
      breakClock: (reading: () => number) => {
        broken = reading;
      },
    };
  }

  async function rowCount(table: string): Promise<number> {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
    return rows[0].n;
  }

  it('delete() still removes the session when the clock throws', async () => {
    const { store, table, breakClock } = openBreakableStore();
    await store.upsert({ id: 'sid', userId: 7 }, 60);
    breakClock(() => {
      throw new Error('clock source unavailable');
    });

    await expect(store.delete('sid', 7)).resolves.toBeUndefined();
    expect(await rowCount(table)).toBe(0);
    await store.close();
  });

  it('delete() still removes the session when the clock returns NaN', async () => {
    const { store, table, breakClock } = openBreakableStore();
    await store.upsert({ id: 'sid', userId: 7 }, 60);
    breakClock(() => Number.NaN);

    await expect(store.delete('sid', 7)).resolves.toBeUndefined();
    expect(await rowCount(table)).toBe(0);
    await store.close();
  });

  it('delete() and deleteAll() agree on a broken clock (deleteAll never reads it)', async () => {
    const { store, table, breakClock } = openBreakableStore();
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

describe('prune', () => {
  it(`deletes a backlog in batches of ${PRUNE_BATCH_SIZE} and returns the total`, async () => {
    const clock = manualClock();
    const { store, table } = openStore({ clock: clock.now });
    await store.upsert({ id: 'live', userId: 1 }, 3600);
    await pool.query(
      `INSERT INTO ${table} (user_key, session_id, expires_at_ms, record) ` +
        "SELECT 'u' || n, 's', $1, '{}' FROM generate_series(1, 2500) AS n",
      [String(clock.now())],
    );
    const query = vi.spyOn(pg.Client.prototype, 'query');

    const removed = await store.prune();

    const pruneCalls = query.mock.calls.filter(([config]) =>
      (config as unknown as pg.QueryConfig).name?.startsWith('sessionstore_prune_'),
    );
    query.mockRestore();
    expect(removed).toBe(2500);
    expect(pruneCalls).toHaveLength(3);
    const { rows } = await pool.query(`SELECT session_id FROM ${table}`);
    expect(rows).toEqual([{ session_id: 'live' }]);
    await store.close();
  });

  it('keeps a session that a refresh renews while the prune statement waits for it', async () => {
    const clock = manualClock();
    const pruner = await openTestPool({ max: 1 });
    const applicationName = String(pruner.options.application_name);
    const { store, name, table } = openStore({ clock: clock.now });
    const pruningStore = new PostgresSessionStore<TestSession>({
      pool: pruner,
      schema,
      table: name,
      clock: clock.now,
      pruneIntervalMs: 0,
    });
    await store.upsert({ id: 'renewed', userId: 1 }, 1);
    clock.advance(1_000);

    // Another connection renews the expired row and holds its lock until prune waits on it.
    const refresher = await pool.connect();
    await refresher.query('BEGIN');
    await refresher.query(`UPDATE ${table} SET expires_at_ms = $1 WHERE session_id = 'renewed'`, [
      String(clock.now() + 60_000),
    ]);
    const pruning = pruningStore.prune();
    await waitForLockWait(applicationName);
    await refresher.query('COMMIT');
    refresher.release();

    expect(await pruning).toBe(0);
    expect(await store.get('renewed', 1)).toEqual({ id: 'renewed', userId: 1 });
    await Promise.all([store.close(), pruningStore.close()]);
    await pruner.end();
  });

  it('the prune timer never starts a pass while the last one is still running', async () => {
    const clock = manualClock();
    const pruner = await openTestPool({ max: 5 });
    const applicationName = String(pruner.options.application_name);
    const { store, name, table } = openStore({ clock: clock.now });
    await store.upsert({ id: 'locked', userId: 1 }, 1);
    clock.advance(1_000);
    const holder = await pool.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM ${table} WHERE session_id = 'locked' FOR UPDATE`);
    const timed = new PostgresSessionStore<TestSession>({
      pool: pruner,
      schema,
      table: name,
      clock: clock.now,
      pruneIntervalMs: 20,
    });

    // The first pass waits on the row lock; ten more intervals pass in real time.
    await waitForLockWait(applicationName);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows } = await pool.query(
      "SELECT count(*)::int AS running FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
      [applicationName],
    );
    await holder.query('ROLLBACK');
    holder.release();
    await timed.close();

    expect(rows[0].running).toBe(1);
    expect(await storedRow(table, '1', 'locked')).toBeUndefined();
    await store.close();
    await pruner.end();
  });

  it('the prune timer removes expired rows without any call', async () => {
    const clock = manualClock();
    const { store, table } = openStore({ clock: clock.now, pruneIntervalMs: 20 });
    await store.upsert({ id: 'old', userId: 1 }, 1);
    clock.advance(1_000);

    const deadline = Date.now() + 5_000;
    let count = 1;
    while (count > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      count = (await pool.query(`SELECT count(*)::int AS count FROM ${table}`)).rows[0].count;
    }

    expect(count).toBe(0);
    await store.close();
  });

  it('a failed background pass is reported through the logger, not thrown', async () => {
    const events: SessionStoreEvent[] = [];
    let reported: () => void = () => {};
    const firstReport = new Promise<void>((resolve) => {
      reported = resolve;
    });
    const logger = {
      warn: () => {},
      error: (_message: string, event: SessionStoreEvent) => {
        events.push(event);
        reported();
      },
    };
    const { store } = openStore({ createSchema: false, pruneIntervalMs: 20, logger });

    await firstReport;
    await store.close();

    expect(events[0]).toMatchObject({ type: 'prune-failed', store: '@sessionstore/postgres' });
    expect(events[0]?.error.code).toBe('UNAVAILABLE');
  });
});
