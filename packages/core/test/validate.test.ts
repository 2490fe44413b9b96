import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  COMMON_STORE_OPTION_NAMES,
  type CommonStoreOptions,
  canonicalUserId,
  checkOptionNames,
  MAX_TTL_SECONDS,
  SessionStoreError,
  validateLockVersion,
  validateSessionId,
  validateSessionIdentity,
  validateTtlSeconds,
} from '../src/index.js';

const context = { store: '@sessionstore/core', method: 'get()' };

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return (error as SessionStoreError).code;
  }
  return 'none';
}

describe('canonicalUserId', () => {
  it('gives 123, 123n and "123" the same key', () => {
    expect(canonicalUserId(123, context)).toBe('123');
    expect(canonicalUserId(123n, context)).toBe('123');
    expect(canonicalUserId('123', context)).toBe('123');
  });

  it('keeps "0123" and "+123" apart from 123', () => {
    expect(canonicalUserId('0123', context)).toBe('0123');
    expect(canonicalUserId('+123', context)).toBe('+123');
  });

  it('writes bigints above 2^53 exactly and negative ids with a sign', () => {
    expect(canonicalUserId(2n ** 64n + 1n, context)).toBe('18446744073709551617');
    expect(canonicalUserId(-5, context)).toBe('-5');
    expect(canonicalUserId(-0, context)).toBe('0');
  });

  it.each([
    ['a fraction', 1.5],
    ['an unsafe integer', 2 ** 53],
    ['NaN', Number.NaN],
    ['an empty string', ''],
    ['a string with U+0000', 'a\u0000'],
    ['a lone surrogate', '\ud800x'],
    ['a string of 513 bytes', 'x'.repeat(513)],
    ['null', null],
    ['an object', { id: 1 }],
    ['a boolean', true],
  ])('rejects %s with INVALID_ARGUMENT', (_name, userId) => {
    expect(codeOf(() => canonicalUserId(userId, context))).toBe('INVALID_ARGUMENT');
  });

  it('takes bigints up to 512 characters in decimal, as it does strings', () => {
    const longest = 10n ** 512n - 1n;
    expect(canonicalUserId(longest, context)).toHaveLength(512);
    expect(canonicalUserId(-(10n ** 511n) + 1n, context)).toHaveLength(512);
    expect(codeOf(() => canonicalUserId(10n ** 512n, context))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => canonicalUserId(-(10n ** 511n), context))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => canonicalUserId(10n ** 2_000_000n, context))).toBe('INVALID_ARGUMENT');
  });

  it('accepts 512 bytes of multi-byte characters', () => {
    expect(canonicalUserId('é'.repeat(256), context)).toBe('é'.repeat(256));
    expect(codeOf(() => canonicalUserId(`${'é'.repeat(256)}x`, context))).toBe('INVALID_ARGUMENT');
  });
});

describe('validateSessionId', () => {
  it('treats colons, braces, quotes, % and glob characters as ordinary', () => {
    for (const id of ['a:b', '{x}', `'"`, '%_*?[]', 'DROP TABLE x;--', '😀']) {
      expect(validateSessionId(id, context)).toBe(id);
    }
  });

  it('names the argument in its message and never echoes a long id', () => {
    const secret = 'secret-token-'.repeat(40);
    try {
      validateSessionId(`${secret}\u0000`, context);
      throw new Error('expected a rejection');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('@sessionstore/core: get()');
      expect(message).toContain('sessionId');
      expect(message).not.toContain('secret-token');
    }
  });
});

