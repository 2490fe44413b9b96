import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemaSql, PostgresSessionStore } from '../src/index.js';
import { buildStatements, resolveTable } from '../src/schema.js';
import { dropSchemas, manualClock, openTestPool, type TestSession, uniqueName } from './support.js';

// The generic plan of getAll never touches the expiry index (with and without ANALYZE, one
// user holding most rows), and getAll lists exactly the live sessions at the expiry boundary.

let pool: pg.Pool;
const schema = uniqueName('getall_plan');

beforeAll(async () => {
  pool = await openTestPool({ max: 1 });
});

afterAll(async () => {
  await dropSchemas(pool, [schema]);
  await pool.end();
});

async function genericPlan(table: string, userKey: string): Promise<string> {
  const { getAll } = buildStatements(resolveTable({ schema, table }, { store: 't', method: 't' }));
  const client = await pool.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE getall_plan_check(text, bigint) AS ${getAll.text}`);
    const { rows } = await client.query(
      `EXPLAIN EXECUTE getall_plan_check('${userKey}', 2000000000000)`,
    );
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('DEALLOCATE ALL; RESET plan_cache_mode');
    client.release();
  }
}

describe('getAll under generic plans', () => {
  it('never uses the expiry index, before and after ANALYZE, with skewed users', async () => {
    await pool.query(createSchemaSql({ schema, table: 'plan' }));
    await pool.query(
      `INSERT INTO "${schema}"."plan" SELECT 'big', 's' || g, ` +
        "CASE WHEN g % 2 = 0 THEN 1000 ELSE 3000000000000 END, NULL, '{}' " +
        'FROM generate_series(1, 30000) g',
    );
    await pool.query(
      `INSERT INTO "${schema}"."plan" SELECT 'u' || (g / 10), 's' || g, ` +
        "CASE WHEN g % 3 = 0 THEN 1000 ELSE 3000000000000 END, NULL, '{}' " +
        'FROM generate_series(1, 5000) g',
    );
    const before = await genericPlan('plan', 'u5');
    await pool.query(`ANALYZE "${schema}"."plan"`);
    const after = await genericPlan('plan', 'u5');

    for (const plan of [before, after]) {
      expect(plan).not.toContain('plan_expires_idx');
      expect(plan).toContain('plan_pkey');
    }
  });

  it('lists exactly the live sessions at the expiry boundary', async () => {
    const clock = manualClock();
    const store = new PostgresSessionStore<TestSession>({
      pool,
      schema,
      table: 'boundary',
      pruneIntervalMs: 0,
      clock: clock.now,
    });
    for (let i = 1; i <= 5; i++) {
      await store.upsert({ id: `s${i}`, userId: 9 }, i);
    }
    await store.upsert({ id: 'other', userId: 10 }, 60);
    clock.advance(3000);

    const ids = (await store.getAll(9)).map((session) => session.id).sort();
    expect(ids).toEqual(['s4', 's5']);
    await store.close();
  });
});
