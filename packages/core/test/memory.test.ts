import { describe, expect, it, vi } from 'vitest';
import {
  MemorySessionStore,
  SessionStoreError,
  type SessionStoreEvent,
  type SessionStoreLogger,
  type StoredSession,
} from '../src/index.js';

type AnySession = StoredSession & Record<string, unknown>;

function recordingLogger(): SessionStoreLogger & { events: SessionStoreEvent[] } {
  const events: SessionStoreEvent[] = [];
  return {
    events,
    warn: (_message, event) => events.push(event),
    error: (_message, event) => events.push(event),
  };
}

describe('MemorySessionStore', () => {
  it('sweeps expired sessions on its own timer', async () => {
    vi.useFakeTimers();
    try {
      let now = 1_000_000;
      const store = new MemorySessionStore<AnySession>({ clock: () => now, pruneIntervalMs: 1000 });
      await store.upsert({ id: 'a', userId: 1 }, 1);
      await store.upsert({ id: 'b', userId: 1 }, 10);
      now += 1000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.size).toBe(1);
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('unrefs its sweep timer so it never keeps a process alive', () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    try {
      const store = new MemorySessionStore<AnySession>({ pruneIntervalMs: 5 });
      const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      void store.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('starts no timer when pruneIntervalMs is 0', () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    try {
      void new MemorySessionStore<AnySession>({ pruneIntervalMs: 0 }).close();
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects invalid options when constructed', () => {
    const invalid = [
      { clock: 5 },
      { maxSessionBytes: 0 },
      { maxSessionBytes: 1.5 },
      { pruneIntervalMs: -1 },
      { logger: { warn() {} } },
      { signingSecret: '' },
    ];
    for (const options of invalid) {
      expect(() => new MemorySessionStore(options as never)).toThrow(SessionStoreError);
    }
  });

  it('rejects a misspelled option before any other check and starts no timer', () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    try {
      // maxSessionBytes is invalid too: the unknown name is what the error is about.
      const options = { pruneIntervalMs: 5, maxSessionBytes: -1, clok: () => 0 };
      expect(() => new MemorySessionStore(options as never)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(
            '@sessionstore/core: the constructor was called with an invalid argument: unknown ' +
              'option `clok` (did you mean `clock`?)',
          ),
        }),
      );
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('accepts every common option, and any option set to undefined', async () => {
    const store = new MemorySessionStore<AnySession>({
      clock: () => 1000,
      maxSessionBytes: 2048,
      logger: recordingLogger(),
      signingSecret: 'a secret of enough length for tests',
      pruneIntervalMs: 0,
      ...({ notAnOption: undefined } as object),
    });
    await store.upsert({ id: 's', userId: 1 }, 60);
    expect(await store.get('s', 1)).toEqual({ id: 's', userId: 1 });
    await store.close();
  });

  it('round-trips signed records and reports nothing for them', async () => {
    const logger = recordingLogger();
    const store = new MemorySessionStore<AnySession>({
      signingSecret: 'k',
      logger,
      pruneIntervalMs: 0,
    });
    await store.upsert({ id: 'a', userId: 1, role: 'user' }, 60);
    expect(await store.get('a', 1)).toEqual({ id: 'a', userId: 1, role: 'user' });
    expect(logger.events).toEqual([]);
    await store.close();
  });

  it.each([
    ['NaN', () => Number.NaN],
    ['a string', () => '1000' as unknown as number],
    ['a bigint', () => 1000n as unknown as number],
    [
      'an error',
      () => {
        throw new Error('clock broke');
      },
    ],
  ])('rejects with INVALID_ARGUMENT when the clock returns %s', async (_name, clock) => {
    const store = new MemorySessionStore<AnySession>({ clock, pruneIntervalMs: 0 });
    for (const call of [
      () => store.get('a', 1),
      () => store.upsert({ id: 'a', userId: 1 }, 60),
      () => store.getAll(1),
      () => store.prune(),
    ]) {
      await expect(call()).rejects.toMatchObject({
        name: 'SessionStoreError',
        code: 'INVALID_ARGUMENT',
      });
    }
    await store.close();
  });

  it('never brings an expired session back when the clock steps backwards', async () => {
    let now = 1_000_000;
    const store = new MemorySessionStore<AnySession>({ clock: () => now, pruneIntervalMs: 0 });
    await store.upsert({ id: 'a', userId: 1 }, 1);
    now += 1_000;
    expect(await store.get('a', 1)).toBeNull();
    now -= 500;
    expect(await store.get('a', 1)).toBeNull();
    expect(await store.getAll(1)).toEqual([]);
    await store.close();
  });

  it('keeps working when the logger throws', async () => {
    const logger: SessionStoreLogger = {
      warn: () => {
        throw new Error('logger down');
      },
      error: () => {
        throw new Error('logger down');
      },
    };
    const store = new MemorySessionStore<AnySession>({ logger, pruneIntervalMs: 0 });
    await store.upsert({ id: 'a', userId: 1 }, 60);
    expect(await store.get('a', 1)).not.toBeNull();
    await store.close();
  });

  it('increments lockVersion without changing the caller object', async () => {
    const store = new MemorySessionStore<AnySession>({ pruneIntervalMs: 0 });
    const session = { id: 'a', userId: 1, lockVersion: 0 };
    await store.upsert(session, 60);
    expect(session.lockVersion).toBe(0);
    expect((await store.get('a', 1))?.lockVersion).toBe(1);
    await store.close();
  });
});
