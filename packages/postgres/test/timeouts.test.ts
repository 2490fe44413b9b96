import net from 'node:net';
import { SessionStoreError } from '@sessionstore/core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSchemaSql,
  DEFAULT_QUERY_TIMEOUT_MS,
  isConnectionFailure,
  type PostgresPool,
  PostgresSessionStore,
  QueryTimeoutError,
} from '../src/index.js';
import { serverStatementTimeout } from '../src/store.js';
import { dropSchemas, openTestPool, postgresUrl, type TestSession, uniqueName } from './support.js';

// Every call here is bounded by this; a call that hangs instead fails the slack below.
const BOUND_MS = 300;
// How late past the bound a rejection may come on a busy machine.
const SLACK_MS = 1_000;

let admin: pg.Pool;
const schema = uniqueName('sessionstore_timeout_test');
let tableCount = 0;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  admin = await openTestPool();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

afterAll(async () => {
  await dropSchemas(admin, [schema]);
  await admin.end();
});

function nextTable(): string {
  return `t_${++tableCount}`;
}

/** The test server's URL with another host, port and application_name. */
function urlTo(port: number, applicationName = uniqueName('sessionstore_timeout')): string {
  const url = new URL(postgresUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.searchParams.set('application_name', applicationName);
  return url.toString();
}

/** Runs `call`, and returns what it rejected with and how long that took. */
async function rejection(call: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const startMs = Date.now();
  const error = await call.then(
    () => new Error('The call succeeded; it should have been cut off.'),
    (caught: unknown) => caught,
  );
  return { error, elapsedMs: Date.now() - startMs };
}

/** Asserts an UNAVAILABLE that came within the bound (plus slack for a busy machine). */
function expectBoundedUnavailable(result: { error: unknown; elapsedMs: number }): void {
  expect(SessionStoreError.is(result.error, 'UNAVAILABLE'), String(result.error)).toBe(true);
  expect(result.elapsedMs).toBeLessThan(BOUND_MS + SLACK_MS);
}

function causeOf(error: unknown): unknown {
  return (error as Error).cause;
}

/** Polls `check` every 10 ms until it holds; at most 5 s. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting until ${what}.`);
}

async function lockWaiters(applicationName: string): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
    [applicationName],
  );
  return rows[0].n;
}

/** Holds a row lock on one session from another connection until `release()`. */
async function lockRow(table: string, sessionId: string): Promise<{ release(): Promise<void> }> {
  const holder = await admin.connect();
  await holder.query('BEGIN');
  await holder.query(`SELECT 1 FROM "${schema}"."${table}" WHERE session_id = $1 FOR UPDATE`, [
    sessionId,
  ]);
  let released = false;
  const release = async () => {
    if (!released) {
      released = true;
      await holder.query('ROLLBACK');
      holder.release();
    }
  };
  cleanups.push(release);
  return { release };
}

/** A loopback listener that accepts connections and never says a word: a hung server. */
async function blackHole(): Promise<{ port: number; accepted: () => number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as net.AddressInfo).port, accepted: () => accepted };
}

/**
 * A loopback proxy to the test server. `silence()` makes the connections open at that moment
 * stop passing bytes either way, without closing them (a server that hangs, or a peer that
 * vanished without a reset); connections opened later pass as usual.
 */
