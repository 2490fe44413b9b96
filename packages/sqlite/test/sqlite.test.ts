import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionStoreError } from '@sessionstore/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  COLUMNS,
  DEFAULT_TABLE,
  PRUNE_BATCH_SIZE,
  SqliteSessionStore,
  type SqliteSessionStoreOptions,
} from '../src/index.js';
import { OPTION_NAMES } from '../src/store.js';
import { type AnySession, manualClock, recordingLogger, temporaryDirectory } from './helpers.js';

let directory: ReturnType<typeof temporaryDirectory>;
const opened: { close(): unknown }[] = [];

beforeEach(() => {
  directory = temporaryDirectory();
});

afterEach(async () => {
  for (const resource of opened.splice(0)) {
    await resource.close();
  }
  directory.remove();
});

function track<T extends { close(): unknown }>(resource: T): T {
  opened.push(resource);
  return resource;
}

function fileStore(
  options: ConstructorParameters<typeof SqliteSessionStore>[0] = {},
): SqliteSessionStore<AnySession> {
  return track(
    new SqliteSessionStore<AnySession>({
      database: join(directory.path, 'sessions.db'),
      pruneIntervalMs: 0,
      ...options,
    }),
  );
}

async function rejection(promise: Promise<unknown>): Promise<SessionStoreError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SessionStoreError);
  return error as SessionStoreError;
}

function thrown(run: () => unknown): SessionStoreError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return error as SessionStoreError;
  }
  throw new Error('expected the call to throw');
}

