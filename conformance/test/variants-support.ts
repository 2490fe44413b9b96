import { describe, expect, it } from 'vitest';
import { runConformance } from '../src/index.js';
import { createHarness, VARIANTS } from './fixtures/reference.harness.js';
import { EXPECTED_CATCHES, ONLY_CAUGHT_BY_MODEL, ONLY_CAUGHT_BY_SIBLINGS } from './variants.js';

/** Registers one test per flawed variant whose position modulo `parts` is `part`. */
export function describeVariants(part: number, parts: number): void {
  const flawed = VARIANTS.filter((variant) => variant !== 'none');

  describe('every planted flaw is caught', () => {
    it('lists the expected catches of every variant, and only of known ones', () => {
      expect(Object.keys(EXPECTED_CATCHES).sort()).toEqual([...flawed].sort());
    });

    for (const [index, variant] of flawed.entries()) {
      if (index % parts !== part) continue;

      it(`${variant}: caught by ${(EXPECTED_CATCHES[variant] ?? []).join(', ')}`, async () => {
        const results = await runConformance(createHarness(variant), { seed: 1 });
        const failed = results.results.filter((result) => result.status === 'failed');
        const failedIds = failed.map((result) => result.id);

        expect(failedIds).toEqual(expect.arrayContaining([...(EXPECTED_CATCHES[variant] ?? [])]));
        if (ONLY_CAUGHT_BY_MODEL.includes(variant)) {
          expect(failedIds.filter((id) => !id.startsWith('model.'))).toEqual([]);
        }
        if (ONLY_CAUGHT_BY_SIBLINGS.includes(variant)) {
          expect(failedIds.filter((id) => !id.startsWith('concurrency.siblings.'))).toEqual([]);
        }
        expect(failed.filter((result) => result.timedOut).map((result) => result.id)).toEqual([]);
        expect(results.skipped).toBe(1);
      }, 60_000);
    }
  });
}
