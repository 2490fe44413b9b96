import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSession, type Session, type SessionStore } from '@sessionstore/core';
import { PostgresSessionStore } from '@sessionstore/postgres';
import { RedisSessionStore, recordField, storedValue, userKeys } from '@sessionstore/redis';
import { SqliteSessionStore } from '@sessionstore/sqlite';
import { type CellBudget, measure, median } from './measure.js';
import type { Progress } from './progress.js';
import { makeSession, makeSessionId, TTL_SECONDS } from './session.js';
import type { AdapterName } from './suite.js';
import { benchSchema, openPool } from './suites/postgres.js';
import { BENCH_ROOT_PREFIX, benchPrefix, deleteKeys, openClient } from './suites/redis.js';

/** One measured figure of a scale run: medians over its rounds. */
export interface ScaleRow {
  /** Sessions in the table, or sessions of the user. */
  size: number;
  operation: string;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** The scale runs of one adapter. */
export interface ScaleReport {
  adapter: AdapterName;
  tableSize: ScaleRow[];
  sessionsPerUser: ScaleRow[];
  markdown: string;
}

type Store = Required<SessionStore<Session>>;

/** A store whose backend can be filled in bulk, behind the store's back. */
interface ScaleBackend {
  store: Store;
  /** Writes sessions `s<first>` to `s<first + count - 1>`; session `g` belongs to `userOf(g)`. */
  load(first: number, count: number, users: UserLayout): Promise<void>;
  close(): Promise<void>;
}

/** Which user session number `g` belongs to: `userBase + floor(g / sessionsPerUser)`. */
interface UserLayout {
  userBase: number;
  sessionsPerUser: number;
}

const TABLE_SIZES: Partial<Record<AdapterName, number[]>> = {
  sqlite: [1000, 100_000, 1_000_000],
  postgres: [1000, 100_000, 1_000_000],
  redis: [1000, 100_000],
};
const SESSIONS_PER_USER = [1, 10, 100, 1000];
const TABLE_LAYOUT: UserLayout = { userBase: 1, sessionsPerUser: 10 };
const LOAD_CHUNK = 50_000;
const ROUNDS = 3;
const CELL: CellBudget = { maxCalls: 20_000, maxMs: 500 };
const USER_SENTINEL = 987_654_321;
const ID_SENTINEL = '__SESSION_ID__';

/**
 * The text of a stored session with placeholders, so backends can build records of
 * the same shape as the store's in bulk: `__SESSION_ID__` and the user `987654321`.
 */
function recordTemplate(): string {
  return encodeSession(makeSession(ID_SENTINEL, USER_SENTINEL), {
    store: '@sessionstore/bench',
    method: 'recordTemplate()',
  });
}

function recordOf(template: string, sessionId: string, userId: number): string {
  return template.replace(ID_SENTINEL, sessionId).replace(String(USER_SENTINEL), String(userId));
}

function userOf(sessionNumber: number, layout: UserLayout): number {
  return layout.userBase + Math.floor(sessionNumber / layout.sessionsPerUser);
}

function expiresAtMs(): number {
  return Date.now() + TTL_SECONDS * 1000;
}

const OPENERS: Partial<Record<AdapterName, () => Promise<ScaleBackend>>> = {
  sqlite: openSqliteScale,
  postgres: openPostgresScale,
  redis: openRedisScale,
};

/**
 * Measures get and upsert as the table grows, and getAll and deleteAll as one user's
 * sessions grow. The backend is filled with bulk SQL or pipelines, not through the store.
 */
export async function runScale(
  adapters: AdapterName[],
  progress: Progress,
): Promise<ScaleReport[]> {
  const reports: ScaleReport[] = [];
  for (const adapter of adapters) {
    const open = OPENERS[adapter];
    if (open === undefined) {
      continue;
    }
    const tableSize = await withBackend(open, (backend) =>
      tableSizeRun(adapter, backend, progress),
    );
    const sessionsPerUser = await withBackend(open, (backend) =>
      sessionsPerUserRun(adapter, backend, progress),
    );
    reports.push({
      adapter,
      tableSize,
      sessionsPerUser,
      markdown: scaleMarkdown(adapter, tableSize, sessionsPerUser),
    });
  }
  return reports;
}

async function withBackend<T>(
  open: () => Promise<ScaleBackend>,
  run: (backend: ScaleBackend) => Promise<T>,
): Promise<T> {
  const backend = await open();
  try {
    return await run(backend);
  } finally {
    await backend.close();
  }
}

async function tableSizeRun(
  adapter: AdapterName,
  backend: ScaleBackend,
  progress: Progress,
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  let loaded = 0;

  for (const size of TABLE_SIZES[adapter] ?? []) {
    for (let first = loaded; first < size; first += LOAD_CHUNK) {
      progress.update(`${adapter} scale · loading sessions ${first} of ${size}`);
      await backend.load(first, Math.min(LOAD_CHUNK, size - first), TABLE_LAYOUT);
    }
    loaded = size;
    progress.update(`${adapter} scale · table of ${size} sessions`);
    rows.push(await rounds(size, 'get (hit)', getHitCall(backend.store, size)));
    rows.push(await rounds(size, 'upsert (new)', upsertNewCall(backend.store, size)));
  }
  return rows;
}

/** Gets of loaded sessions picked at random over the whole table. */
function getHitCall(store: Store, size: number): (index: number) => Promise<unknown> {
  const picks = Array.from({ length: 4096 }, () => Math.floor(Math.random() * size));
  return async (index) => {
    const sessionNumber = picks[index % picks.length] ?? 0;
    const session = await store.get(`s${sessionNumber}`, userOf(sessionNumber, TABLE_LAYOUT));
    if (session === null) {
      throw new Error(`the loaded session s${sessionNumber} was not found`);
    }
  };
}

/** Upserts of new sessions of users spread over the table. */
function upsertNewCall(store: Store, size: number): (index: number) => Promise<unknown> {
  const tag = makeSessionId(`scale${size}`, 0);
  return (index) => {
    const userId = userOf(index % size, TABLE_LAYOUT);
    return store.upsert(makeSession(`${tag}.${index}`, userId), TTL_SECONDS);
  };
}

/** A short unmeasured run first, for calls that can repeat: JIT, caches and statements. */
const WARM_UP: CellBudget = { maxCalls: 300, maxMs: 200 };

async function rounds(
  size: number,
  operation: string,
  call: (index: number) => Promise<unknown>,
  budget: CellBudget = CELL,
): Promise<ScaleRow> {
  if (budget === CELL) {
    await measure(call, 1, WARM_UP);
  }
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    results.push(await measure(call, 1, budget));
  }
  return {
    size,
    operation,
    opsPerSec: median(results.map((result) => result.opsPerSec)),
    p50Us: median(results.map((result) => result.p50Us)),
    p99Us: median(results.map((result) => result.p99Us)),
  };
}

