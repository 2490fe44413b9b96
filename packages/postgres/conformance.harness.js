// The conformance harness for @sessionstore/postgres. It is plain JavaScript so that the
// vitest binding, the sessionstore-conformance CLI and a child process can all import it.
//
// Each run works in a schema of its own (random suffix), so parallel runs never touch each
// other's rows, and each store gets a table of its own, so one case's rows never show up in
// another case's counts. The pools are the harness's: stores leave them open, teardown ends
// them and drops the schema. Siblings (hooks.openSibling) work on the table of the store they
// share data with, through a second pool, so no connection is shared between the two.

import { randomBytes } from 'node:crypto';
import { canonicalUserId } from '@sessionstore/core';
import { createSchemaSql, PostgresSessionStore } from '@sessionstore/postgres';
import pg from 'pg';

/** @typedef {import('@sessionstore/conformance').ConformanceHarness} ConformanceHarness */
/** @typedef {import('@sessionstore/conformance').HarnessCreateOptions} HarnessCreateOptions */
/**
 * A harness, plus a way to see the server session's TimeZone on the harness's own pool.
 *
 * @typedef {ConformanceHarness & { showServerTimeZone(): Promise<string> }} PostgresHarness
 */

/** The server the tests use: `SESSIONSTORE_POSTGRES_URL`, or the local default. */
export const postgresUrl =
  process.env.SESSIONSTORE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const keyContext = { store: 'postgres conformance harness', method: 'a hook' };

/**
 * Builds a harness.
 *
 * @param {{ serverTimeZone?: string, name?: string }} [settings] - `serverTimeZone` sets the
 *   server session's TimeZone on every connection of the harness's pool.
 * @returns {PostgresHarness}
 */
export function createPostgresHarness(settings = {}) {
  const schema = `sessionstore_conformance_${randomBytes(6).toString('hex')}`;
  /** @type {WeakMap<object, string>} */
  const tables = new WeakMap();
  /** @type {pg.Pool | undefined} */
  let pool;
  /** @type {pg.Pool | undefined} */
  let siblingPool;
  let tableCount = 0;

  const openPool = () => {
    pool ??= createPool(settings.serverTimeZone);
    return pool;
  };
  const openSiblingPool = () => {
    siblingPool ??= createPool(settings.serverTimeZone);
    return siblingPool;
  };

  /** @type {Set<string>} */
  const created = new Set();

  // A hook may run before the store's first call, when the store has not created its table
  // yet; the hook then creates it with the exported SQL, as a migration would.
  /** @param {object} store */
  const tableOf = async (store) => {
    const table = tables.get(store);
    if (table === undefined) {
      throw new Error('The postgres harness did not create this store.');
    }
    if (!created.has(table)) {
      await openPool().query(createSchemaSql({ schema, table }));
      created.add(table);
    }
    return `"${schema}"."${table}"`;
  };

  return {
    name: settings.name ?? 'postgres',
    capabilities: { realTimeExpiry: true, harnessModule: import.meta.url, signing: true },

    /** @param {HarnessCreateOptions} options */
    async create(options) {
      const table = `sessions_${++tableCount}`;
      const store = new PostgresSessionStore({
        pool: openPool(),
        schema,
        table,
        ...definedOnly(options),
      });
      tables.set(store, table);
      return store;
    },

    async teardown() {
      const endingSiblings = siblingPool;
      siblingPool = undefined;
      await endingSiblings?.end();
      if (pool === undefined) {
        return;
      }
      const ending = pool;
      pool = undefined;
      created.clear();
      try {
        await ending.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await ending.end();
      }
    },

    async showServerTimeZone() {
      const { rows } = await openPool().query('SHOW TimeZone');
      return rows[0].TimeZone;
    },

    hooks: {
      openSibling(store, options) {
        const table = tables.get(store);
        if (table === undefined) {
          throw new Error('The postgres harness did not create this store.');
        }
        const sibling = new PostgresSessionStore({
          pool: openSiblingPool(),
          schema,
          table,
          ...definedOnly(options),
        });
        tables.set(sibling, table);
        return sibling;
      },

      async countStored(store) {
        const { rows } = await openPool().query(
          `SELECT count(*)::int AS count FROM ${await tableOf(store)}`,
        );
        return rows[0].count;
      },

      async writeRawRecord(store, userId, sessionId, record, expiresAtMs) {
        await openPool().query(
          `INSERT INTO ${await tableOf(store)} (user_key, session_id, expires_at_ms, record) ` +
            'VALUES ($1, $2, $3, $4) ON CONFLICT (user_key, session_id) ' +
            'DO UPDATE SET record = EXCLUDED.record, expires_at_ms = EXCLUDED.expires_at_ms',
          [canonicalUserId(userId, keyContext), sessionId, String(expiresAtMs), record],
        );
      },

      async readRawRecord(store, userId, sessionId) {
        const { rows } = await openPool().query(
          `SELECT record FROM ${await tableOf(store)} WHERE user_key = $1 AND session_id = $2`,
          [canonicalUserId(userId, keyContext), sessionId],
        );
        return rows[0]?.record ?? null;
      },
    },
  };
}

/**
 * The pool every store of a harness shares. Idle connections do not keep the process
 * alive, so the lifecycle case's child process can exit.
 *
 * @param {string | undefined} serverTimeZone
 */
function createPool(serverTimeZone) {
  const pool = new pg.Pool({
    connectionString: postgresUrl,
    allowExitOnIdle: true,
    connectionTimeoutMillis: 5_000,
    application_name: 'sessionstore-conformance',
    ...(serverTimeZone === undefined ? {} : { options: `-c TimeZone=${serverTimeZone}` }),
  });
  // An idle connection that dies is dropped by the pool; the next query opens another.
  pool.on('error', () => {});
  return pool;
}

/**
 * Copies the options that are set, so `exactOptionalPropertyTypes` holds in the store.
 *
 * @param {HarnessCreateOptions} options
 */
function definedOnly(options) {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** The harness the suite, the CLI and the lifecycle case's child process load. */
export const harness = createPostgresHarness();

export default harness;
