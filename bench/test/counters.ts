import type { Database } from 'better-sqlite3';
import type { Redis } from 'ioredis';
import type { MongoClient } from 'mongodb';
import type pg from 'pg';

/**
 * Counts what one store call sends to its backend. `begin()` before the call and `end()`
 * after it; `end()` resolves to the number of round trips in between.
 */
export interface RoundTripCounter {
  begin(): Promise<void>;
  end(): Promise<number>;
}

/** A counter fed synchronously by the driver's own hooks. */
function tally(): RoundTripCounter & { add(): void } {
  let count = 0;
  let counting = false;

  return {
    add: () => {
      if (counting) {
        count += 1;
      }
    },
    begin: async () => {
      count = 0;
      counting = true;
    },
    end: async () => {
      counting = false;
      return count;
    },
  };
}

const STATEMENT_CALLS = ['run', 'get', 'all', 'iterate'] as const;

/**
 * better-sqlite3 runs in the process, so a "round trip" is one statement executed: every
 * statement the database prepares from now on, and every `exec`, is counted when it runs.
 */
export function countSqliteStatements(database: Database): RoundTripCounter {
  const counter = tally();
  const prepare = database.prepare.bind(database);
  const exec = database.exec.bind(database);

  database.prepare = ((source: string) => {
    const statement = prepare(source);
    const methods = statement as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of STATEMENT_CALLS) {
      const original = methods[name] as (...args: unknown[]) => unknown;
      methods[name] = (...args: unknown[]) => {
        counter.add();
        return original.apply(statement, args);
      };
    }
    return statement;
  }) as Database['prepare'];
  database.exec = (source: string) => {
    counter.add();
    return exec(source);
  };
  return counter;
}

/** Counts `query` calls on every client the pool connects: one per statement sent. */
export function countPostgresQueries(pool: pg.Pool): RoundTripCounter {
  const counter = tally();

  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      counter.add();
      return query(...args);
    }) as typeof client.query;
  });
  return counter;
}

/** Counts the driver's `commandStarted` events (the client needs `monitorCommands: true`). */
export function countMongoCommands(client: MongoClient): RoundTripCounter {
  const counter = tally();
  client.on('commandStarted', () => counter.add());
  return counter;
}

const MARKER_TIMEOUT_MS = 10_000;

/**
 * Counts, through a `MONITOR` connection, the commands that the server received from the
 * client under test. Redis reports commands a script runs with the source "lua", so only
 * the commands the client itself sent are counted. `begin` and `end` each send an `ECHO`
 * marker through the client and wait until the monitor has seen it, so every command in
 * between has been reported whatever the timing.
 */
export async function countRedisCommands(client: Redis, monitor: Redis): Promise<RoundTripCounter> {
  const source = `${client.stream.localAddress}:${client.stream.localPort}`;
  const markerPrefix = `sessionstore-round-trip-marker:${process.pid}:`;
  let count = 0;
  let markers = 0;
  let awaited: { marker: string; seen: () => void } | undefined;

  monitor.on('monitor', (_time: string, args: string[], from: string) => {
    if (from !== source) {
      return;
    }
    if (awaited !== undefined && args[0]?.toLowerCase() === 'echo' && args[1] === awaited.marker) {
      awaited.seen();
      return;
    }
    count += 1;
  });

  const mark = async (): Promise<void> => {
    const marker = `${markerPrefix}${++markers}`;
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve, reject) => {
      awaited = { marker, seen: resolve };
      timer = setTimeout(
        () => reject(new Error(`MONITOR did not report the marker from ${source} in time.`)),
        MARKER_TIMEOUT_MS,
      );
    });
    await client.echo(marker);
    await seen.finally(() => clearTimeout(timer));
  };

  return {
    begin: async () => {
      await mark();
      count = 0;
    },
    end: async () => {
      await mark();
      return count;
    },
  };
}
