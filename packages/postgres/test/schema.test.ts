import { SessionStoreError } from '@sessionstore/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSchemaSql, PostgresSessionStore } from '../src/index.js';
import { dropSchemas, openTestPool, type TestSession, uniqueName } from './support.js';

let pool: pg.Pool;
const schemas: string[] = [];

beforeAll(async () => {
  pool = await openTestPool();
});

afterAll(async () => {
  await dropSchemas(pool, schemas);
  await pool.end();
});

function newSchema(): string {
  const schema = uniqueName('sessionstore_schema_test');
  schemas.push(schema);
  return schema;
}

async function tablesIn(schema: string): Promise<string[]> {
  const { rows } = await pool.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    [schema],
  );
  return rows.map((row: { table_name: string }) => row.table_name);
}

const hostileNames = [
  'web".session WHERE $1=$1;--',
  'sessions; DROP TABLE users',
  'a"b',
  '',
  ' sessions',
  '1sessions',
  'public.sessions',
  'séance',
  'x'.repeat(64),
];

describe('schema and table names', () => {
  for (const name of hostileNames) {
    it(`rejects ${JSON.stringify(name)} with INVALID_ARGUMENT before any query`, () => {
      const query = vi.spyOn(pool, 'query');

      for (const option of ['schema', 'table'] as const) {
        expect(() => new PostgresSessionStore<TestSession>({ pool, [option]: name })).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
        );
        expect(() => createSchemaSql({ [option]: name })).toThrow(SessionStoreError);
      }

      expect(query).not.toHaveBeenCalled();
      query.mockRestore();
    });
  }

  it('rejects a table name too long for its index name to fit in 63 bytes', () => {
    expect(() => createSchemaSql({ table: 'x'.repeat(52) })).toThrow(SessionStoreError);
    expect(createSchemaSql({ table: 'x'.repeat(51) })).toContain('x'.repeat(51));
  });

  it('quotes names, so reserved words and mixed case work and keep their case', async () => {
    const schema = newSchema();
    const store = new PostgresSessionStore<TestSession>({ pool, schema, table: 'Select' });

    await store.upsert({ id: 's', userId: 1 }, 60);

    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    expect(await tablesIn(schema)).toEqual(['Select']);
    await store.close();
  });
});

describe('schema creation', () => {
  it('four stores started at once on an empty schema make one table, without error', async () => {
    const schema = newSchema();
    const pools = await Promise.all([1, 2, 3, 4].map(() => openTestPool({ max: 1 })));
    const stores = pools.map((own) => new PostgresSessionStore<TestSession>({ pool: own, schema }));

    const results = await Promise.allSettled(stores.map((store) => store.get('s', 1)));

    expect(results.map((result) => result.status)).toEqual(Array(4).fill('fulfilled'));
    expect(await tablesIn(schema)).toEqual(['sessionstore_sessions']);
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(pools.map((own) => own.end()));
  });

  it('the exported SQL is idempotent and makes the table a createSchema: false store uses', async () => {
    const schema = newSchema();
    const sql = createSchemaSql({ schema, table: 'sessions' });
    await pool.query(sql);
    await pool.query(sql);
    const store = new PostgresSessionStore<TestSession>({
      pool,
      schema,
      table: 'sessions',
      createSchema: false,
    });

    await store.upsert({ id: 's', userId: 'u' }, 60);

    expect(await store.getAll('u')).toEqual([{ id: 's', userId: 'u' }]);
    const { rows } = await pool.query(
      'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
      [schema],
    );
    expect(rows.map((row: { indexdef: string }) => row.indexdef.replace(/^.*INDEX /, ''))).toEqual([
      expect.stringMatching(/^sessions_expires_idx ON .* \(expires_at_ms\)$/),
      expect.stringMatching(/^sessions_pkey ON .* \(user_key, session_id\)$/),
    ]);
    await store.close();
  });

  it('createSchema: false never creates anything and says how to create the table', async () => {
    const schema = newSchema();
    const store = new PostgresSessionStore<TestSession>({ pool, schema, createSchema: false });

    const error = await store.get('s', 1).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'UNAVAILABLE', cause: { code: '42P01' } });
    expect((error as Error).message).toContain('createSchemaSql()');
    const { rowCount } = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schema,
    ]);
    expect(rowCount).toBe(0);
    await store.close();
  });

  it('a role that may not create the table gets a message that says what to do', async () => {
    const denied = Object.assign(new Error('permission denied for schema auth'), {
      code: '42501',
    });
    const refusing = { query: (() => Promise.reject(denied)) as pg.Pool['query'] };
    const store = new PostgresSessionStore<TestSession>({ pool: refusing, schema: 'auth' });

    const error = await store.get('s', 1).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'UNAVAILABLE', cause: denied });
    expect((error as Error).message).toMatch(/privilege .*\(42501\).*createSchemaSql\(\)/);
    await store.close();
  });

  it('a failed creation is retried by the next call instead of failing for good', async () => {
    const schema = newSchema();
    let failNext = true;
    const flaky = {
      query: ((config: unknown) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(
            Object.assign(new Error('connection lost'), { code: 'ECONNRESET' }),
          );
        }
        return pool.query(config as pg.QueryConfig);
      }) as pg.Pool['query'],
    };
    const store = new PostgresSessionStore<TestSession>({ pool: flaky, schema });

    await expect(store.get('s', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await store.upsert({ id: 's', userId: 1 }, 60);

    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    await store.close();
  });
});
