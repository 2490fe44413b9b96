// The suite against core's MemorySessionStore, through the vitest binding: every case that
// the harness can serve passes.
import { describeConformance } from '../src/vitest.js';
import { harness } from './fixtures/memory.harness.js';

describeConformance(harness);