describe('validateTtlSeconds', () => {
  it('accepts 1 and 2,147,483,647', () => {
    expect(validateTtlSeconds(1, context)).toBe(1);
    expect(validateTtlSeconds(MAX_TTL_SECONDS, context)).toBe(MAX_TTL_SECONDS);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60', MAX_TTL_SECONDS + 1, null, 1n])(
    'rejects %s',
    (ttl) => {
      expect(codeOf(() => validateTtlSeconds(ttl, context))).toBe('INVALID_ARGUMENT');
    },
  );
});

describe('validateLockVersion and validateSessionIdentity', () => {
  it('accepts undefined and non-negative safe integers', () => {
    expect(validateLockVersion(undefined, context)).toBeUndefined();
    expect(validateLockVersion(0, context)).toBe(0);
    expect(validateLockVersion(7, context)).toBe(7);
  });

  it.each([-1, 1.5, '1', null, Number.MAX_SAFE_INTEGER])('rejects lockVersion %s', (value) => {
    expect(codeOf(() => validateLockVersion(value, context))).toBe('INVALID_ARGUMENT');
  });

  it('rejects sessions that are not plain objects', () => {
    class Session {
      id = 's';
      userId = 1;
    }
    for (const session of [null, 'x', [], new Session(), new Map()]) {
      expect(codeOf(() => validateSessionIdentity(session, context))).toBe('INVALID_ARGUMENT');
    }
  });

  it('names session.id and session.userId in messages', () => {
    expect(() => validateSessionIdentity({ id: '', userId: 1 }, context)).toThrow(/session\.id/);
    expect(() => validateSessionIdentity({ id: 's', userId: 1.5 }, context)).toThrow(
      /session\.userId/,
    );
  });
});

describe('checkOptionNames', () => {
  const known = ['clock', 'database', 'table', 'busyTimeoutMs', 'connectionTimeoutMillis'];
  const constructorContext = { store: '@sessionstore/example', method: 'the constructor' };

  function messageOf(options: unknown, names: readonly string[] = known): string {
    try {
      checkOptionNames(options, names, constructorContext);
    } catch (error) {
      expect(error).toBeInstanceOf(SessionStoreError);
      expect((error as SessionStoreError).code).toBe('INVALID_ARGUMENT');
      return (error as SessionStoreError).message;
    }
    return 'no error';
  }

  it('accepts known names, an empty object and known names set to undefined', () => {
    expect(messageOf({ database: 'x.db', table: 't', clock: Date.now })).toBe('no error');
    expect(messageOf({})).toBe('no error');
    expect(messageOf({ database: undefined, busyTimeoutMs: undefined })).toBe('no error');
  });

  it('ignores an unknown name whose value is undefined, as spread optional config gives', () => {
    const config: { databse?: string | undefined } = { databse: undefined };
    expect(messageOf({ database: 'x.db', ...config })).toBe('no error');
  });

  it('rejects a misspelled name, naming the package and suggesting the known one', () => {
    expect(messageOf({ databse: 'x.db' })).toBe(
      '@sessionstore/example: the constructor was called with an invalid argument: ' +
        'unknown option `databse` (did you mean `database`?).',
    );
  });

  it.each([
    ['a swap of two letters', 'tabel', 'table'],
    ['a difference of case', 'BusyTimeoutMs', 'busyTimeoutMs'],
    ['a unit suffix without its unit', 'busyTimeout', 'busyTimeoutMs'],
    ['a unit spelled differently', 'connectionTimeoutMs', 'connectionTimeoutMillis'],
  ])('suggests the known name for %s', (_kind, name, suggestion) => {
    expect(messageOf({ [name]: 1 })).toContain(`\`${name}\` (did you mean \`${suggestion}\`?)`);
  });

  it('lists the known names, without a guess, when no known name is close', () => {
    const message = messageOf({ filename: 'x.db' });
    expect(message).toContain('unknown option `filename`; the options it reads are `clock`, ');
    expect(message).not.toContain('did you mean');
    expect(message).toContain('`connectionTimeoutMillis`.');
  });

  it('names every unknown option, each with its own suggestion', () => {
    const message = messageOf({ databse: 'x.db', table: 't', colour: 'red', tabel: 't' });
    expect(message).toContain(
      'unknown options `databse` (did you mean `database`?), `colour`, `tabel` (did you mean ' +
        '`table`?); the options it reads are',
    );
  });

  it('describes an odd or long name without quoting it whole', () => {
    expect(messageOf({ 'data base': 1 })).toContain('unknown option "data base"');
    expect(messageOf({ ['x'.repeat(100)]: 1 })).toContain('unknown option a string of 100');
  });

  it.each([
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an array', [{ database: 'x.db' }], 'an array'],
    ['a connection string', 'postgres://admin:hunter2@127.0.0.1/app', 'a string'],
  ])('rejects %s in place of the options, giving only its type', (_kind, options, type) => {
    const message = messageOf(options);
    expect(message).toContain(`options must be an object, not ${type}.`);
    expect(message).not.toContain('hunter2');
  });

  it('checks names before anything reads a value: a getter on a known name is not called', () => {
    let read = false;
    const options = {
      get database() {
        read = true;
        return 'x.db';
      },
      databse: 'y.db',
    };
    expect(messageOf(options)).toContain('`databse`');
    expect(read).toBe(false);
  });

  it('lists in COMMON_STORE_OPTION_NAMES exactly the names of CommonStoreOptions', () => {
    // Checked by the type checker (`pnpm typecheck`): a name added to one but not the other
    // fails to compile.
    expectTypeOf<(typeof COMMON_STORE_OPTION_NAMES)[number]>().toEqualTypeOf<
      keyof CommonStoreOptions
    >();
    expect([...COMMON_STORE_OPTION_NAMES].sort()).toEqual([
      'clock',
      'logger',
      'maxSessionBytes',
      'pruneIntervalMs',
      'signingSecret',
    ]);
    expect(Object.isFrozen(COMMON_STORE_OPTION_NAMES)).toBe(true);
  });
});
