import type { StoredSession } from '@sessionstore/core';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoSessionStore, type MongoSessionStoreOptions } from '../src/index.js';
import {
  type Backend,
  commandLog,
  manualClock,
  recordingLogger,
  startBackend,
  TEST_SERVER_ONLY,
} from './backend.js';

type AnySession = StoredSession & Record<string, unknown>;

const clock = manualClock();
let backend: Backend;
let client: MongoClient;
let commands: ReturnType<typeof commandLog>;
let collectionCount = 0;

beforeAll(async () => {
  backend = await startBackend(clock.now);
  client = await backend.client({ monitorCommands: true });
  commands = commandLog(client);
});

afterAll(async () => {
  await backend.stop();
});

beforeEach(() => {
  commands.clear();
});

/** A store on a fresh collection of the shared client. */
function openStore(options: Partial<MongoSessionStoreOptions> = {}) {
  collectionCount += 1;
  return new MongoSessionStore<AnySession>({
    client,
    database: backend.database,
    collection: `store_${collectionCount}`,
    clock: clock.now,
    ...options,
  } as MongoSessionStoreOptions);
}

/** The session ids of the documents in a store's collection, sorted. */
async function storedIds(store: MongoSessionStore<AnySession>): Promise<string[]> {
  return (await store.collection.find({}).toArray()).map((document) => document._id.s).sort();
}

describe('argument checks', () => {
  it('rejects invalid arguments of every method before sending any command, indexes included', async () => {
    const store = openStore();
    const session = { id: 'sid', userId: 1 };

    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => store.get('', 1)],
      ['upsert ttl', () => store.upsert(session, 0)],
      ['upsert value', () => store.upsert({ ...session, at: new Map() }, 60)],
      ['upsert lockVersion', () => store.upsert({ ...session, lockVersion: -1 }, 60)],
      ['delete', () => store.delete('sid', 1.5)],
      ['getAll', () => store.getAll(Number.NaN)],
      ['deleteAll', () => store.deleteAll('')],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }

    expect(commands.names).toEqual([]);
    await store.close();
    await expect(store.get('sid', 1)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(commands.names).toEqual([]);
  });
});

describe('the stored document', () => {
  it('keeps the user first in _id, expiry as a date, the lock version and the record as text', async () => {
    const store = openStore();
    const nowMs = clock.now();

    await store.upsert({ id: 'sid-1', userId: 42, lockVersion: 0, device: 'phone' }, 60);

    const [document] = await store.collection.find({}).toArray();
    expect(document).toEqual({
      _id: { u: '42', s: 'sid-1' },
      expiresAt: new Date(nowMs + 60_000),
      lockVersion: 1,
      record: JSON.stringify({ id: 'sid-1', userId: 42, lockVersion: 1, device: 'phone' }),
    });
    expect(Object.keys(document?._id ?? {})).toEqual(['u', 's']);
    await store.close();
  });

  it('stores a lock version of null for an unconditional write', async () => {
    const store = openStore();

    await store.upsert({ id: 'sid-1', userId: 7n }, 60);

    const document = await store.collection.findOne({ _id: { u: '7', s: 'sid-1' } });
    expect(document?.lockVersion).toBeNull();
    await store.close();
  });

  it('round-trips payload keys $where, a.b and "" that must never act as operators or paths', async () => {
    const store = openStore();
    const session = {
      id: 'sid-1',
      userId: 'alice',
      extraPayload: {
        $where: 'sleep(10000)',
        'a.b': { $gt: '' },
        '': { $set: { admin: true } },
        nested: [{ $ne: null, 'x.y.z': 1 }],
      },
    };

    await store.upsert(session, 60);

    expect(await store.get('sid-1', 'alice')).toEqual(session);
    expect(await store.getAll('alice')).toEqual([session]);
    const document = await store.collection.findOne({});
    expect(Object.keys(document ?? {}).sort()).toEqual([
      '_id',
      'expiresAt',
      'lockVersion',
      'record',
    ]);
    await store.close();
  });

  it('treats user and session ids that look like operators or paths as plain text', async () => {
    const store = openStore();
    await store.upsert({ id: 'a.b', userId: '$ne' }, 60);
    await store.upsert({ id: '$where', userId: 'x.y' }, 60);

    expect(await store.get('a.b', '$ne')).toMatchObject({ id: 'a.b', userId: '$ne' });
    expect(await store.get('a.b', '$exists')).toBeNull();
    expect(await store.getAll('$gt')).toEqual([]);
    expect(await store.getAll('x.y')).toEqual([{ id: '$where', userId: 'x.y' }]);
    await store.deleteAll('$ne');
    expect(await store.collection.countDocuments({})).toBe(1);
    await store.close();
  });

  it('reports a document whose record is not text as unreadable and skips it', async () => {
    const logger = recordingLogger();
    const store = openStore({ logger });
    await store.upsert({ id: 'good', userId: 1 }, 60);
    const expiresAt = new Date(clock.now() + 60_000);
    await store.collection.insertOne({
      _id: { u: '1', s: 'bad' },
      expiresAt,
      lockVersion: null,
      record: { id: 'bad', userId: 1 } as never,
    });

    expect(await store.get('bad', 1)).toBeNull();
    expect(await store.getAll(1)).toEqual([{ id: 'good', userId: 1 }]);
    expect(logger.events.map((event) => event.type)).toEqual(['corrupt-record', 'corrupt-record']);
    await store.close();
  });
});