async function silentProxy(): Promise<{
  port: number;
  silence(): void;
  closedBySilencedClients(): number;
}> {
  const target = new URL(postgresUrl);
  const pairs = new Set<{ down: net.Socket; up: net.Socket; silent: boolean }>();
  let closedBySilencedClients = 0;
  const server = net.createServer((down) => {
    const up = net.connect(Number(target.port || 5432), target.hostname);
    const pair = { down, up, silent: false };
    pairs.add(pair);
    for (const socket of [down, up]) {
      socket.on('error', () => {});
    }
    down.on('data', (chunk) => pair.silent || up.write(chunk));
    up.on('data', (chunk) => pair.silent || down.write(chunk));
    down.on('close', () => {
      if (pair.silent) {
        closedBySilencedClients++;
      }
      up.destroy();
    });
    up.on('close', () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const pair of pairs) {
      pair.down.destroy();
      pair.up.destroy();
    }
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    silence() {
      for (const pair of pairs) {
        pair.silent = true;
      }
    },
    closedBySilencedClients: () => closedBySilencedClients,
  };
}

/**
 * An application's pool, with none of the bounds the README recommends. Its `errors` counts
 * the 'error' events it emitted (an application without a listener would crash on one).
 */
function bareAppPool(config: pg.PoolConfig): { pool: pg.Pool; errors: () => number } {
  const pool = new pg.Pool(config);
  let errors = 0;
  pool.on('error', () => errors++);
  // Not awaited: a connection still opening to a test's black hole ends only when the
  // black hole closes its sockets, which is the next cleanup.
  cleanups.push(() => {
    pool.end().catch(() => undefined);
  });
  return { pool, errors: () => errors };
}

function openStore(
  options: ConstructorParameters<typeof PostgresSessionStore<TestSession>>[0],
): PostgresSessionStore<TestSession> {
  const store = new PostgresSessionStore<TestSession>({ pruneIntervalMs: 0, ...options });
  cleanups.push(() => store.close());
  return store;
}

describe('options', () => {
  const invalid = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '300', null];

  it('queryTimeoutMs defaults to 2000, like the Redis and MongoDB adapters', () => {
    expect(DEFAULT_QUERY_TIMEOUT_MS).toBe(2000);
  });

  it.each(invalid)('queryTimeoutMs %s is INVALID_ARGUMENT, with a pool or a URL', (value) => {
    for (const base of [{ pool: admin }, { connectionString: postgresUrl }]) {
      expect(() => new PostgresSessionStore({ ...base, queryTimeoutMs: value as number })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('queryTimeoutMs'),
        }),
      );
    }
  });

  it.each(invalid)('connectionTimeoutMillis %s is INVALID_ARGUMENT', (value) => {
    expect(
      () =>
        new PostgresSessionStore({
          connectionString: postgresUrl,
          connectionTimeoutMillis: value as number,
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('connectionTimeoutMillis'),
      }),
    );
  });

  it('accepts 1 and 2147483647, and a connectionTimeoutMillis above queryTimeoutMs', async () => {
    for (const queryTimeoutMs of [1, 2_147_483_647]) {
      await new PostgresSessionStore({ pool: admin, queryTimeoutMs }).close();
      await new PostgresSessionStore({ connectionString: postgresUrl, queryTimeoutMs }).close();
    }
    await new PostgresSessionStore({
      connectionString: postgresUrl,
      queryTimeoutMs: 500,
      connectionTimeoutMillis: 5_000,
    }).close();
  });

  it("the store's own sessions get a statement_timeout just inside queryTimeoutMs", () => {
    // Its effect on the server is shown below: no statement of a call that failed is left
    // waiting on a lock.
    expect(serverStatementTimeout(2000)).toBe(1900);
    expect(serverStatementTimeout(300)).toBe(270);
    expect(serverStatementTimeout(5)).toBe(5);
    expect(serverStatementTimeout(1)).toBe(1);
  });
});

describe('a statement held up by a row lock', () => {
  it("on the application's pool: UNAVAILABLE within the bound, and the store works afterwards", async () => {
    const applicationName = uniqueName('sessionstore_timeout');
    const pool = await openTestPool({ application_name: applicationName, max: 2 });
    cleanups.push(() => pool.end());
    const table = nextTable();
    const store = openStore({ pool, schema, table, queryTimeoutMs: BOUND_MS });
    await store.upsert({ id: 'hot', userId: 1, step: 'before' }, 60);
    await store.upsert({ id: 'cold', userId: 1 }, 60);
    let releasedWithError = 0;
    let removed = 0;
    pool.on('release', (error) => {
      releasedWithError += error ? 1 : 0;
    });
    pool.on('remove', () => removed++);

    const lock = await lockRow(table, 'hot');
    const result = await rejection(store.upsert({ id: 'hot', userId: 1, step: 'late' }, 60));

    expectBoundedUnavailable(result);
    expect(causeOf(result.error)).toBeInstanceOf(QueryTimeoutError);
    expect(causeOf(result.error)).toMatchObject({ phase: 'statement', timeoutMs: BOUND_MS });
    expect((result.error as Error).message).toContain('may still complete on the server');
    expect(isConnectionFailure(causeOf(result.error))).toBe(false);
    // The connection that was still waiting was closed, not given back for the next call.
    expect(releasedWithError).toBe(1);
    await eventually(async () => removed === 1, 'the pool closed the connection');
    // Other rows, and the pool, serve the next calls at once.
    expect(await store.get('cold', 1)).toEqual({ id: 'cold', userId: 1 });
    await store.upsert({ id: 'other', userId: 1 }, 60);

    // The application's pool has no statement_timeout, so the server still runs the
    // statement: once the lock goes, it may commit. That is what UNAVAILABLE means for a
    // write: its outcome is unknown, never a false CONFLICT or success.
    await lock.release();
    const after = await store.get('hot', 1);
    expect([undefined, 'before', 'late']).toContain(after?.step);
  });

  it('on its own pool: UNAVAILABLE within the bound, and the server gives up too', async () => {
    const applicationName = uniqueName('sessionstore_timeout');
    const table = nextTable();
    const store = openStore({
      connectionString: urlTo(Number(new URL(postgresUrl).port || 5432), applicationName),
      schema,
      table,
      queryTimeoutMs: BOUND_MS,
    });
    await store.upsert({ id: 'hot', userId: 1, step: 'before' }, 60);

    const lock = await lockRow(table, 'hot');
    const results = await Promise.all([
      rejection(store.upsert({ id: 'hot', userId: 1, step: 'late' }, 60)),
      rejection(store.upsert({ id: 'hot', userId: 1, step: 'later', lockVersion: 0 }, 60)),
      rejection(store.delete('hot', 1)),
    ]);

    for (const result of results) {
      expectBoundedUnavailable(result);
      // The server's statement_timeout (57014) normally answers just before the store's own
      // bound; on a slow machine the store's bound may come first.
      const cause = causeOf(result.error);
      expect(
        (cause as { code?: unknown }).code === '57014' || cause instanceof QueryTimeoutError,
        String(cause),
      ).toBe(true);
    }
    // Nothing of those calls is still waiting on the server once they have failed...
    await eventually(async () => (await lockWaiters(applicationName)) === 0, 'no lock waiter');
    await lock.release();
    // ...so nothing of them is applied behind the callers' backs.
    expect(await store.get('hot', 1)).toEqual({ id: 'hot', userId: 1, step: 'before' });
    await store.upsert({ id: 'hot', userId: 1, step: 'after' }, 60);
    expect(await store.get('hot', 1)).toMatchObject({ step: 'after' });
  });
});

