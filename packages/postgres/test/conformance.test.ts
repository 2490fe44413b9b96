import { describeConformance } from '@sessionstore/conformance/vitest';
// The harness imports the store through its package name, so this runs the built dist.
import { harness } from '../conformance.harness.js';

describeConformance(harness);
