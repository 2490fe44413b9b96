import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/index.js';

// Revoking a session must not depend on the clock: a clock that throws or returns NaN still
// lets delete() remove the session, as deleteAll() always could.

function storeWithBreakableClock() {
  let nowMs = 1_700_000_000_000;
  let broken: (() => number) | undefined;
  const store = new MemorySessionStore({
    pruneIntervalMs: 0,
    clock: () => (broken ?? (() => nowMs))(),
  });
  return {
    store,
    breakClock: (reading: () => number) => {
      broken = reading;
    },
    fixClock: () => {
      broken = undefined;
      nowMs += 1;
    },
  };
}

describe('delete() does not depend on the clock', () => {
  it('delete() succeeds and revokes the session while the clock throws', async () => {
    const { store, breakClock, fixClock } = storeWithBreakableClock();
    await store.upsert({ id: 'sid', userId: 1 } as never, 60);
    breakClock(() => {
      throw new Error('time source down');
    });

    const outcome = await store.delete('sid', 1).then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );
    fixClock();

    expect(outcome).toBe('ok');
    expect(await store.get('sid', 1)).toBeNull();
  });

  it('delete() succeeds while the clock returns NaN, as deleteAll() does', async () => {
    const { store, breakClock } = storeWithBreakableClock();
    await store.upsert({ id: 'sid', userId: 1 } as never, 60);
    breakClock(() => Number.NaN);

    await expect(store.deleteAll(1)).resolves.toBeUndefined();
    await expect(store.delete('sid', 1)).resolves.toBeUndefined();
  });
});
