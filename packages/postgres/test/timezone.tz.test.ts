import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionStore } from '../src/index.js';
import { dropSchemas, manualClock, openTestPool, type TestSession, uniqueName } from './support.js';

// This file runs in the postgres-time-zones project: TZ=Asia/Kolkata for Node, and a pool
// whose sessions use America/Los_Angeles on the server.
const serverTimeZone = 'America/Los_Angeles';
let pool: pg.Pool;
const schema = uniqueName('sessionstore_timezone_test');

beforeAll(async () => {
  pool = await openTestPool({ options: `-c TimeZone=${serverTimeZone}` });
});

afterAll(async () => {
  await dropSchemas(pool, [schema]);
  await pool.end();
});

describe('time zones: Node in Asia/Kolkata, the server session in America/Los_Angeles', () => {
  it('runs in the time zones it names', async () => {
    const kolkataOffsetMinutes = -330;

    expect(new Date(Date.UTC(2024, 0, 1)).getTimezoneOffset()).toBe(kolkataOffsetMinutes);
    expect((await pool.query('SHOW TimeZone')).rows[0].TimeZone).toBe(serverTimeZone);
  });

  // The instant Los Angeles moves its clocks forward, so any local-time parsing would shift.
  const dstChangeMs = Date.UTC(2024, 2, 10, 10, 0, 0, 123);

  it('stored expiry reads back as written, to the millisecond', async () => {
    const clock = manualClock(dstChangeMs - 1_800_000);
    const store = new PostgresSessionStore<TestSession>({
      pool,
      schema,
      table: 'read_back',
      clock: clock.now,
    });

    await store.upsert({ id: 'tz', userId: 1 }, 3600);

    const { rows } = await pool.query(
      `SELECT expires_at_ms FROM "${schema}".read_back WHERE session_id = 'tz'`,
    );
    expect(Number(rows[0].expires_at_ms)).toBe(dstChangeMs + 1_800_000);
    await store.close();
  });

  it('a session lives exactly its ttl across the daylight saving change', async () => {
    const clock = manualClock(dstChangeMs - 1_000);
    const store = new PostgresSessionStore<TestSession>({
      pool,
      schema,
      table: 'daylight_saving',
      clock: clock.now,
    });
    await store.upsert({ id: 'dst', userId: 1 }, 7200);

    clock.advance(7_199_999);
    expect(await store.get('dst', 1)).toEqual({ id: 'dst', userId: 1 });

    clock.advance(1);
    expect(await store.get('dst', 1)).toBeNull();
    expect(await store.prune()).toBe(1);
    await store.close();
  });
});
