// The runner, the clock and the assertion helpers, on their own.
import { MemorySessionStore, SessionStoreError, type StoredSession } from '@sessionstore/core';
import { describe, expect, it } from 'vitest';
import {
  assertDeepEqual,
  assertRejects,
  type ConformanceCase,
  type ConformanceHarness,
  conformanceCases,
  deepEqual,
  findDifference,
  ManualClock,
  runConformance,
} from '../src/index.js';
import { harness as hanging } from './fixtures/hanging.harness.js';
import { harness as memory } from './fixtures/memory.harness.js';

describe('ManualClock', () => {
  it('starts at the real time and moves only forward', () => {
    const before = Date.now();
    const clock = new ManualClock();

    expect(clock.now()).toBeGreaterThanOrEqual(before);
    expect(clock.now()).toBeLessThanOrEqual(Date.now());
    const start = clock.now();
    expect(clock.advance(1_500)).toBe(start + 1_500);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advanceTo(start)).toThrow(RangeError);
    expect(clock.now()).toBe(start + 1_500);
  });

  it('moves to a millisecond phase within the second', () => {
    const clock = new ManualClock(10_250);

    expect(clock.advanceToPhase(500)).toBe(10_500);
    expect(clock.advanceToPhase(500)).toBe(10_500);
    expect(clock.advanceToPhase(1)).toBe(11_001);
    expect(() => clock.advanceToPhase(1000)).toThrow(RangeError);
  });
});

