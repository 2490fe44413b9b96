import net from 'node:net';
import { SessionStoreError } from '@sessionstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresSessionStore, QueryTimeoutError } from '../src/index.js';
import { uniqueName } from './support.js';

// On the store's own pool, a call cut off while its connection opens reports the store's
// QueryTimeoutError with phase "connection", never pg's own connection timeout: the pool's
// timers are set a second behind the store's bound, and the shared call timer ends a call
// that is due within a timer's resolution rather than waking again a millisecond later.

const BOUND_MS = 60;
const ATTEMPTS = 25;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** A loopback listener that accepts connections and never answers. */
async function blackHole(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

describe("the phase of a timed-out call on the store's own pool", () => {
  it('every call cut off while its connection opens reports QueryTimeoutError, phase "connection"', async () => {
    const port = await blackHole();
    const store = new PostgresSessionStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test?application_name=${uniqueName('timeout_phase')}`,
      createSchema: false,
      pruneIntervalMs: 0,
      queryTimeoutMs: BOUND_MS,
    });
    cleanups.push(() => store.close());

    const causes: string[] = [];
    const describeCause = (error: unknown): string => {
      expect(SessionStoreError.is(error, 'UNAVAILABLE')).toBe(true);
      const cause = (error as Error).cause;
      return cause instanceof QueryTimeoutError
        ? `phase:${cause.phase}`
        : `pg:${(cause as Error).message}`;
    };
    const settle = (call: Promise<unknown>) =>
      call.then(
        () => new Error('resolved'),
        (caught: unknown) => caught,
      );
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // A second call starts while the first is pending, so its bound is reached through the
      // shared timer re-armed by the first call's expiry, as on any busy store.
      const first = settle(store.get('first', 1));
      await new Promise((resolve) => setTimeout(resolve, 20 + attempt / ATTEMPTS));
      const second = settle(store.get('second', 1));
      causes.push(describeCause(await first), describeCause(await second));
    }

    expect(causes).toEqual(Array(2 * ATTEMPTS).fill('phase:connection'));
  });
});
