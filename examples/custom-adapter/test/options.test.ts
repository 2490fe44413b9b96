// The store's own option check: the conformance suite only ever passes known options.
import { SessionStoreError } from '@sessionstore/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { KeyValueSessionStore, type KeyValueSessionStoreOptions } from '../src/index.js';
import { OPTION_NAMES } from '../src/store.js';

function constructorError(options: unknown): SessionStoreError {
  try {
    new KeyValueSessionStore(options as KeyValueSessionStoreOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return error as SessionStoreError;
  }
  throw new Error('expected the constructor to throw');
}

describe('KeyValueSessionStore options', () => {
  it('rejects a misspelled map with INVALID_ARGUMENT, suggesting map', () => {
    const error = constructorError({ mpa: new Map() });

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      'example-session-store: the constructor was called with an invalid argument: unknown ' +
        'option `mpa` (did you mean `map`?).',
    );
  });

  it('uses the map it is given, with an unknown option set to undefined beside it', async () => {
    const map = new Map<string, string>();
    const store = new KeyValueSessionStore<{ id: string; userId: number }>({
      map,
      pruneIntervalMs: 0,
      ...{ mpa: undefined },
    });

    await store.upsert({ id: 's', userId: 1 }, 60);
    expect(map.size).toBeGreaterThan(0);
    await store.close();
  });

  it('checks exactly the names KeyValueSessionStoreOptions declares', () => {
    // Checked by the type checker (`pnpm typecheck`): an option added to the type but not
    // to the list would be rejected at run time, and this line would not compile.
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<
      keyof KeyValueSessionStoreOptions
    >();
    expect(new Set(OPTION_NAMES).size).toBe(OPTION_NAMES.length);
  });
});