describe('one command per operation', () => {
  it('sends exactly one command for each call once the indexes exist', async () => {
    const store = openStore();
    await store.get('warm-up', 1);
    commands.clear();
    const calls: [string, () => Promise<unknown>, string][] = [
      ['get', () => store.get('sid', 1), 'find'],
      ['unconditional upsert', () => store.upsert({ id: 'sid', userId: 1 }, 60), 'update'],
      ['delete', () => store.delete('sid', 1), 'delete'],
      ['create', () => store.upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60), 'update'],
      ['update', () => store.upsert({ id: 'sid', userId: 1, lockVersion: 1 }, 60), 'update'],
      ['getAll', () => store.getAll(1), 'find'],
      ['deleteAll', () => store.deleteAll(1), 'delete'],
      ['prune', () => store.prune(), 'delete'],
    ];

    for (const [name, call, command] of calls) {
      commands.clear();
      await call();
      expect(commands.names, name).toEqual([command]);
    }
    await store.close();
  });

  it('lists a user with more sessions than one batch holds, through find and getMore', async () => {
    const store = openStore();
    const count = 150;
    for (let index = 0; index < count; index++) {
      await store.upsert({ id: `sid-${index}`, userId: 1 }, 60);
    }
    await store.upsert({ id: 'other', userId: 2 }, 60);
    commands.clear();

    const sessions = await store.getAll(1);

    expect(sessions).toHaveLength(count);
    expect(new Set(sessions.map((session) => session.id)).size).toBe(count);
    expect(commands.names[0]).toBe('find');
    expect(commands.names.slice(1).every((name) => name === 'getMore')).toBe(true);
    await store.close();
  });

  it('sends one rejected update for a compare-and-set that conflicts', async () => {
    const store = openStore();
    await store.upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60);
    commands.clear();

    await expect(store.upsert({ id: 'sid', userId: 1, lockVersion: 0 }, 60)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(store.upsert({ id: 'sid', userId: 1, lockVersion: 5 }, 60)).rejects.toMatchObject({
      code: 'CONFLICT',
    });

    expect(commands.names).toEqual(['update', 'update']);
    await store.close();
  });
});

