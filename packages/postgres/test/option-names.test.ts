import { SessionStoreError } from '@sessionstore/core';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  type PostgresPool,
  PostgresSessionStore,
  type PostgresSessionStoreOptions,
} from '../src/index.js';
import { OPTION_NAMES } from '../src/store.js';

// None of these cases reaches a server: the store must reject the options before it would.
const secret = 'option-names-secret';
// Port 1 on loopback: nothing listens there.
const closedPortUrl = `postgres://sessionstore:${secret}@127.0.0.1:1/test`;

function thrown(run: () => unknown): SessionStoreError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return error as SessionStoreError;
  }
  throw new Error('expected the constructor to throw');
}

/** A pool that records every use, so a test can show the store never touched it. */
function recordingPool(): PostgresPool & {
  query: ReturnType<typeof vi.fn>;
  connect: ReturnType<typeof vi.fn>;
} {
  return {
    query: vi.fn(async () => ({ rows: [], rowCount: 0 })),
    connect: vi.fn(async () => {
      throw new Error('the store asked for a connection');
    }),
  };
}

describe('PostgresSessionStore option names', () => {
  it('rejects a misspelled option at once with INVALID_ARGUMENT, without the URL', () => {
    const error = thrown(
      () =>
        new PostgresSessionStore({
          connectionString: closedPortUrl,
          queryTimeout: 500,
        } as unknown as PostgresSessionStoreOptions),
    );

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      '@sessionstore/postgres: the constructor was called with an invalid argument: unknown ' +
        'option `queryTimeout` (did you mean `queryTimeoutMs`?).',
    );
    expect(error.message).not.toContain(secret);
  });

  it("never uses the application's pool when an option is misspelled", () => {
    const pool = recordingPool();

    const error = thrown(
      () => new PostgresSessionStore({ pool, tabel: 'sessions' } as PostgresSessionStoreOptions),
    );

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('`tabel` (did you mean `table`?)');
    expect(pool.query).not.toHaveBeenCalled();
    expect(pool.connect).not.toHaveBeenCalled();
  });

  it('accepts every option it declares, and an unknown one set to undefined', async () => {
    const common = {
      clock: () => 1000,
      maxSessionBytes: 4096,
      logger: { warn() {}, error() {} },
      signingSecret: 'a secret long enough for the tests',
      pruneIntervalMs: 0,
      schema: 'sessionstore_option_names',
      table: 'sessions',
      createSchema: false,
      queryTimeoutMs: 500,
    };
    const pool = recordingPool();

    await new PostgresSessionStore({ ...common, pool, ...{ poool: undefined } }).close();
    await new PostgresSessionStore({
      ...common,
      connectionString: closedPortUrl,
      connectionTimeoutMillis: 500,
    }).close();
    expect(pool.query).not.toHaveBeenCalled();
  });

  it('checks exactly the names PostgresSessionStoreOptions declares', () => {
    // Checked by the type checker (`pnpm typecheck`): an option added to the type but not
    // to the list would be rejected at run time, and this line would not compile.
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<
      keyof PostgresSessionStoreOptions
    >();
    expect(new Set(OPTION_NAMES).size).toBe(OPTION_NAMES.length);
  });
});
