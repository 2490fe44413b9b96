import type { OpenSuite } from '../suite.js';

export async function openMongoSuite(): Promise<OpenSuite> {
  throw new Error('not yet');
}