describe('a hung server', () => {
  it('own pool on a server that accepts and never answers: UNAVAILABLE within the bound', async () => {
    const hole = await blackHole();
    const store = openStore({
      connectionString: urlTo(hole.port),
      schema,
      table: nextTable(),
      queryTimeoutMs: BOUND_MS,
    });

    const calls = [
      () => store.get('s', 1),
      () => store.upsert({ id: 's', userId: 1 }, 60),
      () => store.delete('s', 1),
      () => store.getAll(1),
      () => store.deleteAll(1),
      () => store.prune(),
    ];
    for (const call of calls) {
      expectBoundedUnavailable(await rejection(call()));
    }
    expect(hole.accepted()).toBeGreaterThan(0);
    const startMs = Date.now();
    await store.close();
    expect(Date.now() - startMs).toBeLessThan(BOUND_MS + SLACK_MS);
  });

  it("an application's pool with no bounds of its own on that server: UNAVAILABLE within the bound", async () => {
    const hole = await blackHole();
    const { pool } = bareAppPool({ connectionString: urlTo(hole.port), max: 1 });
    const store = openStore({ pool, schema, table: nextTable(), queryTimeoutMs: BOUND_MS });

    // The pool's only connection never finishes opening; every call still ends in time.
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await rejection(store.get('s', 1));
      expectBoundedUnavailable(result);
      expect(causeOf(result.error)).toMatchObject({ phase: 'schema' });
      expect((result.error as Error).message).toContain('the statement was not sent');
    }
  });

  it('own pool on a server that goes silent mid-connection: UNAVAILABLE, then recovery', async () => {
    const proxy = await silentProxy();
    const store = openStore({
      connectionString: urlTo(proxy.port),
      schema,
      table: nextTable(),
      queryTimeoutMs: BOUND_MS,
    });
    await store.upsert({ id: 's', userId: 1 }, 60);

    proxy.silence();
    const result = await rejection(store.get('s', 1));

    expectBoundedUnavailable(result);
    expect(causeOf(result.error)).toMatchObject({ phase: 'statement' });
    // The silent connection was closed, and the next call opens a new one that answers.
    await eventually(async () => proxy.closedBySilencedClients() === 1, 'the socket closed');
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
  });

  it("an application's one-connection pool on a server that goes silent: the connection is closed, not kept", async () => {
    const proxy = await silentProxy();
    // No query_timeout, connectionTimeoutMillis or keepAlive: only the store bounds the call.
    const { pool, errors } = bareAppPool({ connectionString: urlTo(proxy.port), max: 1 });
    const store = openStore({ pool, schema, table: nextTable(), queryTimeoutMs: BOUND_MS });
    await store.upsert({ id: 's', userId: 1 }, 60);

    proxy.silence();
    const result = await rejection(store.get('s', 1));

    expectBoundedUnavailable(result);
    expect(causeOf(result.error)).toMatchObject({ phase: 'statement' });
    // Were the silent connection still checked out, this one-connection pool could never
    // serve another call.
    await eventually(async () => proxy.closedBySilencedClients() === 1, 'the socket closed');
    expect(errors()).toBe(0);
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
  });

  it('a pool with only query() is bounded as well', async () => {
    const hole = await blackHole();
    const { pool } = bareAppPool({ connectionString: urlTo(hole.port), max: 1 });
    const queryOnly: PostgresPool = { query: (config) => pool.query(config) };
    const store = openStore({
      pool: queryOnly,
      schema,
      table: nextTable(),
      queryTimeoutMs: BOUND_MS,
      createSchema: false,
    });

    const result = await rejection(store.get('s', 1));

    expectBoundedUnavailable(result);
    expect(causeOf(result.error)).toMatchObject({ phase: 'statement' });
  });
});

