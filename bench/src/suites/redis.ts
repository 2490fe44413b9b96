import type { OpenSuite } from '../suite.js';

export async function openRedisSuite(): Promise<OpenSuite> {
  throw new Error('not yet');
}
