import { describeConformance } from '@sessionstore/conformance/vitest';
import { beforeAll } from 'vitest';
// The harness imports the store through its package name, so this runs the built dist.
import { harness } from '../conformance.harness.js';
import { connectTestRedis } from './support/redis.js';

// Fail at once, naming SESSIONSTORE_REDIS_URL, when no server answers.
beforeAll(async () => {
  const client = await connectTestRedis();
  await client.quit();
});

describeConformance(harness);