describe('the wait for a connection', () => {
  it('is bounded, and a connection that comes too late goes back to the pool unused', async () => {
    const pool = await openTestPool({ max: 1 });
    cleanups.push(() => pool.end());
    const store = openStore({ pool, schema, table: nextTable(), queryTimeoutMs: BOUND_MS });
    await store.upsert({ id: 's', userId: 1 }, 60);

    const held = await pool.connect();
    const result = await rejection(store.get('s', 1));
    expectBoundedUnavailable(result);
    expect(causeOf(result.error)).toMatchObject({ phase: 'connection' });
    expect((result.error as Error).message).toContain('the statement was not sent');

    held.release();
    await eventually(async () => pool.idleCount === 1 && pool.waitingCount === 0, 'idle');
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
  });
});

describe('the schema creation on first use', () => {
  // The advisory lock that createSchemaSql() takes first, so creation can be held up.
  const lockKey = /pg_advisory_xact_lock\((-?\d+)\)/.exec(createSchemaSql({}))?.[1];

  async function holdSchemaLock(): Promise<{ release(): Promise<void> }> {
    expect(lockKey).toBeDefined();
    const holder = await admin.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(${lockKey})`);
    let released = false;
    const release = async () => {
      if (!released) {
        released = true;
        await holder.query('ROLLBACK');
        holder.release();
      }
    };
    cleanups.push(release);
    return { release };
  }

  it.each(['pool', 'connectionString'] as const)(
    'is bounded (%s), fails every call waiting on it, and is tried again afterwards',
    async (kind) => {
      const table = nextTable();
      const store = openStore({
        ...(kind === 'pool'
          ? { pool: await openTestPool({ max: 3 }).then(track) }
          : { connectionString: postgresUrl }),
        schema,
        table,
        queryTimeoutMs: BOUND_MS,
      });

      const lock = await holdSchemaLock();
      const results = await Promise.all([
        rejection(store.get('s', 1)),
        rejection(store.upsert({ id: 's', userId: 1 }, 60)),
      ]);
      await lock.release();

      for (const result of results) {
        expectBoundedUnavailable(result);
        const cause = causeOf(result.error);
        if (cause instanceof QueryTimeoutError) {
          expect(cause.phase).toBe('schema');
          expect((result.error as Error).message).toContain('creating the table');
        } else {
          // The store's own pool: the server's statement_timeout cancelled the creation.
          expect(kind).toBe('connectionString');
          expect(cause).toMatchObject({ code: '57014' });
        }
      }
      await store.upsert({ id: 's', userId: 1 }, 60);
      expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    },
  );
});

function track(pool: pg.Pool): pg.Pool {
  cleanups.push(() => pool.end());
  return pool;
}

describe("the phase of a call timed out on the store's own pool", () => {
  const PHASE_BOUND_MS = 60;
  const PHASE_ATTEMPTS = 25;

  // pg's own timers run a second behind the store's bound, and the shared call timer ends a
  // call due within a timer's resolution, so pg's connection timeout never settles it first.
  it('every call cut off while its connection opens reports QueryTimeoutError, phase "connection"', async () => {
    const { port } = await blackHole();
    const store = new PostgresSessionStore({
      connectionString: urlTo(port),
      createSchema: false,
      pruneIntervalMs: 0,
      queryTimeoutMs: PHASE_BOUND_MS,
    });
    cleanups.push(() => store.close());

    const causes: string[] = [];
    const describeCause = (error: unknown): string => {
      expect(SessionStoreError.is(error, 'UNAVAILABLE')).toBe(true);
      const cause = (error as Error).cause;
      return cause instanceof QueryTimeoutError
        ? `phase:${cause.phase}`
        : `pg:${(cause as Error).message}`;
    };
    const settle = (call: Promise<unknown>) =>
      call.then(
        () => new Error('resolved'),
        (caught: unknown) => caught,
      );
    for (let attempt = 0; attempt < PHASE_ATTEMPTS; attempt++) {
      // A second call starts while the first is pending, so its bound is reached through the
      // shared timer re-armed by the first call's expiry, as on any busy store.
      const first = settle(store.get('first', 1));
      await new Promise((resolve) => setTimeout(resolve, 20 + attempt / PHASE_ATTEMPTS));
      const second = settle(store.get('second', 1));
      causes.push(describeCause(await first), describeCause(await second));
    }

    expect(causes).toEqual(Array(2 * PHASE_ATTEMPTS).fill('phase:connection'));
  });
});
