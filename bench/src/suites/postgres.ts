import KeyvPostgres from '@keyv/postgres';
import type { Session } from '@sessionstore/core';
import { createSchemaSql, PostgresSessionStore } from '@sessionstore/postgres';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import Keyv from 'keyv';
import pg from 'pg';
import { plansFor, type SessionApi } from '../operations.js';
import { postgresUrl } from '../services.js';
import { TTL_SECONDS } from '../session.js';
import type { OpenSuite } from '../suite.js';
import { expressStoreApi } from './express.js';
import { keyvApi } from './keyv.js';
import { storeApi } from './ours.js';

/** Connections in each contender's pool: enough for 32 calls in flight on 2 cores. */
export const POOL_SIZE = 8;

/** A schema of the benchmark's own, dropped with everything in it at the end. */
export function benchSchema(purpose: string): string {
  return `sessionstore_bench_${purpose}_${process.pid}`;
}

/** Opens a pool of {@link POOL_SIZE} connections to the benchmark's PostgreSQL. */
export function openPool(): pg.Pool {
  return new pg.Pool({ connectionString: postgresUrl(), max: POOL_SIZE });
}

/**
 * PostgreSQL: every contender has its own pool of 8 connections and its own table in one
 * schema made for this run.
 */
export async function openPostgresSuite(): Promise<OpenSuite> {
  const schema = benchSchema('run');
  const admin = openPool();
  await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);

  const oursPool = openPool();
  const ours = new PostgresSessionStore({
    pool: oursPool,
    schema,
    table: 'ours',
    pruneIntervalMs: 0,
  });
  const rawPool = openPool();
  await rawPool.query(createSchemaSql({ schema, table: 'raw' }));
  const peerPool = openPool();
  const PgStore = connectPgSimple(session);
  const peer = new PgStore({
    pool: peerPool,
    schemaName: schema,
    tableName: 'connect_pg_simple',
    createTableIfMissing: true,
    pruneSessionInterval: false,
    ttl: TTL_SECONDS,
  });
  const keyvStore = new KeyvPostgres({ uri: postgresUrl(), schema, table: 'keyv', max: POOL_SIZE });
  const keyv = new Keyv<Session>({ store: keyvStore });

  return {
    adapter: 'postgres',
    setting: `each contender with its own pg.Pool of ${POOL_SIZE} and its own table`,
    contenders: [
      { name: 'sessionstore', role: 'ours', plans: plansFor(storeApi(ours)) },
      { name: 'pg named query', role: 'raw', plans: plansFor(rawPostgresApi(rawPool, schema)) },
      { name: 'connect-pg-simple', role: 'peer', plans: plansFor(expressStoreApi(peer)) },
      { name: 'keyv + @keyv/postgres', role: 'peer', plans: plansFor(keyvApi(keyv)) },
    ],
    skipped: [],
    async close() {
      await ours.close();
      await peer.close();
      await keyv.disconnect();
      await Promise.all([oursPool.end(), rawPool.end(), peerPool.end()]);
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

/**
 * The least the same job needs on pg: one named prepared statement per call, on a table of
 * the same shape as ours, JSON text for the session and expiry in integer milliseconds.
 */
export function rawPostgresApi(pool: pg.Pool, schema: string): SessionApi {
  const table = `"${schema}"."raw"`;
  const query = (name: string, text: string, values: unknown[]) =>
    pool.query({ name: `raw_${name}`, text, values });
  const expiresAtMs = () => String(Date.now() + TTL_SECONDS * 1000);
  const upsert =
    `INSERT INTO ${table} (user_key, session_id, expires_at_ms, lock_version, record) ` +
    'VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_key, session_id) DO UPDATE SET ' +
    'expires_at_ms = EXCLUDED.expires_at_ms, lock_version = EXCLUDED.lock_version, ' +
    'record = EXCLUDED.record';
  const write = (session: Session, lockVersion: number | null, record: object) =>
    query('put', upsert, [
      String(session.userId),
      session.id,
      expiresAtMs(),
      lockVersion,
      JSON.stringify(record),
    ]);

  return {
    get: async (sessionId, userId) => {
      const { rows } = await query(
        'get',
        `SELECT record FROM ${table} WHERE user_key = $1 AND session_id = $2 AND expires_at_ms > $3`,
        [String(userId), sessionId, String(Date.now())],
      );
      return rows[0] === undefined ? null : JSON.parse(rows[0].record);
    },
    put: (session) => write(session, null, session),
    create: (session) => write(session, 1, { ...session, lockVersion: 1 }),
    update: async (session) => {
      const expected = session.lockVersion as number;
      const { rowCount } = await query(
        'update',
        `UPDATE ${table} SET expires_at_ms = $3, lock_version = $4, record = $5 WHERE ` +
          'user_key = $1 AND session_id = $2 AND expires_at_ms > $6 AND lock_version = $7',
        [
          String(session.userId),
          session.id,
          expiresAtMs(),
          expected + 1,
          JSON.stringify({ ...session, lockVersion: expected + 1 }),
          String(Date.now()),
          expected,
        ],
      );
      if (rowCount !== 1) {
        throw new Error('raw compare-and-set found no live row at the expected version');
      }
    },
    delete: (sessionId, userId) =>
      query('delete', `DELETE FROM ${table} WHERE user_key = $1 AND session_id = $2`, [
        String(userId),
        sessionId,
      ]),
    getAll: async (userId) => {
      const { rows } = await query(
        'get_all',
        // Filtered by expiry only after the primary key found the user's rows, as the store
        // does: otherwise a generic plan may read the whole table through the expiry index.
        `SELECT record FROM (SELECT record, expires_at_ms FROM ${table} WHERE user_key = $1 ` +
          'OFFSET 0) AS of_user WHERE expires_at_ms > $2',
        [String(userId), String(Date.now())],
      );
      return rows.map((row: { record: string }) => JSON.parse(row.record));
    },
    deleteAll: (userId) =>
      query('delete_all', `DELETE FROM ${table} WHERE user_key = $1`, [String(userId)]),
  };
}
