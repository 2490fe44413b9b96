// The self-test, second half (split so the two halves run side by side).
import { describeVariants } from './variants-support.js';

describeVariants(1, 2);
