import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CellRun, forEachLimited, measure, median, percentile } from '../src/measure.js';

describe('median', () => {
  it('returns the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });
});

describe('percentile', () => {
  it('returns the nearest-rank value of a sorted array', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);

    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
  });
});

describe('measure', () => {
  it('stops at the call budget', async () => {
    const result = await measure(async () => undefined, 4, { maxCalls: 100, maxMs: 60_000 });

    expect(result.calls).toBe(100);
  });

  it('stops at the time budget before the call budget', async () => {
    const result = await measure(() => sleep(20), 1, { maxCalls: 1000, maxMs: 50 });

    expect(result.calls).toBeGreaterThanOrEqual(1);
    expect(result.calls).toBeLessThanOrEqual(4);
  });

  it('never overlaps two calls whose indexes are equal modulo the concurrency', async () => {
    const concurrency = 4;
    const inFlight = new Array<number>(concurrency).fill(0);
    let overlaps = 0;

    await measure(
      async (index) => {
        const residue = index % concurrency;
        inFlight[residue] = (inFlight[residue] ?? 0) + 1;
        overlaps += (inFlight[residue] ?? 0) > 1 ? 1 : 0;
        await sleep(index % 3);
        inFlight[residue] = (inFlight[residue] ?? 0) - 1;
      },
      concurrency,
      { maxCalls: 64, maxMs: 60_000 },
    );

    expect(overlaps).toBe(0);
  });
});

describe('CellRun', () => {
  it('resumes each worker where it stopped, so slices make each index once, none overlapping', async () => {
    const concurrency = 4;
    const seen: number[] = [];
    const inFlight = new Array<number>(concurrency).fill(0);
    let overlaps = 0;
    const cell = new CellRun(
      async (index) => {
        const residue = index % concurrency;
        inFlight[residue] = (inFlight[residue] ?? 0) + 1;
        overlaps += (inFlight[residue] ?? 0) > 1 ? 1 : 0;
        seen.push(index);
        await sleep(1);
        inFlight[residue] = (inFlight[residue] ?? 0) - 1;
      },
      concurrency,
      40,
    );

    for (let slice = 0; slice < 200 && cell.calls < 40; slice++) {
      await cell.runFor(5);
    }

    expect(overlaps).toBe(0);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index));
    expect(cell.result().calls).toBe(40);
  });

  it('counts only the time spent in its slices', async () => {
    const cell = new CellRun(() => sleep(2), 1, 1000);
    let slicesMs = 0;

    for (let slice = 0; slice < 2; slice++) {
      const startMs = performance.now();
      await cell.runFor(20);
      slicesMs += performance.now() - startMs;
      await sleep(100);
    }

    expect(cell.result().elapsedMs).toBeLessThanOrEqual(slicesMs);
    expect(cell.result().elapsedMs).toBeGreaterThan(slicesMs - 1);
  });
});

describe('forEachLimited', () => {
  it('runs every item with at most the limit in flight', async () => {
    let inFlight = 0;
    let highest = 0;
    const seen: number[] = [];

    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      inFlight += 1;
      highest = Math.max(highest, inFlight);
      await sleep(1);
      seen.push(item);
      inFlight -= 1;
    });

    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(highest).toBe(3);
  });
});
