import { SessionStoreError } from '@sessionstore/core';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  DEFAULT_TTL_GRACE_SECONDS,
  MongoSessionStore,
  type MongoSessionStoreOptions,
  SESSION_INDEXES,
  sessionIndexes,
} from '../src/index.js';
import { OPTION_NAMES } from '../src/store.js';
import { closedLoopbackPort } from './closed-port.js';

// The client is never connected: every case here fails in the constructor, before any I/O.
const client = new MongoClient('mongodb://127.0.0.1:9', { serverSelectionTimeoutMS: 100 });

afterAll(async () => {
  await client.close();
});

function constructorError(options: unknown): SessionStoreError {
  try {
    new MongoSessionStore(options as MongoSessionStoreOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return error as SessionStoreError;
  }
  throw new Error('expected the constructor to throw');
}

describe('MongoSessionStore options', () => {
  it.each([
    ['no connection at all', {}],
    ['both client and url', { client, database: 'auth', url: 'mongodb://127.0.0.1:9' }],
    ['both client and db', { client, database: 'auth', db: client.db('auth') }],
  ])('rejects %s with INVALID_ARGUMENT', (_name, options) => {
    const error = constructorError(options);

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^@sessionstore\/mongodb: the constructor .*exactly one of/);
  });

  it.each([
    ['a missing database', { client }, /database must be a non-empty string/],
    ['a database with a dot', { client, database: 'a.b' }, /database must not contain/],
    ['a database with U+0000', { client, database: 'a\u0000' }, /database must not contain/],
    ['a 64-byte database', { client, database: 'd'.repeat(64) }, /at most 63 UTF-8 bytes/],
    ['a client that is not one', { client: {}, database: 'auth' }, /client must be a MongoClient/],
    ['a db that is not one', { db: { name: 'auth' } }, /db must be a Db/],
    [
      'a database beside a db',
      { db: client.db('auth'), database: 'other' },
      /database cannot be given with db/,
    ],
  ])('rejects %s with INVALID_ARGUMENT', (_name, options, message) => {
    const error = constructorError(options);

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['empty', ''],
    ['with $', 'sessions$x'],
    ['with U+0000', 'a\u0000b'],
    ['in system.', 'system.sessions'],
    ['ending with a dot', 'sessions.'],
    ['too long', 'c'.repeat(201)],
    ['not a string', 42],
  ])('rejects a collection name %s', (_name, collection) => {
    const error = constructorError({ client, database: 'auth', collection });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/collection must/);
  });

  it('accepts a collection name with dots inside', () => {
    const store = new MongoSessionStore({ client, database: 'auth', collection: 'app.sessions' });

    expect(store.collection.collectionName).toBe('app.sessions');
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31, '2000'])(
    'rejects operationTimeoutMs %s',
    (operationTimeoutMs) => {
      const error = constructorError({ client, database: 'auth', operationTimeoutMs });

      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/operationTimeoutMs must be/);
    },
  );

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '60', null])(
    'rejects ttlGraceSeconds %s',
    (ttlGraceSeconds) => {
      const error = constructorError({ client, database: 'auth', ttlGraceSeconds });

      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(
        /^@sessionstore\/mongodb: the constructor .*ttlGraceSeconds must be/,
      );
    },
  );

  it.each([0, 2 ** 31 - 1])('accepts ttlGraceSeconds %s', (ttlGraceSeconds) => {
    expect(
      () => new MongoSessionStore({ client, database: 'auth', ttlGraceSeconds }),
    ).not.toThrow();
  });

  it('exports the default indexes, with a TTL grace of 60 s', () => {
    expect(DEFAULT_TTL_GRACE_SECONDS).toBe(60);
    expect(SESSION_INDEXES).toEqual([
      { key: { expiresAt: 1 }, name: 'expiresAt_1', expireAfterSeconds: 60 },
      { key: { '_id.u': 1, expiresAt: 1 }, name: '_id.u_1_expiresAt_1' },
    ]);
    expect(sessionIndexes()).toEqual(SESSION_INDEXES);
  });

  it('builds the indexes for another grace, and checks it', () => {
    expect(sessionIndexes(300)[0]).toEqual({
      key: { expiresAt: 1 },
      name: 'expiresAt_1',
      expireAfterSeconds: 300,
    });
    expect(() => sessionIndexes(-1)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/ttlGraceSeconds/),
      }),
    );
  });

  it('rejects a createIndexes option that is not a boolean', () => {
    const error = constructorError({ client, database: 'auth', createIndexes: 'yes' });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/createIndexes must be true or false/);
  });

  it('rejects a client with unacknowledged writes, which could not report a conflict', () => {
    const unacknowledged = new MongoClient('mongodb://127.0.0.1:9', { writeConcern: { w: 0 } });

    const error = constructorError({ client: unacknowledged, database: 'auth' });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/unacknowledged writes/);
  });

  it('rejects a connection string the driver refuses without quoting it or its password', () => {
    const url = 'http://alice:hunter2@127.0.0.1:9/auth';

    const error = constructorError({ url });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/url is not a MongoDB connection string/);
    expect(error.cause).toBeUndefined();
    expect(`${error.message}\n${error.stack}`).not.toMatch(/hunter2|alice/);
  });

  it('takes the database from the url unless the database option names one', async () => {
    const fromUrl = new MongoSessionStore({ url: 'mongodb://127.0.0.1:9/fromurl' });
    const named = new MongoSessionStore({ url: 'mongodb://127.0.0.1:9/fromurl', database: 'auth' });

    expect(fromUrl.collection.dbName).toBe('fromurl');
    expect(named.collection.dbName).toBe('auth');
    expect(named.collection.collectionName).toBe('sessions');
    await fromUrl.close();
    await named.close();
  });

  it('reads from the primary whatever the client prefers', () => {
    const secondary = new MongoClient('mongodb://127.0.0.1:9', { readPreference: 'secondary' });

    const store = new MongoSessionStore({ client: secondary, database: 'auth' });

    expect(store.collection.readPreference?.mode).toBe('primary');
  });
});