describe('SqliteSessionStore on a file', () => {
  it('keeps sessions in the file, for a second store opened on it later', async () => {
    const first = fileStore();
    await first.upsert({ id: 's1', userId: 7, at: new Date(5) }, 3600);
    await first.close();

    const second = fileStore();
    expect(await second.get('s1', 7)).toEqual({ id: 's1', userId: 7, at: new Date(5) });
  });

  it('puts a file it opens in WAL mode with synchronous NORMAL and a busy timeout', () => {
    const store = fileStore();

    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.database.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('applies busyTimeoutMs to a database it opens', () => {
    const store = fileStore({ busyTimeoutMs: 250 });

    expect(store.database.pragma('busy_timeout', { simple: true })).toBe(250);
  });

  it('stores expiry as integer milliseconds and the record as JSON text', async () => {
    const clock = manualClock(1_700_000_000_123);
    const store = fileStore({ clock: clock.now });
    await store.upsert({ id: 's1', userId: 7n, lockVersion: 0 }, 60);

    const row = store.database
      .prepare(
        `SELECT user_key, typeof(expires_at_ms) AS kind, expires_at_ms, lock_version, record
         FROM ${store.table}`,
      )
      .get();
    expect(row).toEqual({
      user_key: '7',
      kind: 'integer',
      expires_at_ms: 1_700_000_060_123,
      lock_version: 1,
      record: '{"id":"s1","userId":{"$bigint":"7"},"lockVersion":1}',
    });
  });

  it('creates the schema idempotently when several stores open one file', async () => {
    const stores = [fileStore(), fileStore(), fileStore()];
    await stores[0]?.upsert({ id: 's1', userId: 1 }, 60);

    for (const store of stores) {
      expect(await store.get('s1', 1)).toEqual({ id: 's1', userId: 1 });
    }
    const tables = stores[2]?.database
      .prepare(`SELECT count(*) FROM sqlite_schema WHERE tbl_name = ?`)
      .pluck()
      .get(DEFAULT_TABLE);
    expect(tables).toBe(3); // the table, its primary-key index and the expiry index
  });

  it('rejects a file it cannot open with UNAVAILABLE, without the path in the message', () => {
    const path = join(directory.path, 'missing-directory', 'sessions.db');
    const error = thrown(() => new SqliteSessionStore({ database: path }));

    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).not.toContain(directory.path);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('SqliteSessionStore given an application Database', () => {
  it('leaves the Database open after close()', async () => {
    const database = track(new Database(':memory:'));
    const store = new SqliteSessionStore<AnySession>({ database, pruneIntervalMs: 0 });
    await store.upsert({ id: 's1', userId: 1 }, 60);

    await store.close();

    expect(database.open).toBe(true);
    expect(database.prepare(`SELECT count(*) FROM ${DEFAULT_TABLE}`).pluck().get()).toBe(1);
    expect((await rejection(store.get('s1', 1))).code).toBe('CLOSED');
  });

  it('closes a database it opened itself', async () => {
    const store = new SqliteSessionStore({ pruneIntervalMs: 0 });
    const { database } = store;

    await store.close();

    expect(database.open).toBe(false);
  });

  it('leaves the journal mode and busy timeout of a Database passed in alone', () => {
    const database = track(new Database(join(directory.path, 'app.db'), { timeout: 1234 }));
    track(new SqliteSessionStore({ database, pruneIntervalMs: 0 }));

    expect(database.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(database.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('sets the busy timeout of a Database passed in when busyTimeoutMs is given', () => {
    const database = track(new Database(':memory:'));
    track(new SqliteSessionStore({ database, busyTimeoutMs: 42, pruneIntervalMs: 0 }));

    expect(database.pragma('busy_timeout', { simple: true })).toBe(42);
  });

  it('rejects with UNAVAILABLE once the application closes its Database', async () => {
    const database = new Database(':memory:');
    const store = track(new SqliteSessionStore({ database, pruneIntervalMs: 0 }));
    database.close();

    const error = await rejection(store.get('s1', 1));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('closed by its owner');
  });

  it('rejects a closed or read-only Database, or something that is not one', () => {
    const closed = new Database(':memory:');
    closed.close();
    const path = join(directory.path, 'readonly.db');
    track(new Database(path)).exec('CREATE TABLE t (x)');
    const readonly = track(new Database(path, { readonly: true }));

    for (const database of [closed, readonly, 42, {}, null]) {
      const error = thrown(() => new SqliteSessionStore({ database: database as never }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('database');
    }
  });
});

describe('SqliteSessionStore option names', () => {
  it('rejects a misspelled database with INVALID_ARGUMENT and creates no file', () => {
    const file = join(directory.path, 'sessions.db');
    const error = thrown(() => new SqliteSessionStore({ databse: file } as never));

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      '@sessionstore/sqlite: the constructor was called with an invalid argument: unknown ' +
        'option `databse` (did you mean `database`?).',
    );
    expect(readdirSync(directory.path)).toEqual([]);
  });

  it('rejects a file name given in place of the options, creating no file', () => {
    const file = join(directory.path, 'sessions.db');
    const error = thrown(() => new SqliteSessionStore(file as never));

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('options must be an object, not a string');
    expect(readdirSync(directory.path)).toEqual([]);
  });

  it('accepts every option it declares, and an unknown one set to undefined', async () => {
    const store = fileStore({
      table: 'named_sessions',
      busyTimeoutMs: 100,
      clock: () => 1000,
      maxSessionBytes: 4096,
      logger: recordingLogger(),
      signingSecret: 'a secret long enough for the tests',
      ...({ databse: undefined } as object),
    });

    await store.upsert({ id: 's', userId: 1 }, 60);
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    expect(readdirSync(directory.path)).toContain('sessions.db');
  });

  it('checks exactly the names SqliteSessionStoreOptions declares', () => {
    // Checked by the type checker (`pnpm typecheck`): an option added to the type but not
    // to the list would be rejected at run time, and this line would not compile.
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<keyof SqliteSessionStoreOptions>();
    expect(new Set(OPTION_NAMES).size).toBe(OPTION_NAMES.length);
  });
});

describe('SqliteSessionStore table option', () => {
  it('rejects a name that is not a plain identifier before touching the database', () => {
    const statements: unknown[] = [];
    const database = track(new Database(':memory:', { verbose: (sql) => statements.push(sql) }));
    const names = [
      'web".session WHERE 1=1;--',
      'sessions; DROP TABLE users',
      'web.session',
      '"sessions"',
      '1sessions',
      'sqlite_sessions',
      'sessions ',
      '',
      'x'.repeat(64),
      'séssions',
      42,
    ];

    for (const table of names) {
      const error = thrown(() => new SqliteSessionStore({ database, table: table as never }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('table');
    }
    expect(statements).toEqual([]);
  });

  it('creates and uses the table it is given', async () => {
    const database = track(new Database(':memory:'));
    const store = track(new SqliteSessionStore<AnySession>({ database, table: 'Web_Sessions_2' }));
    await store.upsert({ id: 's1', userId: 1 }, 60);

    expect(store.table).toBe('Web_Sessions_2');
    expect(database.prepare('SELECT count(*) FROM Web_Sessions_2').pluck().get()).toBe(1);
  });

  it('refuses a table of the same name that another program created', () => {
    const database = track(new Database(':memory:'));
    database.exec('CREATE TABLE sessions (sid TEXT PRIMARY KEY, sess TEXT, expire INTEGER)');

    const error = thrown(() => new SqliteSessionStore({ database, table: 'sessions' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('choose another table name');
  });
});

describe('SqliteSessionStore existing schema objects', () => {
  const definition = (columns: string, options = ' STRICT') =>
    `CREATE TABLE sessions (${columns})${options}`;
  const COLUMNS_SQL =
    'user_key TEXT NOT NULL, session_id TEXT NOT NULL, expires_at_ms INTEGER NOT NULL, ' +
    'lock_version INTEGER, record TEXT NOT NULL';
  const KEY_SQL = 'PRIMARY KEY (user_key, session_id)';

  it('uses a table it did not create when it is declared as the store declares it', async () => {
    const database = track(new Database(':memory:'));
    database.exec(definition(`${COLUMNS_SQL}, ${KEY_SQL}`));
    const store = track(new SqliteSessionStore<AnySession>({ database, table: 'sessions' }));

    await store.upsert({ id: 's1', userId: 1 }, 60);
    expect(await store.get('s1', 1)).toEqual({ id: 's1', userId: 1 });
  });

  it('refuses a table that is not STRICT, as earlier builds created it, and says so', () => {
    const database = track(new Database(':memory:'));
    database.exec(definition(`${COLUMNS_SQL}, ${KEY_SQL}`, ''));

    const error = thrown(() => new SqliteSessionStore({ database, table: 'sessions' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('table "sessions" already exists but is not a STRICT table');
  });

  it('refuses a table whose columns are declared otherwise, naming them', () => {
    const cases = [
      [COLUMNS_SQL.replace('expires_at_ms INTEGER', 'expires_at_ms TEXT'), 'expires_at_ms'],
      [
        COLUMNS_SQL.replace('lock_version INTEGER', 'lock_version INTEGER NOT NULL'),
        'lock_version',
      ],
      [COLUMNS_SQL.replace('record TEXT NOT NULL', 'record ANY NOT NULL'), 'record'],
    ] as const;

    for (const [columns, named] of cases) {
      const database = track(new Database(':memory:'));
      database.exec(definition(`${columns}, ${KEY_SQL}`));
      const error = thrown(() => new SqliteSessionStore({ database, table: 'sessions' }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(`the column(s) ${named} declared with another type`);
    }

    const database = track(new Database(':memory:'));
    database.exec(definition(`${COLUMNS_SQL}, PRIMARY KEY (session_id, user_key)`));
    const error = thrown(() => new SqliteSessionStore({ database, table: 'sessions' }));
    expect(error.message).toContain('the column(s) user_key, session_id declared');
  });

  it('refuses a table with a column of its own that the store cannot fill', () => {
    const database = track(new Database(':memory:'));
    database.exec(definition(`${COLUMNS_SQL}, tenant TEXT NOT NULL, ${KEY_SQL}`));

    const error = thrown(() => new SqliteSessionStore({ database, table: 'sessions' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('the column(s) tenant, which the store cannot fill');
  });

  it("opens a table named like another store's expiry index, and both stores work", async () => {
    const database = track(new Database(':memory:'));
    const first = track(new SqliteSessionStore<AnySession>({ database, table: 't' }));
    const second = track(
      new SqliteSessionStore<AnySession>({ database, table: 't_expires_at_ms' }),
    );

    await first.upsert({ id: 's1', userId: 1, by: 'first' }, 60);
    await second.upsert({ id: 's1', userId: 1, by: 'second' }, 60);
    expect(await first.get('s1', 1)).toEqual({ id: 's1', userId: 1, by: 'first' });
    expect(await second.get('s1', 1)).toEqual({ id: 's1', userId: 1, by: 'second' });
  });

  it('refuses a table name that an index, view or trigger has, or its index name taken', () => {
    const database = track(new Database(':memory:'));
    database.exec(`
      CREATE TABLE other (x);
      CREATE INDEX other_x ON other (x);
      CREATE VIEW other_view AS SELECT x FROM other;
      CREATE TRIGGER other_trigger AFTER INSERT ON other BEGIN SELECT 1; END;
      CREATE INDEX "web:expires_at_ms" ON other (x);
    `);
    const cases = [
      ['OTHER_X', 'the database already has an index on table "other" named "other_x"'],
      ['other_view', 'the database already has a view named "other_view"'],
      ['other_trigger', 'the database already has a trigger named "other_trigger"'],
      ['web', 'named "web:expires_at_ms", the name of the table\'s expiry index'],
    ] as const;

    for (const [table, words] of cases) {
      const error = thrown(() => new SqliteSessionStore({ database, table }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(words);
    }
    expect(
      database.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'web'").pluck().get(),
    ).toBe(0);
  });
});

describe('SqliteSessionStore compare-and-set across two stores on one file', () => {
  it('lets exactly one of many parallel updates with the same lockVersion win', async () => {
    const [a, b] = [fileStore(), fileStore()];
    await a.upsert({ id: 's1', userId: 1, lockVersion: 0 }, 60);

    const attempts = Array.from({ length: 20 }, (_, index) =>
      (index % 2 === 0 ? a : b).upsert({ id: 's1', userId: 1, lockVersion: 1, by: index }, 60),
    );
    const results = await Promise.allSettled(attempts);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') {
        expect((result.reason as SessionStoreError).code).toBe('CONFLICT');
      }
    }
    expect((await b.get('s1', 1))?.lockVersion).toBe(2);
  });

  it('lets exactly one of two parallel creates win', async () => {
    const [a, b] = [fileStore(), fileStore()];

    const results = await Promise.allSettled([
      a.upsert({ id: 's1', userId: 1, lockVersion: 0, by: 'a' }, 60),
      b.upsert({ id: 's1', userId: 1, lockVersion: 0, by: 'b' }, 60),
    ]);

    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('never revives a session deleted through the other store', async () => {
    const [a, b] = [fileStore(), fileStore()];
    await a.upsert({ id: 's1', userId: 1, lockVersion: 0 }, 60);
    await b.delete('s1', 1);

    const error = await rejection(a.upsert({ id: 's1', userId: 1, lockVersion: 1 }, 60));

    expect(error.code).toBe('CONFLICT');
    expect(a.database.prepare(`SELECT count(*) FROM ${a.table}`).pluck().get()).toBe(0);
  });

  it('replaces an expired row on create, and refuses to update it', async () => {
    const clock = manualClock();
    const store = fileStore({ clock: clock.now });
    await store.upsert({ id: 's1', userId: 1, lockVersion: 0 }, 1);
    clock.advance(1000);

    expect((await rejection(store.upsert({ id: 's1', userId: 1, lockVersion: 1 }, 60))).code).toBe(
      'CONFLICT',
    );
    await store.upsert({ id: 's1', userId: 1, lockVersion: 0, fresh: true }, 60);
    expect(await store.get('s1', 1)).toEqual({ id: 's1', userId: 1, lockVersion: 1, fresh: true });
  });
});

describe('SqliteSessionStore prune', () => {
  function fill(store: SqliteSessionStore<AnySession>, count: number, expiresAtMs: number): void {
    const insert = store.database.prepare(
      `INSERT INTO ${store.table} (user_key, session_id, expires_at_ms, record) VALUES (?, ?, ?, ?)`,
    );
    store.database.transaction(() => {
      for (let index = 0; index < count; index++) {
        insert.run(`u${index % 50}`, `s${expiresAtMs}-${index}`, expiresAtMs, '{}');
      }
    })();
  }

  it('deletes expired rows in batches and returns how many it removed', async () => {
    const statements: string[] = [];
    const database = track(
      new Database(':memory:', { verbose: (sql) => statements.push(String(sql)) }),
    );
    const clock = manualClock(1_000_000);
    const store = track(new SqliteSessionStore<AnySession>({ database, clock: clock.now }));
    fill(store, 2 * PRUNE_BATCH_SIZE + 500, 1_000_000);
    fill(store, 10, 1_000_001);
    statements.length = 0;

    expect(await store.prune()).toBe(2 * PRUNE_BATCH_SIZE + 500);

    expect(statements.filter((sql) => sql.startsWith('DELETE'))).toHaveLength(3);
    expect(database.prepare(`SELECT count(*) FROM ${store.table}`).pluck().get()).toBe(10);
  });

  it('lets other calls run between batches', async () => {
    const clock = manualClock(1_000_000);
    const store = fileStore({ clock: clock.now });
    await store.upsert({ id: 'live', userId: 1 }, 60);
    fill(store, 5 * PRUNE_BATCH_SIZE, 1_000_000);
    const order: string[] = [];

    await Promise.all([
      store.prune().then(() => order.push('prune')),
      store.get('live', 1).then(() => order.push('get')),
    ]);

    expect(order).toEqual(['get', 'prune']);
  });

  it('stops between batches when the store is closed', async () => {
    const clock = manualClock(1_000_000);
    const store = new SqliteSessionStore<AnySession>({ clock: clock.now, pruneIntervalMs: 0 });
    fill(store, 3 * PRUNE_BATCH_SIZE, 1_000_000);

    const pass = store.prune();
    await store.close();

    expect(await pass).toBe(PRUNE_BATCH_SIZE);
  });
});

describe('SqliteSessionStore unreadable rows', () => {
  it('skips a corrupt row written by SQL, reports it, and lets delete and deleteAll remove it', async () => {
    const logger = recordingLogger();
    const store = fileStore({ logger });
    await store.upsert({ id: 'good', userId: 1 }, 60);
    const insert = store.database.prepare(
      `INSERT INTO ${store.table} (user_key, session_id, expires_at_ms, record) VALUES (?, ?, ?, ?)`,
    );
    insert.run('1', 'text', Date.now() + 60_000, '{"id":"text","userId":1');
    insert.run('1', 'number', Date.now() + 60_000, 42);
    store.database
      .prepare(
        `INSERT INTO ${store.table} (user_key, session_id, expires_at_ms, record)
         VALUES ('1', 'bytes', ?, CAST(x'fffe00' AS TEXT))`,
      )
      .run(Date.now() + 60_000);

    expect(await store.get('text', 1)).toBeNull();
    expect(await store.get('number', 1)).toBeNull();
    expect(await store.get('bytes', 1)).toBeNull();
    expect(await store.getAll(1)).toEqual([{ id: 'good', userId: 1 }]);

    expect(logger.events).toHaveLength(6);
    for (const event of logger.events) {
      expect(event.type).toBe('corrupt-record');
      expect(event.error.code).toBe('CORRUPT');
    }

    const count = () => store.database.prepare(`SELECT count(*) FROM ${store.table}`).pluck().get();
    await store.delete('text', 1);
    await store.delete('number', 1);
    expect(count()).toBe(2);
    await store.deleteAll(1);
    expect(count()).toBe(0);
  });

  // One value of each SQLite type, and a text that reads as a number.
  const VALUES = {
    null: null,
    integer: 42n,
    real: 1.5,
    'numeric text': '1060000',
    text: 'soon',
    blob: Buffer.from('s1'),
  } as const;

  function writeEveryType(store: SqliteSessionStore<AnySession>): string[] {
    const insert = store.database.prepare(
      `INSERT INTO ${store.table} (user_key, session_id, expires_at_ms, lock_version, record)
       VALUES (@user_key, @session_id, @expires_at_ms, @lock_version, @record)`,
    );
    const refused: string[] = [];

    for (const column of COLUMNS) {
      for (const [kind, value] of Object.entries(VALUES)) {
        const sessionId = `${column} ${kind}`;
        const row = {
          user_key: '1',
          session_id: sessionId,
          expires_at_ms: 1_060_000,
          lock_version: null,
          record: JSON.stringify({ id: sessionId, userId: 1 }),
          [column]: value,
        };
        try {
          insert.run(row);
        } catch (error) {
          expect((error as { code?: unknown }).code).toMatch(
            /^SQLITE_CONSTRAINT_(DATATYPE|NOTNULL)$/,
          );
          refused.push(sessionId);
        }
      }
    }
    return refused;
  }

  it('refuses a value of another type than its column, so every stored row has the declared types', () => {
    const store = fileStore({ clock: manualClock(1_000_000).now });

    expect(writeEveryType(store)).toEqual([
      'user_key null',
      'user_key blob',
      'session_id null',
      'session_id blob',
      'expires_at_ms null',
      'expires_at_ms real',
      'expires_at_ms text',
      'expires_at_ms blob',
      'lock_version real',
      'lock_version text',
      'lock_version blob',
      'record null',
      'record blob',
    ]);
    const mistyped = store.database
      .prepare(
        `SELECT count(*) FROM ${store.table}
         WHERE typeof(user_key) <> 'text' OR typeof(session_id) <> 'text'
           OR typeof(expires_at_ms) <> 'integer' OR typeof(record) <> 'text'
           OR typeof(lock_version) NOT IN ('integer', 'null')`,
      )
      .pluck()
      .get();
    expect(mistyped).toBe(0);
  });

  it('finds with get exactly the rows getAll lists, among rows of every type written by SQL, reports the unreadable ones, and prunes them all', async () => {
    const clock = manualClock(1_000_000);
    const logger = recordingLogger();
    const store = fileStore({ clock: clock.now, logger });
    writeEveryType(store);
    const rows = store.database
      .prepare<[], { user_key: string; session_id: string; expires_at_ms: number }>(
        `SELECT user_key, session_id, expires_at_ms FROM ${store.table}`,
      )
      .all();
    const unreadable: string[] = [];

    for (const { user_key: userKey, session_id: sessionId, expires_at_ms: expiresAtMs } of rows) {
      const listed = (await store.getAll(userKey)).map((session) => session.id);
      const found = await store.get(sessionId, userKey);
      expect([sessionId, listed.includes(sessionId)]).toEqual([sessionId, found !== null]);
      if (found === null && expiresAtMs > clock.now()) {
        unreadable.push(sessionId);
      }
    }
    expect(unreadable.length).toBeGreaterThan(0);
    for (const sessionId of unreadable) {
      const reported = logger.events.some(
        (event) => event.type !== 'prune-failed' && event.sessionId === sessionId,
      );
      expect([sessionId, reported]).toEqual([sessionId, true]);
    }
    for (const event of logger.events) {
      expect(['corrupt-record', 'tampered-record']).toContain(event.type);
    }

    clock.advance(60_000);
    expect(await store.prune()).toBe(rows.length);
    expect(store.database.prepare(`SELECT count(*) FROM ${store.table}`).pluck().get()).toBe(0);
  });
});

describe('SqliteSessionStore errors', () => {
  it('reports a write lock held past busyTimeoutMs as UNAVAILABLE with SQLITE_BUSY as cause', async () => {
    const store = fileStore({ busyTimeoutMs: 50 });
    await store.upsert({ id: 's1', userId: 1 }, 60);
    const other = track(new Database(store.database.name));
    other.exec('BEGIN IMMEDIATE');

    try {
      const error = await rejection(store.upsert({ id: 's2', userId: 1 }, 60));
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toContain('busyTimeoutMs (50 ms)');
      expect((error.cause as { code?: string }).code).toBe('SQLITE_BUSY');

      // Under WAL, readers are not blocked by the writer.
      expect(await store.get('s1', 1)).toEqual({ id: 's1', userId: 1 });
    } finally {
      other.exec('ROLLBACK');
    }
  });

  it('reports a damaged file as UNAVAILABLE', async () => {
    const path = join(directory.path, 'not-a-database.db');
    writeFileSync(path, 'x'.repeat(4096));

    const error = thrown(() => new SqliteSessionStore({ database: path }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('SQLITE_NOTADB');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('maps SQLite error codes met mid-call to UNAVAILABLE, keeping the driver error', () => {
    class ErrorMappingStore extends SqliteSessionStore {
      map(error: unknown): SessionStoreError {
        return this.toStoreError(error, 'get()');
      }
    }
    const store = track(new ErrorMappingStore({ pruneIntervalMs: 0 }));
    const driverError = (code: string) => Object.assign(new Error('driver'), { code });

    const expectations = [
      ['SQLITE_LOCKED', 'held the database locked'],
      ['SQLITE_BUSY_SNAPSHOT', 'held the database locked'],
      ['SQLITE_CORRUPT', 'damaged'],
      ['SQLITE_CORRUPT_INDEX', 'damaged'],
      ['SQLITE_IOERR_WRITE', 'could not complete it (SQLITE_IOERR_WRITE)'],
    ] as const;
    for (const [code, words] of expectations) {
      const cause = driverError(code);
      const error = store.map(cause);
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toContain(words);
      expect(error.message).toMatch(/^@sessionstore\/sqlite: get\(\) failed/);
      expect(error.cause).toBe(cause);
    }
  });

  it('rejects an invalid busyTimeoutMs', () => {
    for (const busyTimeoutMs of [-1, 1.5, '5000', 2 ** 31]) {
      const error = thrown(() => new SqliteSessionStore({ busyTimeoutMs: busyTimeoutMs as never }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('busyTimeoutMs');
    }
  });
});
