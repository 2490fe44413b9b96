import { randomBytes } from 'node:crypto';
import type { StoredSession } from '@sessionstore/core';
import pg from 'pg';

/** A session type that takes any extra fields, for tests. */
export type TestSession = StoredSession & Record<string, unknown>;

/** The server the tests use: `SESSIONSTORE_POSTGRES_URL`, or the local default. */
export const postgresUrl =
  process.env.SESSIONSTORE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Opens a pool on the test server, or fails with a message that says how to reach one.
 * Every pool gets an `application_name` so a test can find its own backends and no other.
 */
export async function openTestPool(config: pg.PoolConfig = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: postgresUrl,
    application_name: uniqueName('sessionstore_test'),
    connectionTimeoutMillis: 5_000,
    ...config,
  });
  pool.on('error', () => {
    // A backend a test terminated on purpose; the pool has already dropped it.
  });

  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new Error(
      'The @sessionstore/postgres tests need a PostgreSQL server. Set SESSIONSTORE_POSTGRES_URL ' +
        '(default postgres://postgres@127.0.0.1:5432/test) or start one, for example with ' +
        '`pg_ctlcluster 15 main start` or `docker run -p 5432:5432 ' +
        '-e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`.',
      { cause: error },
    );
  }

  return pool;
}

/** A lower-case name with a random suffix, for schemas and application names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drops schemas a test created. */
export async function dropSchemas(pool: pg.Pool, schemas: Iterable<string>): Promise<void> {
  for (const schema of schemas) {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

/** A clock a test moves by hand. */
export function manualClock(startMs = 1_700_000_000_000): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance: (ms) => {
      nowMs += ms;
    },
  };
}
