import type { StoredSession } from '@sessionstore/core';
import { afterAll, describe, it } from 'vitest';
import { planConformance, runPlannedCase, TEARDOWN_TIMEOUT_MS } from './bindings.js';
import type { ConformanceHarness } from './harness.js';
import { teardownWithin } from './runner.js';
import type { ConformanceOptions } from './types.js';

/**
 * Registers the conformance suite with vitest: a `describe(harness.name)` holding one test per
 * case. A case whose need is missing is registered with `it.skip`, its reason in the title.
 * `harness.teardown` runs in `afterAll`.
 *
 * @example
 * ```ts
 * // test/conformance.test.ts
 * import { describeConformance } from '@sessionstore/conformance/vitest';
 * import { harness } from '../conformance.harness.js';
 *
 * describeConformance(harness);
 * ```
 */
export function describeConformance<S extends StoredSession>(
  harness: ConformanceHarness<S>,
  options: ConformanceOptions = {},
): void {
  describe(harness.name, async () => {
    const { run, planned } = await planConformance(harness, options);
    afterAll(async () => {
      await teardownWithin(harness);
    }, TEARDOWN_TIMEOUT_MS);

    for (const item of planned) {
      if (item.skipReason !== undefined) {
        it.skip(item.name, () => {});
        continue;
      }
      it(
        item.name,
        async (context) => {
          const result = await runPlannedCase(run, item, options);
          if (result.status === 'skipped') {
            context.skip(result.skipReason);
          }
        },
        item.timeoutMs,
      );
    }
  });
}

export type { ConformanceHarness } from './harness.js';
export type { ConformanceOptions } from './types.js';
