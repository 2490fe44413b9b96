// The suite against the reference store, through the vitest binding: with every hook and
// capability offered, including the real-time case, every case passes.
import { describeConformance } from '../src/vitest.js';
import { createHarness } from './fixtures/reference.harness.js';

describeConformance(createHarness('none', { realTimeExpiry: true }));