/** Users of each size get their own range of ids, far from the table-size users. */
function layoutFor(sessionsPerUser: number): UserLayout {
  return { userBase: 50_000_000 + sessionsPerUser * 10_000, sessionsPerUser };
}

async function sessionsPerUserRun(
  adapter: AdapterName,
  backend: ScaleBackend,
  progress: Progress,
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];

  for (const perUser of SESSIONS_PER_USER) {
    const layout = layoutFor(perUser);
    const readers = 8;
    const deleters = Math.min(200, Math.max(20, Math.floor(20_000 / perUser)));
    progress.update(`${adapter} scale · users with ${perUser} sessions`);
    await backend.load(0, (readers + deleters) * perUser, layout);

    const readerOf = (index: number) => layout.userBase + (index % readers);
    rows.push(
      await rounds(perUser, 'getAll', async (index) => {
        const sessions = await backend.store.getAll(readerOf(index));
        if (sessions.length !== perUser) {
          throw new Error(`getAll listed ${sessions.length} of ${perUser} sessions`);
        }
      }),
    );
    // Every deleteAll call, over all rounds, empties a user of its own.
    let deleted = 0;
    const deleteNext = () => backend.store.deleteAll(layout.userBase + readers + deleted++);
    const budget = { maxCalls: Math.floor(deleters / ROUNDS), maxMs: 5000 };
    rows.push(await rounds(perUser, 'deleteAll', deleteNext, budget));
  }
  return rows;
}