describe('indexes', () => {
  it('creates the TTL index with expireAfterSeconds 60 and the user index before the first call completes', async () => {
    const store = openStore();

    await store.get('sid', 1);

    expect(commands.names).toEqual(['createIndexes', 'find']);
    const indexes = await store.collection.indexes();
    const byName = Object.fromEntries(indexes.map((index) => [index.name, index]));
    expect(byName.expiresAt_1).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 60 });
    expect(byName['_id.u_1_expiresAt_1']).toMatchObject({ key: { '_id.u': 1, expiresAt: 1 } });
    expect(byName['_id.u_1_expiresAt_1']?.expireAfterSeconds).toBeUndefined();
    await store.close();
  });

  it.each([0, 1, 3600])(
    'gives the TTL index expireAfterSeconds %s for that ttlGraceSeconds',
    async (ttlGraceSeconds) => {
      const store = openStore({ ttlGraceSeconds });

      await store.get('sid', 1);

      const indexes = await store.collection.indexes();
      const ttlIndex = indexes.find((index) => index.name === 'expiresAt_1');
      expect(ttlIndex).toMatchObject({
        key: { expiresAt: 1 },
        expireAfterSeconds: ttlGraceSeconds,
      });
      await store.close();
    },
  );

  it('creates them idempotently: two stores on one collection, and many concurrent first calls', async () => {
    const first = openStore();
    const second = new MongoSessionStore<AnySession>({
      client,
      database: backend.database,
      collection: first.collection.collectionName,
      clock: clock.now,
    });

    await Promise.all([
      ...Array.from({ length: 5 }, (_, index) => first.get(`sid-${index}`, 1)),
      second.upsert({ id: 'sid', userId: 1 }, 60),
    ]);

    expect(commands.names.filter((name) => name === 'createIndexes')).toHaveLength(2);
    expect(await first.collection.indexes()).toHaveLength(3);
    expect(await first.get('sid', 1)).toEqual({ id: 'sid', userId: 1 });
    await first.close();
    await second.close();
  });

  it('creates no index with createIndexes: false', async () => {
    const store = openStore({ createIndexes: false });

    await store.upsert({ id: 'sid', userId: 1 }, 60);

    expect(commands.names).toEqual(['update']);
    expect((await store.collection.indexes()).map((index) => index.name)).toEqual(['_id_']);
    await store.close();
  });

  it.each([
    ['another grace', 3600],
    ['no grace, as a collection set up before ttlGraceSeconds has', 0],
  ])(
    'rejects with UNAVAILABLE on a TTL index with %s, then recovers once it is fixed',
    async (_name, expireAfterSeconds) => {
      const store = openStore();
      await store.collection.createIndex(
        { expiresAt: 1 },
        { name: 'expiresAt_1', expireAfterSeconds },
      );

      const error = await store.get('sid', 1).catch((reason: unknown) => reason);

      expect(error).toMatchObject({ code: 'UNAVAILABLE' });
      expect((error as Error).message).toMatch(
        /^@sessionstore\/mongodb: get\(\) failed while creating the collection indexes: MongoDB answered with an error \(IndexOptionsConflict\)\. .*collMod.*createIndexes: false/,
      );
      await store.collection.dropIndex('expiresAt_1');
      commands.clear();

      expect(await store.get('sid', 1)).toBeNull();
      expect(commands.names).toEqual(['createIndexes', 'find']);
      await store.close();
    },
  );
});

