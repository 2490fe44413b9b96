// The model cases' machinery on its own: the seed a run takes, the property driver's bounds in
// count and time, its failure report, and the reference model's copies and merges.
import * as fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CaseContext,
  CI_SEED,
  conformanceCases,
  ManualClock,
  makeSession,
  prepareRun,
  ReferenceModel,
  runConformance,
} from '../src/index.js';
import { checkProperty, ModelDivergence } from '../src/property.js';
import { harness as memory } from './fixtures/memory.harness.js';
import { createHarness } from './fixtures/reference.harness.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the seed of a run', () => {
  it('is CI_SEED under CI, unless SESSIONSTORE_CONFORMANCE_SEED or the seed option names one', async () => {
    vi.stubEnv('SESSIONSTORE_CONFORMANCE_SEED', undefined);
    vi.stubEnv('CI', 'true');
    expect((await prepareRun(memory)).seed).toBe(CI_SEED);
    expect((await prepareRun(memory, { seed: 7 })).seed).toBe(7);

    vi.stubEnv('SESSIONSTORE_CONFORMANCE_SEED', '42');
    expect((await prepareRun(memory)).seed).toBe(42);
    expect((await prepareRun(memory, { seed: 7 })).seed).toBe(7);
  });

  it('is random outside CI (CI unset, empty or "false")', async () => {
    vi.stubEnv('SESSIONSTORE_CONFORMANCE_SEED', undefined);
    const seeds = new Set<number>();
    for (const ci of [undefined, '', 'false', undefined, '', 'false']) {
      vi.stubEnv('CI', ci);
      seeds.add((await prepareRun(memory)).seed);
    }

    expect(seeds.has(CI_SEED)).toBe(false);
    // Six draws from 2^32 values: a repeat has a chance of about 3.5e-9.
    expect(seeds.size).toBe(6);
  });
});

/** A case context for driving checkProperty directly; the property opens no store. */
function fakeContext(timeLimitMs: number, seed = 5): CaseContext {
  return {
    harness: memory,
    clock: new ManualClock(),
    seed,
    signal: new AbortController().signal,
    timeLimitMs,
    open: () => Promise.reject(new Error('not used')),
    openSibling: () => Promise.reject(new Error('not used')),
    note: () => {},
    skip: () => {
      throw new Error('not used');
    },
  };
}

describe('checkProperty', () => {
  const lists = fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 20 });

  async function failureOf(seed: number): Promise<string> {
    const failure = checkProperty(fakeContext(15_000, seed), {
      arbitrary: lists,
      describe: (input) => input.map(String),
      numRuns: 200,
      minRuns: 5,
      async run(input) {
        const steps: string[] = [];
        for (const value of input) {
          steps.push(`value ${value}`);
          if (value > 50) throw new ModelDivergence(`${value} is above 50.`, steps);
        }
      },
    });
    return (await failure.then(
      () => 'passed',
      (error: Error) => error.message,
    )) as string;
  }

  it('reports a divergence shrunk to its smallest run, with its steps and the seed', async () => {
    const message = await failureOf(11);

    expect(message).toMatch(/^The store diverged from the model \(run \d+ of seed 11, shrunk \d+/);
    expect(message).toContain(': 51 is above 50.\n');
    expect(message).toContain(
      'The steps of the shrunk run, with what the store did:\n  1. value 51\n',
    );
    expect(message).toContain('Repeat it with SESSIONSTORE_CONFORMANCE_SEED=11 (or --seed 11).');
  });

  it('finds the same failure again with the same seed', async () => {
    expect(await failureOf(23)).toBe(await failureOf(23));
  });

  it('reports a run that throws something else with the shrunk input', async () => {
    const failing = checkProperty(fakeContext(15_000), {
      arbitrary: lists,
      describe: (input) => input.map((value) => `step ${value}`),
      numRuns: 50,
      minRuns: 5,
      async run() {
        throw new Error('the store could not open');
      },
    });

    await expect(failing).rejects.toThrow(
      /A run failed \(.*\): Error: the store could not open\nThe steps of the shrunk run:\n {2}1\. step 0\n/,
    );
  });

  it('fails when time runs out before a single run', async () => {
    let runs = 0;
    const failing = checkProperty(fakeContext(0), {
      arbitrary: lists,
      describe: () => [],
      numRuns: 10,
      minRuns: 3,
      run: async () => {
        runs++;
      },
    });

    await expect(failing).rejects.toThrow(/^Only 0 of 10 runs finished within \d+ ms \(seed 5\)/);
    expect(runs).toBe(0);
  });

  it('passes a run cut short by time only when enough runs finished', async () => {
    // Each run takes 100 ms of a fake clock; 40 % of a 1,000 ms limit leaves room for four.
    let fakeNowMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => fakeNowMs);
    const settings = (minRuns: number) => ({
      arbitrary: lists,
      describe: () => [],
      numRuns: 10,
      minRuns,
      run: async () => {
        fakeNowMs += 100;
      },
    });

    await expect(checkProperty(fakeContext(1_000), settings(4))).resolves.toBeUndefined();
    fakeNowMs = 0;
    await expect(checkProperty(fakeContext(1_000), settings(5))).rejects.toThrow(
      /^Only 4 of 10 runs finished/,
    );
  });
});