function scaleMarkdown(adapter: AdapterName, tableSize: ScaleRow[], perUser: ScaleRow[]): string {
  const line = (row: ScaleRow, base: ScaleRow | undefined) =>
    `| ${row.operation} | ${row.size.toLocaleString('en-US')} | ` +
    `${Math.round(row.opsPerSec).toLocaleString('en-US')} | ${row.p50Us.toFixed(0)} | ` +
    `${row.p99Us.toFixed(0)} | ${base === undefined ? '—' : (row.p50Us / base.p50Us).toFixed(2)} |`;
  const table = (title: string, sizeName: string, rows: ScaleRow[]) => {
    const byOperation = [...rows].sort((a, b) => a.operation.localeCompare(b.operation));
    const lines = byOperation.map((row) =>
      line(
        row,
        rows.find((candidate) => candidate.operation === row.operation),
      ),
    );
    return (
      `${title}\n\n| operation | ${sizeName} | ops/s | p50 µs | p99 µs | p50 / smallest |\n` +
      `|---|--:|--:|--:|--:|--:|\n${lines.join('\n')}`
    );
  };
  return [
    `### ${adapter}: scale (1 call in flight)`,
    table('Cost against table size:', 'sessions in table', tableSize),
    table('Cost against sessions per user:', 'sessions of the user', perUser),
  ].join('\n\n');
}

async function openSqliteScale(): Promise<ScaleBackend> {
  const directory = mkdtempSync(join(tmpdir(), 'sessionstore-bench-scale-'));
  const store = new SqliteSessionStore({
    database: join(directory, 'scale.db'),
    pruneIntervalMs: 0,
  });
  const template = recordTemplate();
  const insert = store.database.prepare(`
    WITH RECURSIVE seq(g) AS (
      SELECT CAST(? AS INTEGER) UNION ALL SELECT g + 1 FROM seq WHERE g < CAST(? AS INTEGER)
    ), numbered(g, user_key) AS (
      SELECT g, CAST(CAST(@base AS INTEGER) + g / CAST(@per AS INTEGER) AS TEXT) FROM seq
    )
    INSERT INTO "${store.table}" (user_key, session_id, expires_at_ms, lock_version, record)
    SELECT user_key, 's' || g, CAST(@expires AS INTEGER), NULL,
      replace(replace(@template, '${ID_SENTINEL}', 's' || g), '${USER_SENTINEL}', user_key)
    FROM numbered`);

  return {
    store,
    load: async (first, count, layout) => {
      insert.run(first, first + count - 1, {
        base: layout.userBase,
        per: layout.sessionsPerUser,
        expires: expiresAtMs(),
        template,
      });
    },
    async close() {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function openPostgresScale(): Promise<ScaleBackend> {
  const schema = benchSchema('scale');
  const pool = openPool();
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const store = new PostgresSessionStore({ pool, schema, pruneIntervalMs: 0 });
  await store.get('warm-up', 1);
  const template = recordTemplate();
  const user = '($1::bigint + g / $2::bigint)::text';
  const insert =
    `INSERT INTO "${schema}"."sessionstore_sessions" ` +
    '(user_key, session_id, expires_at_ms, lock_version, record) ' +
    `SELECT ${user}, 's' || g, $3::bigint, NULL, ` +
    `replace(replace($4, '${ID_SENTINEL}', 's' || g), '${USER_SENTINEL}', ${user}) ` +
    'FROM generate_series($5::bigint, $6::bigint) AS g';

  return {
    store,
    load: async (first, count, layout) => {
      await pool.query(insert, [
        layout.userBase,
        layout.sessionsPerUser,
        expiresAtMs(),
        template,
        first,
        first + count - 1,
      ]);
      await pool.query(`ANALYZE "${schema}"."sessionstore_sessions"`);
    },
    async close() {
      await store.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

async function openRedisScale(): Promise<ScaleBackend> {
  const client = openClient();
  const prefix = benchPrefix(`scale${Date.now()}`);
  const store = new RedisSessionStore({ client, prefix });
  const template = recordTemplate();

  return {
    store,
    load: async (first, count, layout) => {
      const pipeline = client.pipeline();
      const expires = expiresAtMs();
      for (let g = first; g < first + count; g++) {
        const userId = userOf(g, layout);
        const keys = userKeys(prefix, userId);
        const value = storedValue(recordOf(template, `s${g}`, userId), expires, null);
        pipeline.hset(keys.sessions, recordField(`s${g}`), value);
        pipeline.zadd(keys.index, expires, `s${g}`);
        pipeline.pexpire(keys.index, TTL_SECONDS * 1000);
        pipeline.pexpire(keys.sessions, TTL_SECONDS * 1000);
      }
      await pipeline.exec();
    },
    async close() {
      await store.close();
      await deleteKeys(client, BENCH_ROOT_PREFIX);
      await client.quit();
    },
  };
}
