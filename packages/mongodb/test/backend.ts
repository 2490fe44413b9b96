import { randomBytes } from 'node:crypto';
import type { SessionStoreEvent, SessionStoreLogger } from '@sessionstore/core';
import { type MongoTestServer, startMongoTestServer } from '@sessionstore/mongo-test-server';
import { MongoClient, type MongoClientOptions } from 'mongodb';

/** The MongoDB named by SESSIONSTORE_MONGODB_URL, when the tests run against a real one. */
export const realMongoUrl = process.env.SESSIONSTORE_MONGODB_URL || undefined;

/** Why some cases run only on the test server: they need its failure hook or its TTL clock. */
export const TEST_SERVER_ONLY = realMongoUrl !== undefined;

/** Where the tests send their commands: a real MongoDB, or a test server they started. */
export interface Backend {
  url: string;
  /** The test server, or `undefined` on a real MongoDB. */
  server: MongoTestServer | undefined;
  /** A database name private to this test file. */
  database: string;
  /** Opens a client the test owns; {@link stop} closes every one still open. */
  client(options?: MongoClientOptions): Promise<MongoClient>;
  /** Closes the clients, drops the database on a real MongoDB, stops the test server. */
  stop(): Promise<void>;
}

/** Starts the test server (on `clock`), or uses SESSIONSTORE_MONGODB_URL when it is set. */
export async function startBackend(clock?: () => number): Promise<Backend> {
  const server =
    realMongoUrl === undefined
      ? await startMongoTestServer(clock === undefined ? {} : { clock })
      : undefined;
  const url = realMongoUrl ?? (server as MongoTestServer).url;
  const database = `sessionstore_test_${randomBytes(6).toString('hex')}`;
  const clients: MongoClient[] = [];

  return {
    url,
    server,
    database,
    async client(options = {}) {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, ...options });
      clients.push(client);
      await client.connect();
      return client;
    },
    async stop() {
      try {
        if (server === undefined && clients[0] !== undefined) {
          await clients[0].db(database).dropDatabase();
        }
      } finally {
        await Promise.all(clients.map((client) => client.close()));
        await server?.stop();
      }
    },
  };
}

/** Command names the driver sent on a client opened with `monitorCommands: true`. */
export function commandLog(client: MongoClient): { names: string[]; clear(): void } {
  const names: string[] = [];
  client.on('commandStarted', (event) => {
    names.push(event.commandName);
  });
  return {
    names,
    clear: () => {
      names.length = 0;
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(startMs = Date.now()): {
  now: () => number;
  advance(ms: number): void;
} {
  let currentMs = startMs;
  return {
    now: () => currentMs,
    advance: (ms) => {
      currentMs += ms;
    },
  };
}

/** A logger that keeps every event. */
export function recordingLogger(): SessionStoreLogger & { events: SessionStoreEvent[] } {
  const events: SessionStoreEvent[] = [];
  return {
    events,
    warn: (_message, event) => events.push(event),
    error: (_message, event) => events.push(event),
  };
}