describe('changing the grace of an existing collection', () => {
  it('rejects on an index without the grace until collMod sets it, then recovers, as the README says', async () => {
    const store = openStore();
    await store.collection.createIndex(
      { expiresAt: 1 },
      { name: 'expiresAt_1', expireAfterSeconds: 0 },
    );
    await expect(store.get('sid', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    await client.db(backend.database).command({
      collMod: store.collection.collectionName,
      index: { name: 'expiresAt_1', expireAfterSeconds: 60 },
    });

    expect(await store.get('sid', 1)).toBeNull();
    const ttlIndex = (await store.collection.indexes()).find(
      (index) => index.name === 'expiresAt_1',
    );
    expect(ttlIndex?.expireAfterSeconds).toBe(60);
    await store.close();
  });
});

describe('expiry', () => {
  it('decides expiry by the store clock, and prune() deletes expired documents at once', async () => {
    const store = openStore();
    await store.upsert({ id: 'short', userId: 1 }, 10);
    await store.upsert({ id: 'long', userId: 1 }, 3600);
    clock.advance(10_000);

    expect(await store.get('short', 1)).toBeNull();
    expect(await store.getAll(1)).toEqual([{ id: 'long', userId: 1 }]);
    expect(await store.collection.countDocuments({})).toBe(2);
    expect(await store.prune()).toBe(1);
    expect(await store.collection.countDocuments({})).toBe(1);
    await store.close();
  });

  it('creates over an expired copy in place (lockVersion 0)', async () => {
    const store = openStore();
    await store.upsert({ id: 'sid', userId: 1, lockVersion: 0, round: 1 }, 10);
    clock.advance(10_000);

    await store.upsert({ id: 'sid', userId: 1, lockVersion: 0, round: 2 }, 10);

    expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1, lockVersion: 1, round: 2 });
    expect(await store.collection.countDocuments({})).toBe(1);
    await store.close();
  });

  it.skipIf(TEST_SERVER_ONLY)(
    'lets the TTL monitor remove expired documents ttlGraceSeconds after they expire (test server, on its clock)',
    async () => {
      const store = openStore();
      await store.upsert({ id: 'short', userId: 1 }, 60);
      await store.upsert({ id: 'long', userId: 1 }, 120);

      await backend.server?.runTtlMonitor();
      expect(await storedIds(store)).toEqual(['long', 'short']);
      clock.advance(60_000);
      await backend.server?.runTtlMonitor();
      expect(await store.get('short', 1)).toBeNull();
      expect(await storedIds(store)).toEqual(['long', 'short']);
      clock.advance(59_999);
      await backend.server?.runTtlMonitor();
      expect(await storedIds(store)).toEqual(['long', 'short']);
      clock.advance(1);
      expect(await backend.server?.runTtlMonitor()).toBeGreaterThanOrEqual(1);
      expect(await storedIds(store)).toEqual(['long']);
      await store.close();
    },
  );

  it.skipIf(TEST_SERVER_ONLY)(
    'keeps a session the store clock calls live through TTL passes while that clock runs behind the server by less than the grace',
    async () => {
      // The test server's TTL monitor runs on `clock`; the store's clock is 59 s behind it.
      const store = openStore({ clock: () => clock.now() - 59_000 });
      await store.upsert({ id: 'sid', userId: 1 }, 600);

      await backend.server?.runTtlMonitor();
      clock.advance(600_000 - 1);
      await backend.server?.runTtlMonitor();

      expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1 });
      expect(await storedIds(store)).toEqual(['sid']);
      clock.advance(1);
      expect(await store.get('sid', 1)).toBeNull();
      clock.advance(1_000);
      await backend.server?.runTtlMonitor();
      expect(await storedIds(store)).toEqual([]);
      await store.close();
    },
  );

  it.skipIf(TEST_SERVER_ONLY)(
    'loses a session it calls live to the TTL monitor once its clock runs behind the server by more than the grace plus the ttl',
    async () => {
      const store = openStore({ clock: () => clock.now() - 3_600_000 });
      await store.upsert({ id: 'sid', userId: 1 }, 600);
      expect(await storedIds(store)).toEqual(['sid']);

      await backend.server?.runTtlMonitor();

      expect(await storedIds(store)).toEqual([]);
      expect(await store.get('sid', 1)).toBeNull();
      await store.close();
    },
  );

  it.skipIf(TEST_SERVER_ONLY)(
    'keeps that session with a ttlGraceSeconds larger than the lag',
    async () => {
      const store = openStore({ clock: () => clock.now() - 3_600_000, ttlGraceSeconds: 3600 });
      await store.upsert({ id: 'sid', userId: 1 }, 600);

      await backend.server?.runTtlMonitor();
      clock.advance(600_000 - 1);
      await backend.server?.runTtlMonitor();

      expect(await store.get('sid', 1)).toEqual({ id: 'sid', userId: 1 });
      expect(await storedIds(store)).toEqual(['sid']);
      await store.close();
    },
  );

  it('prunes by the store clock at once, whatever the grace', async () => {
    const store = openStore({ ttlGraceSeconds: 3600 });
    await store.upsert({ id: 'short', userId: 1 }, 10);
    await store.upsert({ id: 'long', userId: 1 }, 20);
    clock.advance(10_000);

    expect(await store.prune()).toBe(1);
    expect(await storedIds(store)).toEqual(['long']);
    await store.close();
  });
});

describe('ownership', () => {
  it('leaves a client passed in open after close()', async () => {
    const store = openStore();
    await store.upsert({ id: 'sid', userId: 1 }, 60);

    await store.close();
    await store.close();

    await expect(store.get('sid', 1)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(await client.db(backend.database).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('leaves the client of a db passed in open after close()', async () => {
    const store = new MongoSessionStore<AnySession>({
      db: client.db(backend.database),
      collection: 'from_db',
    });
    await store.upsert({ id: 'sid', userId: 1 }, 60);

    await store.close();

    expect(await client.db(backend.database).collection('from_db').countDocuments({})).toBe(1);
  });

  it('rejects with UNAVAILABLE, not a hang, when the application closed its client', async () => {
    const ownClient = await backend.client();
    const store = new MongoSessionStore<AnySession>({
      client: ownClient,
      database: backend.database,
    });
    await store.upsert({ id: 'sid', userId: 1 }, 60);
    await ownClient.close();

    const error = await store.get('sid', 1).catch((reason: unknown) => reason);

    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as Error).message).toBe(
      '@sessionstore/mongodb: get() failed: the MongoDB client is closed.',
    );
    await store.close();
  });

  it('closes the client it opened from a url', async () => {
    const store = new MongoSessionStore<AnySession>({
      url: backend.url,
      database: backend.database,
    });
    await store.upsert({ id: 'sid', userId: 'url' }, 60);
    const collection = store.collection;

    await store.close();

    await expect(collection.findOne({})).rejects.toThrow(/must be connected|closed/i);
  });
});