describe('MongoSessionStore option names', () => {
  it('rejects a misspelled option at once with INVALID_ARGUMENT, creating no client', async () => {
    const url = `mongodb://sessionstore:option-names-secret@127.0.0.1:${await closedLoopbackPort()}`;

    const error = constructorError({ url, databse: 'auth' });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      '@sessionstore/mongodb: the constructor was called with an invalid argument: unknown ' +
        'option `databse` (did you mean `database`?).',
    );
    expect(error.message).not.toContain('option-names-secret');
  });

  it("never touches the application's client when an option is misspelled", () => {
    const db = vi.spyOn(client, 'db');
    try {
      const error = constructorError({ client, database: 'auth', operationTimeout: 500 });

      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('`operationTimeout` (did you mean `operationTimeoutMs`?)');
      expect(db).not.toHaveBeenCalled();
    } finally {
      db.mockRestore();
    }
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('rejects %s in place of the options with INVALID_ARGUMENT', (name, options) => {
    const error = constructorError(options);

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(`options must be an object, not ${name}`);
  });

  it('accepts every option it declares, and an unknown one set to undefined', async () => {
    const common = {
      clock: () => 1000,
      maxSessionBytes: 4096,
      logger: { warn() {}, error() {} },
      signingSecret: 'a secret long enough for the tests',
      pruneIntervalMs: 0,
      collection: 'option_names',
      createIndexes: false,
      ttlGraceSeconds: 30,
      operationTimeoutMs: 500,
    };

    const stores = [
      new MongoSessionStore({ ...common, client, database: 'auth', ...{ clinet: undefined } }),
      new MongoSessionStore({ ...common, db: client.db('auth') }),
      new MongoSessionStore({ ...common, url: 'mongodb://127.0.0.1:9', database: 'auth' }),
    ];

    expect(stores.map((store) => store.collection.collectionName)).toEqual([
      'option_names',
      'option_names',
      'option_names',
    ]);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('checks exactly the names MongoSessionStoreOptions declares', () => {
    // Checked by the type checker (`pnpm typecheck`): an option added to the type but not
    // to the list would be rejected at run time, and this line would not compile.
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<keyof MongoSessionStoreOptions>();
    expect(new Set(OPTION_NAMES).size).toBe(OPTION_NAMES.length);
  });
});
