import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  decodeSession,
  MemorySessionStore,
  type RecordKey,
  type RecordWrite,
  type Session,
} from '@sessionstore/core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { passed } from '../src/report.js';
import { runSoak, type SoakOptions } from '../src/runner.js';
import { ACTION_KINDS } from '../src/stats.js';

// Real time is frozen for these runs (`realNow`), so the clock moves exactly one step a
// round and a run is fixed by its seed, however slow the machine.
const START_MS = Date.UTC(2040, 0, 1);

/** A run bounded by its call count (the time bound is far away), on a fresh clock. */
async function soak(
  makeStore: (clock: ManualClock) => MemorySessionStore<Session>,
  overrides: Partial<SoakOptions> = {},
) {
  const clock = new ManualClock(START_MS, 0);
  const store = makeStore(clock);
  try {
    return await runSoak({
      store,
      clock,
      seed: 7,
      seconds: 60,
      maxCalls: 3_000,
      users: 60,
      parallelUsers: 8,
      countStored: async () => store.size,
      realNow: () => 0,
      ...overrides,
    });
  } finally {
    await store.close();
  }
}

const reference = (clock: ManualClock) =>
  new MemorySessionStore<Session>({ clock: clock.now, pruneIntervalMs: 0 });

/** Acknowledges every 25th write without making it: a lost write. */
class DroppingStore extends MemorySessionStore<Session> {
  #writes = 0;

  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    this.#writes++;
    return this.#writes % 25 === 0 ? true : super.writeRecord(write);
  }
}

/** Ignores the compare-and-set: every write with a lock version goes through. */
class NoCasStore extends MemorySessionStore<Session> {
  protected override writeRecord(write: RecordWrite): Promise<boolean> {
    return super.writeRecord({ ...write, expectedLockVersion: undefined });
  }
}

/**
 * Checks the lock version, yields, then writes: a compare-and-set that is not atomic. One
 * caller at a time sees no fault; two racing refreshes both get through.
 */
class CheckThenWriteStore extends MemorySessionStore<Session> {
  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    const expected = write.expectedLockVersion;
    if (expected === undefined || expected === 0) {
      return super.writeRecord(write);
    }

    const record = await this.readRecord(write, write.nowMs);
    const stored = record === null ? undefined : decodeSession(record, CONTEXT).lockVersion;
    await nextTurn();
    return stored === expected && super.writeRecord({ ...write, expectedLockVersion: undefined });
  }
}

const CONTEXT = { store: 'soak test', method: 'writeRecord()' };

/** Removes every session on prune(), live or not. */
class OverPruningStore extends MemorySessionStore<Session> {
  protected override async pruneExpired(): Promise<number> {
    return super.pruneExpired(Number.MAX_SAFE_INTEGER);
  }
}

/** Serves sessions one second past their expiry. */
class LateExpiryStore extends MemorySessionStore<Session> {
  protected override readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    return super.readRecord(key, nowMs - 1000);
  }
}

/** Never physically removes anything: prune() reports nothing and rows pile up. */
class NeverPrunesStore extends MemorySessionStore<Session> {
  protected override async pruneExpired(): Promise<number> {
    return 0;
  }
}

/** Fails every 40th listing as a backend outage would. */
class FlakyStore extends MemorySessionStore<Session> {
  #listings = 0;

  protected override async readUserRecords(userKey: string, nowMs: number) {
    this.#listings++;
    if (this.#listings % 40 === 0) {
      throw new Error('connection reset');
    }
    return super.readUserRecords(userKey, nowMs);
  }
}

/** Never answers a delete. */
class HangingStore extends MemorySessionStore<Session> {
  protected override deleteRecord(): Promise<void> {
    return new Promise(() => {});
  }
}

