import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session, SessionStore } from '@sessionstore/core';
import { startMongoTestServer } from '@sessionstore/mongo-test-server';
import { MongoSessionStore } from '@sessionstore/mongodb';
import { PostgresSessionStore } from '@sessionstore/postgres';
import { RedisSessionStore } from '@sessionstore/redis';
import { SqliteSessionStore } from '@sessionstore/sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresUrl, redisUrl } from '../src/services.js';
import {
  countMongoCommands,
  countPostgresQueries,
  countRedisCommands,
  countSqliteStatements,
  type RoundTripCounter,
} from './counters.js';

type Store = Required<SessionStore<Session>>;

/** A store under test, the counter watching its driver, and how to clean up after it. */
interface Backend {
  store: Store;
  counter: RoundTripCounter;
  close(): Promise<void>;
}

const TTL_SECONDS = 3600;
const USER_ID = 4242;
const OTHER_USER_ID = 4243;

function session(id: string, userId = USER_ID): Session {
  return {
    id,
    userId,
    type: 'full',
    createdAt: 1_700_000_000,
    refreshedAt: 1_700_000_000,
    expiresAt: 1_702_592_000,
    refreshExpiresAt: 1_702_592_000,
    refreshTokenId: 'refresh-token-id',
    tokensFreshFrom: 1_700_000_000,
    prevTokensFreshFrom: 1_699_999_100,
    extraPayload: { ip: '203.0.113.42' },
    version: 1,
  };
}

