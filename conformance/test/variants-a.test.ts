// The self-test, first half: each flaw planted in the reference store is caught by the
// cases meant to catch it.
import { describeVariants } from './variants-support.js';

describeVariants(0, 2);