describe('runSoak against the reference model itself', () => {
  it('finds no divergence, provokes CONFLICT and INVALID_ARGUMENT, and runs every action', async () => {
    const result = await soak(reference);

    expect(result.stats.divergenceCount).toBe(0);
    expect(result.stats.unexpectedErrors).toBe(0);
    expect(result.stats.storeErrorsByCode.CONFLICT).toBeGreaterThan(0);
    expect(result.stats.storeErrorsByCode.INVALID_ARGUMENT).toBeGreaterThan(0);
    for (const kind of ACTION_KINDS) {
      expect(result.stats.actions[kind], kind).toBeGreaterThan(0);
    }
    expect(result.storedAfterPrune).toBe(result.liveSessions);
    expect(result.auditComplete).toBe(true);
    expect(passed(result)).toBe(true);
  });

  it('expires sessions: prune() removes some, and the clock moves a step per round', async () => {
    const result = await soak(reference);

    expect(result.stats.prunedByStore).toBeGreaterThan(0);
    expect(result.clockAdvancedMs).toBe(result.stats.rounds * 250);
  });

  it('issues the same calls for the same seed and other calls for another seed', async () => {
    const first = await soak(reference);
    const again = await soak(reference);
    const other = await soak(reference, { seed: 8 });

    expect(again.stats).toEqual(first.stats);
    expect(other.stats.actions).not.toEqual(first.stats.actions);
  });
});

describe('runSoak against a faulty store', () => {
  it('reports a lost write as a divergence, with the user, the call and both results', async () => {
    const result = await soak((clock) => new DroppingStore({ clock: clock.now }));

    expect(result.stats.divergenceCount).toBeGreaterThan(0);
    const [first] = result.stats.divergences;
    expect(first?.user).toEqual(expect.any(String));
    expect(first?.call).toMatch(/^(get|getAll|upsert)\(/);
    expect(`${first?.store} ${first?.difference}`).not.toBe(first?.model);
    expect(passed(result)).toBe(false);
  });

  it('reports a compare-and-set that lets a stale refresh through', async () => {
    const result = await soak((clock) => new NoCasStore({ clock: clock.now }));

    const actions = result.stats.divergences.map((divergence) => divergence.action);
    expect(actions).toEqual(expect.arrayContaining(['login']));
    expect(result.stats.divergences.some((divergence) => /lockVersion/.test(divergence.call))).toBe(
      true,
    );
  });

  it('reports a compare-and-set that is not atomic, which only racing refreshes reveal', async () => {
    const result = await soak((clock) => new CheckThenWriteStore({ clock: clock.now }));

    expect(result.stats.divergenceCount).toBeGreaterThan(0);
    for (const divergence of result.stats.divergences) {
      expect(divergence.action).toBe('racingRefresh');
      expect(divergence.store).toBe('both tabs resolved');
    }
  });

  it('reports a prune() that removes live sessions', async () => {
    const result = await soak((clock) => new OverPruningStore({ clock: clock.now }));

    expect(result.stats.divergences[0]?.call).toBe('prune()');
    expect(result.stats.divergences[0]?.store).toMatch(/^removed \d+$/);
  });

  it('reports a session served after its expiry', async () => {
    const result = await soak((clock) => new LateExpiryStore({ clock: clock.now }));

    expect(result.stats.divergenceCount).toBeGreaterThan(0);
    expect(passed(result)).toBe(false);
  });

  it('reports stored rows that prune() never removes', async () => {
    const result = await soak((clock) => new NeverPrunesStore({ clock: clock.now }));

    expect(result.stats.divergenceCount).toBe(1);
    expect(result.stats.divergences[0]?.call).toBe('count of stored sessions after prune()');
    expect(result.storedAfterPrune).toBeGreaterThan(result.liveSessions);
  });

  it('counts an outage as an unexpected UNAVAILABLE error and fails', async () => {
    const result = await soak((clock) => new FlakyStore({ clock: clock.now }));

    expect(result.stats.storeErrorsByCode.UNAVAILABLE).toBeGreaterThan(0);
    expect(result.stats.unexpectedErrors).toBe(result.stats.storeErrorsByCode.UNAVAILABLE);
    expect(result.stats.divergences[0]?.store).toMatch(/^rejected UNAVAILABLE/);
    expect(passed(result)).toBe(false);
  });

  it('gives up on a call that never settles and still ends within its time bound', async () => {
    const startedMs = Date.now();
    const result = await soak((clock) => new HangingStore({ clock: clock.now }), {
      seconds: 1,
      callTimeoutMs: 50,
    });

    expect(result.stats.storeErrorsByCode.TIMEOUT).toBeGreaterThan(0);
    expect(
      result.stats.divergences.some((divergence) => divergence.call.startsWith('delete(')),
    ).toBe(true);
    expect(Date.now() - startedMs).toBeLessThan(10_000);
  });
});
