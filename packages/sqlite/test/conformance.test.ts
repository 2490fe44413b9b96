// The shared conformance suite first, through the same harness the CLI uses.
import { describeConformance } from '@sessionstore/conformance/vitest';
import { harness } from '../conformance.harness.js';

describeConformance(harness);
