import { after, describe, it } from 'node:test';
import type { StoredSession } from '@sessionstore/core';
import { planConformance, runPlannedCase, TEARDOWN_TIMEOUT_MS } from './bindings.js';
import type { ConformanceHarness } from './harness.js';
import { teardownWithin } from './runner.js';
import type { ConformanceOptions } from './types.js';

/**
 * Registers the conformance suite with `node:test`: a `describe(harness.name)` holding one
 * test per case. A case whose need is missing is registered as skipped, with its reason.
 * `harness.teardown` runs in `after`.
 *
 * @example
 * ```ts
 * // test/conformance.test.js, run with `node --test`
 * import { describeConformance } from '@sessionstore/conformance/node-test';
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
    after(
      async () => {
        await teardownWithin(harness);
      },
      { timeout: TEARDOWN_TIMEOUT_MS },
    );

    for (const item of planned) {
      if (item.skipReason !== undefined) {
        it(item.name, { skip: item.skipReason }, () => {});
        continue;
      }
      it(item.name, { timeout: item.timeoutMs }, async (context) => {
        const result = await runPlannedCase(run, item, options);
        if (result.status === 'skipped') {
          context.skip(result.skipReason);
        }
      });
    }
  });
}

export type { ConformanceHarness } from './harness.js';
export type { ConformanceOptions } from './types.js';
