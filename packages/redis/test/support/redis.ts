import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The machine's Redis, as CI and the other packages' tests use it. */
export const REDIS_URL = process.env.SESSIONSTORE_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other run shares: every key a test writes starts with it. */
export function runPrefix(label: string): string {
  return `sessionstore-test:${label}:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/**
 * Connects to the machine's Redis and checks it answers, failing with a message that says
 * how to provide one: these tests need a real server and are never skipped.
 */
export async function connectTestRedis(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `The Redis tests need a Redis server at SESSIONSTORE_REDIS_URL (now ${redactedUrl()}). ` +
        'Start one with `redis-server --port 6379 --save "" --appendonly no` or point ' +
        'SESSIONSTORE_REDIS_URL at a running server.',
      { cause: error },
    );
  }
  return client;
}

/** Deletes every key that starts with `prefix`, and only those. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for (const key of await keysWithPrefix(client, prefix)) {
    deleted += await client.del(key);
  }
  return deleted;
}

/** Every key that starts with `prefix`, found with SCAN. */
export async function keysWithPrefix(client: Redis, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

function redactedUrl(): string {
  return REDIS_URL.replace(/\/\/[^@/]*@/, '//***@');
}
