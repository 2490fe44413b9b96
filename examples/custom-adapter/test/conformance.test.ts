// The sessionstore conformance suite, through its vitest binding: one vitest test per case.
// The same harness runs through the CLI in this package's `test` script.
import { describeConformance } from '@sessionstore/conformance/vitest';
import { harness } from '../conformance.harness.js';

describeConformance(harness);
