import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, SessionStoreLogger } from '@sessionstore/core';
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import type { SoakStore } from './checker.js';
import { startCluster } from './cluster.js';
import {
  loopbackAddress,
  mongodbUrl,
  postgresUrl,
  redisUrl,
  ServiceError,
  START_HINTS,
} from './services.js';

/** The targets the soak can run: each adapter, and the Redis adapter on a Redis Cluster. */
export const ADAPTER_NAMES = ['sqlite', 'postgres', 'redis', 'mongodb', 'redis-cluster'] as const;

/** One target name. */
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** What runs when no `--adapter` is given: every adapter once, in this order. */
export const DEFAULT_ADAPTERS: readonly AdapterName[] = ['sqlite', 'postgres', 'redis', 'mongodb'];

/** A store under test with the resources the soak made for it. */
export interface SoakTarget {
  readonly name: AdapterName;
  /** Where it runs, without credentials: a file, a host and schema, a prefix. */
  readonly where: string;
  readonly store: SoakStore;
  /** How many sessions the backend physically holds, expired or not. */
  countStored(): Promise<number>;
  /** Backend figures for the report: stored rows or keys, and memory where it has one. */
  figures(): Promise<Record<string, number>>;
  /** Closes the store and removes every file, schema, key or server made for the run. */
  close(): Promise<void>;
}

/** How every target's store is set up beyond its backend. */
export interface TargetSettings {
  /** The soak's clock. */
  readonly clock: Clock;
  /** Signs every stored record with this secret when set. */
  readonly signingSecret?: Uint8Array | undefined;
  /** Where the store reports unreadable records and failed background prunes. */
  readonly logger: SessionStoreLogger;
}

/** Store options every target shares: the clock, signing, and a background sweep each second. */
const storeOptions = (settings: TargetSettings) => ({
  clock: settings.clock,
  logger: settings.logger,
  pruneIntervalMs: 1_000,
  ...(settings.signingSecret === undefined ? {} : { signingSecret: settings.signingSecret }),
});

const runId = (): string => randomBytes(5).toString('hex');

/**
 * Opens an adapter on resources of its own, ready to use. Each adapter and its driver are
 * imported only when asked for, so one adapter runs while another is not built.
 */
export function openTarget(name: AdapterName, settings: TargetSettings): Promise<SoakTarget> {
  switch (name) {
    case 'sqlite':
      return openSqlite(settings);
    case 'postgres':
      return openPostgres(settings);
    case 'redis':
      return openRedis(settings);
    case 'mongodb':
      return openMongo(settings);
    case 'redis-cluster':
      return openRedisCluster(settings);
  }
}