describe('the model cases', () => {
  const modelCases = conformanceCases.filter((item) => item.category === 'model');

  it('are a sequential and a concurrent case', () => {
    expect(modelCases.map((item) => item.id)).toEqual([
      'model.sequential.matches-model',
      'model.concurrent.serialisable',
    ]);
  });

  it('print the shrunk steps and the seed when a store diverges, the same for the same seed', async () => {
    const run = () =>
      runConformance(createHarness('sticky-lock-version'), { seed: 3, cases: modelCases });
    const first = await run();
    const second = await run();
    const sequential = first.results[0];
    const message = (sequential?.error as Error | undefined)?.message ?? '';

    expect(sequential?.status).toBe('failed');
    expect(message).toContain('(run ');
    expect(message).toContain(' of seed 3, shrunk ');
    expect(message).toMatch(/resolved where CONFLICT was expected/);
    expect(message).toMatch(/\n {2}1\. upsert\(/);
    expect(message).toContain('Repeat it with SESSIONSTORE_CONFORMANCE_SEED=3 (or --seed 3).');
    expect(sequential?.notes).toEqual([
      'seed 3 (set SESSIONSTORE_CONFORMANCE_SEED or --seed to repeat it)',
    ]);
    expect((second.results[0]?.error as Error | undefined)?.message).toBe(message);
  });
});

describe('ReferenceModel', () => {
  it('clones independently and fingerprints live entries only', () => {
    const clock = new ManualClock(1_000_000);
    const model = new ReferenceModel(clock.now);
    model.upsert(makeSession('s1', 'u1'), 2);
    model.upsert(makeSession('s2', 7n), 5);

    const copy = model.clone();
    copy.delete('s1', 'u1');
    expect(model.get('s1', 'u1')).not.toBeNull();
    expect(copy.liveFingerprint()).not.toBe(model.liveFingerprint());
    expect(model.liveExpiries()).toEqual([1_002_000, 1_005_000]);

    clock.advance(2_000);
    expect(copy.liveFingerprint()).toBe(model.liveFingerprint());
    expect(model.prune()).toBe(1);
    expect(copy.prune()).toBe(0);
  });

  it('tells 7n, 7 and "7" apart in the sessions it fingerprints', () => {
    const clock = new ManualClock(1_000_000);
    const fingerprints = [7n, 7, '7'].map((userId) => {
      const model = new ReferenceModel(clock.now);
      model.upsert(makeSession('s1', userId), 60);
      return model.liveFingerprint();
    });

    expect(new Set(fingerprints).size).toBe(3);
  });

  it('absorbs the expired entries of another model under keys it lacks', () => {
    const clock = new ManualClock(1_000_000);
    const one = new ReferenceModel(clock.now);
    const other = new ReferenceModel(clock.now);
    one.upsert(makeSession('s1', 'u1'), 1);
    other.upsert(makeSession('s2', 'u1'), 1);
    other.upsert(makeSession('s3', 'u1'), 60);
    one.upsert(makeSession('s3', 'u1'), 60);
    clock.advance(1_000);

    one.absorbExpired(other);

    expect(one.liveFingerprint()).toBe(other.liveFingerprint());
    expect(one.prune()).toBe(2);
  });
});