async function openSqlite(): Promise<Backend> {
  const directory = mkdtempSync(join(tmpdir(), 'sessionstore-round-trips-'));
  const database = new BetterSqlite3(join(directory, 'sessions.db'));
  const counter = countSqliteStatements(database);
  const store = new SqliteSessionStore({ database, pruneIntervalMs: 0 });

  return {
    store,
    counter,
    async close() {
      await store.close();
      database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function openPostgres(): Promise<Backend> {
  const url = postgresUrl();
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  // Counting starts before the first connection, so every client of the pool is watched.
  const counter = countPostgresQueries(pool);
  const schema = `sessionstore_round_trips_${process.pid}`;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).catch(async (error: unknown) => {
    await pool.end();
    throw unreachable('PostgreSQL', 'SESSIONSTORE_POSTGRES_URL', url, error);
  });
  const store = new PostgresSessionStore({ pool, schema, pruneIntervalMs: 0 });

  return {
    store,
    counter,
    async close() {
      await store.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

async function openRedis(): Promise<Backend> {
  const url = redisUrl();
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // A failed connect is reported by the rejection of connect() below.
  client.on('error', () => undefined);
  await client.connect().catch((error: unknown) => {
    client.disconnect();
    throw unreachable('Redis', 'SESSIONSTORE_REDIS_URL', url, error);
  });
  const monitor = await client.monitor().catch((error: unknown) => {
    client.disconnect();
    throw error;
  });
  const counter = await countRedisCommands(client, monitor);
  const prefix = `sessionstore-round-trips:${process.pid}:`;
  const store = new RedisSessionStore({ client, prefix });

  return {
    store,
    counter,
    async close() {
      await store.close();
      await deleteKeys(client, prefix);
      monitor.disconnect();
      await client.quit();
    },
  };
}

async function openMongo(): Promise<Backend> {
  const server = await startMongoTestServer();
  const client = new MongoClient(server.url, { monitorCommands: true });
  await client.connect().catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const counter = countMongoCommands(client);
  const store = new MongoSessionStore({ client, database: 'sessionstore_round_trips' });

  return {
    store,
    counter,
    async close() {
      await store.close();
      await client.close();
      await server.stop();
    },
  };
}

/** Deletes the keys under `prefix`, at most 1,000 SCAN steps. */
async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let step = 0; step < 1000; step++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) {
      await client.del(...keys);
    }
    cursor = next;
    if (cursor === '0') {
      return;
    }
  }
}

/** The error a test shows when a service is not running; it never names credentials. */
function unreachable(service: string, variable: string, url: string, cause: unknown): Error {
  const { hostname, port } = new URL(url);
  return new Error(
    `${service} is not reachable at ${hostname}:${port}. Start it on this machine ` +
      `(for example \`service ${service === 'Redis' ? 'redis-server' : 'postgresql'} start\`), ` +
      `or set ${variable} to the URL of one that runs on a loopback address.`,
    { cause },
  );
}

const BACKENDS: [string, () => Promise<Backend>][] = [
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
  ['redis', openRedis],
  ['mongodb', openMongo],
];

describe.each(BACKENDS)('%s: one round trip per call', (_name, open) => {
  let backend: Backend;
  let nextId = 0;
  const freshId = () => `round-trip-${++nextId}`;

  /** How many round trips `call` made. */
  async function roundTripsOf(call: () => Promise<unknown>): Promise<number> {
    await backend.counter.begin();
    await call();
    return backend.counter.end();
  }

  beforeAll(async () => {
    backend = await open();
  });

  afterAll(async () => {
    await backend?.close();
  });

  // Each operation runs once before it is counted: a store may create its schema or load its
  // scripts on first use, which is not the per-call cost this file is about.
  beforeEach(async () => {
    const { store } = backend;
    const id = freshId();
    await store.get(id, USER_ID);
    await store.upsert(session(id), TTL_SECONDS);
    await store.upsert({ ...session(freshId()), lockVersion: 0 }, TTL_SECONDS);
    await store.upsert({ ...session(id), lockVersion: 0 }, TTL_SECONDS).catch(() => undefined);
    await store.getAll(USER_ID);
    await store.delete(id, USER_ID);
    await store.deleteAll(OTHER_USER_ID);
  });

  it('counts two calls as two round trips', async () => {
    const twoCalls = async () => {
      await backend.store.get(freshId(), USER_ID);
      await backend.store.get(freshId(), USER_ID);
    };

    expect(await roundTripsOf(twoCalls)).toBe(2);
  });

  it('get of a stored session makes one round trip', async () => {
    const id = freshId();
    await backend.store.upsert(session(id), TTL_SECONDS);

    expect(await roundTripsOf(() => backend.store.get(id, USER_ID))).toBe(1);
  });

  it('get of an absent session makes one round trip', async () => {
    expect(await roundTripsOf(() => backend.store.get(freshId(), USER_ID))).toBe(1);
  });

  it('upsert of a new session makes one round trip', async () => {
    expect(await roundTripsOf(() => backend.store.upsert(session(freshId()), TTL_SECONDS))).toBe(1);
  });

  it('upsert over a stored session makes one round trip', async () => {
    const stored = session(freshId());
    await backend.store.upsert(stored, TTL_SECONDS);

    expect(await roundTripsOf(() => backend.store.upsert(stored, TTL_SECONDS))).toBe(1);
  });

  it('upsert with lockVersion 0 (create) makes one round trip', async () => {
    const created = { ...session(freshId()), lockVersion: 0 };

    expect(await roundTripsOf(() => backend.store.upsert(created, TTL_SECONDS))).toBe(1);
    expect(await backend.store.get(created.id, USER_ID)).toMatchObject({ lockVersion: 1 });
  });

  it('upsert with a matching lockVersion (update) makes one round trip', async () => {
    const stored = session(freshId());
    await backend.store.upsert({ ...stored, lockVersion: 0 }, TTL_SECONDS);

    const update = () => backend.store.upsert({ ...stored, lockVersion: 1 }, TTL_SECONDS);
    expect(await roundTripsOf(update)).toBe(1);
    expect(await backend.store.get(stored.id, USER_ID)).toMatchObject({ lockVersion: 2 });
  });

  it('upsert with a stale lockVersion (conflict) makes one round trip', async () => {
    const stored = session(freshId());
    await backend.store.upsert({ ...stored, lockVersion: 0 }, TTL_SECONDS);

    const stale = () =>
      expect(backend.store.upsert({ ...stored, lockVersion: 7 }, TTL_SECONDS)).rejects.toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
    expect(await roundTripsOf(stale)).toBe(1);
  });

  it('delete makes one round trip', async () => {
    const id = freshId();
    await backend.store.upsert(session(id), TTL_SECONDS);

    expect(await roundTripsOf(() => backend.store.delete(id, USER_ID))).toBe(1);
    expect(await backend.store.get(id, USER_ID)).toBeNull();
  });

  it('getAll of a user with ten sessions makes one round trip', async () => {
    const userId = 5000 + nextId;
    for (let index = 0; index < 10; index++) {
      await backend.store.upsert(session(freshId(), userId), TTL_SECONDS);
    }

    let listed: Session[] = [];
    const count = await roundTripsOf(async () => {
      listed = await backend.store.getAll(userId);
    });
    expect(count).toBe(1);
    expect(listed).toHaveLength(10);
  });

  it('deleteAll of a user with ten sessions makes one round trip', async () => {
    const userId = 6000 + nextId;
    for (let index = 0; index < 10; index++) {
      await backend.store.upsert(session(freshId(), userId), TTL_SECONDS);
    }

    expect(await roundTripsOf(() => backend.store.deleteAll(userId))).toBe(1);
    expect(await backend.store.getAll(userId)).toEqual([]);
  });
});