describe('deep equality', () => {
  it('compares bytes, dates, bigints and -0 the way a session must round-trip', () => {
    expect(deepEqual(new Uint8Array([1, 2]), Buffer.from([1, 2]))).toBe(true);
    expect(deepEqual(Buffer.from([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(new Date(5), 5)).toBe(false);
    expect(deepEqual(1n, 1)).toBe(false);
    expect(deepEqual(2n ** 64n, 2n ** 64n)).toBe(true);
    expect(deepEqual(-0, 0)).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(deepEqual({ a: undefined }, {})).toBe(false);
    expect(deepEqual({ b: 1, a: [1, { c: 2 }] }, { a: [1, { c: 2 }], b: 1 })).toBe(true);
    expect(deepEqual([1], { 0: 1 })).toBe(false);
    expect(deepEqual(new Map(), new Map())).toBe(false);
  });

  it('sees __proto__ as an own property', () => {
    const withProto = JSON.parse('{"__proto__": {"x": 1}}') as object;

    expect(deepEqual(withProto, JSON.parse('{"__proto__": {"x": 1}}'))).toBe(true);
    expect(deepEqual(withProto, {})).toBe(false);
    expect(deepEqual({}, withProto)).toBe(false);
  });

  it('names the first difference by its path', () => {
    expect(findDifference({ a: { b: [1, 2] } }, { a: { b: [1, 3] } })).toBe(
      'value.a.b[1] is 2 where 3 was expected',
    );
    expect(() => assertDeepEqual({ 'a.b': 1 }, { 'a.b': 2 }, 'get()')).toThrow(
      'get(): value["a.b"] is 1 where 2 was expected.',
    );
  });
});

describe('assertRejects', () => {
  const error = new SessionStoreError('CONFLICT', 'pkg: upsert() conflicted.');

  it('returns the SessionStoreError with the expected code', async () => {
    await expect(assertRejects(() => Promise.reject(error), 'CONFLICT', 'x')).resolves.toBe(error);
  });

  it('fails on another code, another error, a resolution or a synchronous throw', async () => {
    await expect(assertRejects(() => Promise.reject(error), 'CLOSED', 'x')).rejects.toThrow(
      'rejected with code CONFLICT where CLOSED was expected',
    );
    await expect(
      assertRejects(() => Promise.reject(new Error('no')), 'CONFLICT', 'x'),
    ).rejects.toThrow('not a SessionStoreError');
    await expect(assertRejects(() => Promise.resolve(1), 'CONFLICT', 'x')).rejects.toThrow(
      'resolved (to 1)',
    );
    await expect(
      assertRejects(
        () => {
          throw error;
        },
        'CONFLICT',
        'x',
      ),
    ).rejects.toThrow('threw synchronously');
  });
});

describe('runConformance', () => {
  it('gives every case a stable, unique id that starts with its category', () => {
    const ids = conformanceCases.map((item) => item.id);

    expect(new Set(ids).size).toBe(ids.length);
    for (const item of conformanceCases) {
      expect(item.id).toMatch(/^[a-z-]+(\.[a-z0-9-]+)+$/);
      expect(item.id.startsWith(`${item.category}.`)).toBe(true);
    }
  });

  it('reports a hanging case by id with its watchdog, and goes on to the next', async () => {
    const results = await runConformance(hanging, {
      grep: 'contract.get.unknown-is-null',
      caseTimeoutMs: 200,
      cases: [...conformanceCases, passingCase('extra.after-the-hang')],
    });

    expect(results.results.map((result) => [result.id, result.status])).toEqual([
      ['contract.get.unknown-is-null', 'failed'],
    ]);
    const [result] = results.results;
    expect(result?.timedOut).toBe(true);
    expect(String((result?.error as Error | undefined)?.message)).toContain(
      'The case contract.get.unknown-is-null hangs: it did not settle within 200 ms',
    );

    const both = await runConformance(hanging, {
      caseTimeoutMs: 200,
      cases: [
        conformanceCases.find(
          (item) => item.id === 'contract.get.unknown-is-null',
        ) as ConformanceCase,
        passingCase('extra.after-the-hang'),
      ],
    });
    expect(both.results.map((item) => item.status)).toEqual(['failed', 'passed']);
  });

  it('closes every store a case opened, whether the case passed, failed or hung', async () => {
    const opened: MemorySessionStore<StoredSession>[] = [];
    const tracking: ConformanceHarness = {
      name: 'tracking',
      create({ clock }) {
        const store = new MemorySessionStore<StoredSession>({ clock });
        opened.push(store);
        return store;
      },
    };
    const failing: ConformanceCase = {
      id: 'extra.fails',
      category: 'extra',
      title: 'opens two stores and fails',
      async run(context) {
        await context.open();
        await context.open();
        throw new Error('planned failure');
      },
    };
    const hangingCase: ConformanceCase = {
      id: 'extra.hangs',
      category: 'extra',
      title: 'opens a store and never settles',
      async run(context) {
        await context.open();
        await new Promise(() => {});
      },
    };

    const results = await runConformance(tracking, {
      caseTimeoutMs: 100,
      cases: [failing, hangingCase, passingCase('extra.passes')],
    });

    expect(results.results.map((item) => item.status)).toEqual(['failed', 'failed', 'passed']);
    expect(opened.length).toBeGreaterThanOrEqual(4);
    expect(opened.every((store) => store.closed)).toBe(true);
  });

  it('passes the create options to openSibling and closes every sibling after the case', async () => {
    const siblings: MemorySessionStore<StoredSession>[] = [];
    const clocks: (() => number)[] = [];
    const withSiblings: ConformanceHarness = {
      name: 'with siblings',
      create: ({ clock }) => new MemorySessionStore<StoredSession>({ clock }),
      hooks: {
        openSibling(_store, { clock, maxSessionBytes }) {
          clocks.push(clock);
          const sibling = new MemorySessionStore<StoredSession>({
            clock,
            ...(maxSessionBytes === undefined ? {} : { maxSessionBytes }),
          });
          siblings.push(sibling);
          return sibling;
        },
      },
    };
    let caseClock: (() => number) | undefined;
    const twoSiblings: ConformanceCase = {
      id: 'extra.siblings',
      category: 'extra',
      title: 'opens two siblings of one store and fails',
      needs: ['hooks.openSibling'],
      async run(context) {
        caseClock = context.clock.now;
        const store = await context.open({ maxSessionBytes: 4096 });
        await context.openSibling(store);
        await context.openSibling(store);
        throw new Error('planned failure');
      },
    };

    const results = await runConformance(withSiblings, { cases: [twoSiblings] });

    expect(results.results.map((item) => item.status)).toEqual(['failed']);
    expect(siblings).toHaveLength(2);
    expect(siblings.every((store) => store.closed)).toBe(true);
    expect(clocks).toEqual([caseClock, caseClock]);
  });

  it('skips the sibling cases, with the reason, when the harness cannot open a sibling', async () => {
    const results = await runConformance(memory, { grep: 'concurrency.siblings.' });

    expect(results.results.length).toBeGreaterThanOrEqual(4);
    for (const result of results.results) {
      expect(result.status).toBe('skipped');
      expect(result.skipReason).toBe(
        'needs the harness hook hooks.openSibling, which the harness does not provide',
      );
    }
  });

  it('skips a case whose need is missing, with the reason, and never runs it', async () => {
    let ran = false;
    const needy: ConformanceCase = {
      id: 'extra.needs-hook',
      category: 'extra',
      title: 'needs writeRawRecord',
      needs: ['hooks.writeRawRecord', 'getAll'],
      async run() {
        ran = true;
      },
    };
    const getOnly: ConformanceHarness = {
      name: 'get-only',
      create: ({ clock }) => {
        const store = new MemorySessionStore({ clock });
        return {
          get: store.get.bind(store),
          upsert: store.upsert.bind(store),
          delete: store.delete.bind(store),
        };
      },
    };

    const withMemory = await runConformance(memory, { cases: [needy] });
    const withGetOnly = await runConformance(getOnly, {
      cases: [{ ...needy, needs: ['getAll'] }],
    });

    expect(ran).toBe(false);
    expect(withMemory.results[0]?.skipReason).toBe(
      'needs the harness hook hooks.writeRawRecord, which the harness does not provide',
    );
    expect(withGetOnly.results[0]?.skipReason).toBe(
      "needs the store's optional getAll() method, which it does not have",
    );
  });

  it('runs a store without optional methods: the cases that need them are skipped, the rest pass', async () => {
    const getOnly: ConformanceHarness = {
      name: 'required methods only',
      create: (options) => {
        const store = new MemorySessionStore(options);
        return {
          get: store.get.bind(store),
          upsert: store.upsert.bind(store),
          delete: store.delete.bind(store),
        };
      },
    };

    const results = await runConformance(getOnly);

    expect(results.failed).toBe(0);
    expect(results.skipped).toBeGreaterThan(20);
    expect(results.passed).toBeGreaterThan(60);
  });

  it('reports each result through onResult, honours grep and calls teardown once', async () => {
    const seen: string[] = [];
    let teardowns = 0;
    const harness: ConformanceHarness = { ...memory, teardown: () => void teardowns++ };

    const results = await runConformance(harness, {
      grep: 'LOCKING.CREATE',
      onResult: (result) => seen.push(result.id),
    });

    expect(seen).toEqual(results.results.map((result) => result.id));
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((id) => id.startsWith('locking.create.'))).toBe(true);
    expect(teardowns).toBe(1);
  });
});

function passingCase(id: string): ConformanceCase {
  return { id, category: 'extra', title: 'passes', run: async () => {} };
}