/** A database file in a temporary directory of its own, in WAL mode, removed afterwards. */
async function openSqlite(settings: TargetSettings): Promise<SoakTarget> {
  const { SqliteSessionStore } = await import('@sessionstore/sqlite');
  const directory = mkdtempSync(join(tmpdir(), 'sessionstore-soak-'));
  const file = join(directory, 'sessions.db');
  const store = new SqliteSessionStore({ database: file, ...storeOptions(settings) });
  const count = store.database.prepare(`SELECT count(*) FROM "${store.table}"`).pluck();

  return {
    name: 'sqlite',
    where: `file ${file}`,
    store,
    countStored: async () => Number(count.get()),
    figures: async () => ({ rows: Number(count.get()), fileBytes: filesBytes(file) }),
    close: async () => {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function filesBytes(file: string): number {
  return [file, `${file}-wal`].reduce((sum, path) => {
    try {
      return sum + statSync(path).size;
    } catch {
      return sum; // The WAL file exists only while a connection has it open.
    }
  }, 0);
}

/** A schema of its own on the test server, dropped afterwards. */
async function openPostgres(settings: TargetSettings): Promise<SoakTarget> {
  const { PostgresSessionStore } = await import('@sessionstore/postgres');
  const { default: pg } = await import('pg');
  const address = loopbackAddress(postgresUrl(), 'SESSIONSTORE_POSTGRES_URL');
  const pool = new pg.Pool({
    connectionString: postgresUrl(),
    max: 8,
    connectionTimeoutMillis: 5_000,
    allowExitOnIdle: true,
    application_name: 'sessionstore-soak',
  });
  // An idle connection that dies is dropped by the pool; a failing call reports it.
  pool.on('error', () => {});
  await ping(
    () => pool.query('SELECT 1'),
    'PostgreSQL',
    address,
    START_HINTS.postgres,
    () => pool.end(),
  );

  const schema = `sessionstore_soak_${runId()}`;
  const store = new PostgresSessionStore({ pool, schema, ...storeOptions(settings) });
  const table = `"${schema}"."sessionstore_sessions"`;
  const count = async () =>
    (await pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`)).rows[0]
      ?.count ?? 0;

  const dropSchema = () => pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  // prune() creates the schema and table before the first count.
  await ping(
    () => store.prune(),
    'PostgreSQL',
    address,
    START_HINTS.postgres,
    async () => {
      await store.close();
      await dropSchema().finally(() => pool.end());
    },
  );
  return {
    name: 'postgres',
    where: `PostgreSQL ${address}, schema ${schema}`,
    store,
    countStored: count,
    figures: async () => ({ rows: await count(), tableBytes: await tableBytes(pool, table) }),
    close: async () => {
      await store.close();
      try {
        await dropSchema();
      } finally {
        await pool.end();
      }
    },
  };
}

async function tableBytes(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT pg_total_relation_size('${table}')::text AS bytes`,
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** Keys under a prefix of its own on the test server, deleted afterwards. */
async function openRedis(settings: TargetSettings): Promise<SoakTarget> {
  const { RedisSessionStore } = await import('@sessionstore/redis');
  const { Redis } = await import('ioredis');
  const address = loopbackAddress(redisUrl(), 'SESSIONSTORE_REDIS_URL');
  const client = new Redis(redisUrl(), {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => {}); // Failures surface as rejected calls.
  await ping(
    () => client.connect(),
    'Redis',
    address,
    START_HINTS.redis,
    async () => client.disconnect(),
  );

  const prefix = `sessionstore-soak-${runId()}:`;
  const store = new RedisSessionStore({ client, prefix, ...storeOptions(settings) });
  const count = () => countRedisSessions([client], prefix);

  return {
    name: 'redis',
    where: `Redis ${address}, prefix ${prefix}`,
    store,
    countStored: count,
    figures: async () => ({ sessions: await count(), usedMemoryBytes: await usedMemory([client]) }),
    close: async () => {
      await store.close();
      try {
        await deleteKeys([client], prefix);
      } finally {
        await client.quit();
      }
    },
  };
}

/**
 * The Redis adapter on a Redis Cluster of three masters that the soak starts itself from the
 * `redis-server` binary, on free loopback ports, and stops afterwards.
 */
async function openRedisCluster(settings: TargetSettings): Promise<SoakTarget> {
  const { RedisSessionStore } = await import('@sessionstore/redis');
  const { Cluster } = await import('ioredis');
  const cluster = await startCluster();
  const client: Cluster = new Cluster(
    cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { connectTimeout: 5_000, commandTimeout: 5_000 } },
  );
  client.on('error', () => {}); // Failures surface as rejected calls.
  const release = async () => {
    client.disconnect();
    await cluster.stop();
  };
  await ping(
    () => client.ping(),
    'Redis Cluster',
    "the soak's own servers",
    'Check that redis-server runs here.',
    release,
  );

  const prefix = `sessionstore-soak-${runId()}:`;
  const store = new RedisSessionStore({ client, prefix, ...storeOptions(settings) });
  const masters = () => client.nodes('master');
  const count = () => countRedisSessions(masters(), prefix);

  return {
    name: 'redis-cluster',
    where: `Redis Cluster of ${cluster.ports.length} masters on 127.0.0.1:${cluster.ports.join(',')}`,
    store,
    countStored: count,
    figures: async () => ({
      sessions: await count(),
      usedMemoryBytes: await usedMemory(masters()),
    }),
    close: async () => {
      await store.close();
      try {
        await client.quit();
      } finally {
        await cluster.stop();
      }
    },
  };
}

const MAX_SCAN_STEPS = 100_000;

/** Sums the index sorted sets under `prefix` on every node: one entry per stored session. */
async function countRedisSessions(nodes: Redis[], prefix: string): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    await scanKeys(node, prefix, 'zset', async (keys) => {
      for (const key of keys) {
        total += await node.zcard(key);
      }
    });
  }
  return total;
}

/** Deletes every key under `prefix`, one at a time, so no command spans two slots. */
async function deleteKeys(nodes: Redis[], prefix: string): Promise<void> {
  for (const node of nodes) {
    await scanKeys(node, prefix, undefined, async (keys) => {
      for (const key of keys) {
        await node.unlink(key);
      }
    });
  }
}

async function scanKeys(
  client: Redis,
  prefix: string,
  type: string | undefined,
  visit: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = '0';
  for (let step = 0; step < MAX_SCAN_STEPS; step++) {
    const typed = type === undefined ? [] : ['TYPE', type];
    const [next, keys] = (await client.call(
      'SCAN',
      cursor,
      'MATCH',
      `${prefix}*`,
      'COUNT',
      '500',
      ...typed,
    )) as [string, string[]];
    await visit(keys);
    cursor = next;
    if (cursor === '0') {
      return;
    }
  }
}

/** `used_memory` from `INFO memory`, summed over the nodes: whole servers, not only the soak's keys. */
async function usedMemory(nodes: Redis[]): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const info = await node.info('memory');
    total += Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  }
  return total;
}

/**
 * A real MongoDB when SESSIONSTORE_MONGODB_URL is set (in a database of its own, dropped
 * afterwards); otherwise the in-repo wire-protocol test server, on the soak's clock.
 */
async function openMongo(settings: TargetSettings): Promise<SoakTarget> {
  const { MongoSessionStore } = await import('@sessionstore/mongodb');
  const { startMongoTestServer } = await import('@sessionstore/mongo-test-server');
  const { MongoClient } = await import('mongodb');
  const external = mongodbUrl();
  const server =
    external === undefined ? await startMongoTestServer({ clock: settings.clock }) : undefined;
  const url = external ?? server?.url ?? '';
  const address = loopbackAddress(url, 'SESSIONSTORE_MONGODB_URL');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  await ping(
    () => client.connect(),
    'MongoDB',
    address,
    START_HINTS.mongodb,
    async () => {
      await client.close();
      await server?.stop();
    },
  );

  const database = `sessionstore_soak_${runId()}`;
  const store = new MongoSessionStore({ client, database, ...storeOptions(settings) });
  const count = () => store.collection.countDocuments();

  return {
    name: 'mongodb',
    where: `${server === undefined ? 'MongoDB' : 'MongoDB test server'} ${address}, database ${database}`,
    store,
    countStored: count,
    figures: async () => ({ documents: await count() }),
    close: async () => {
      await store.close();
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
        await server?.stop();
      }
    },
  };
}

/** Checks the service answers; otherwise cleans up and says how to start it. */
async function ping(
  probe: () => Promise<unknown>,
  service: string,
  address: string,
  hint: string,
  cleanUp: () => Promise<unknown>,
): Promise<void> {
  try {
    await probe();
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw new ServiceError(`soak: cannot reach ${service} at ${address}. ${hint}`, {
      cause: error,
    });
  }
}
