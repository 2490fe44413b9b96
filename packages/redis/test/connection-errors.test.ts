import { inspect } from 'node:util';
import { SessionStoreError, type StoredSession } from '@sessionstore/core';
import { RedisSessionStore } from '@sessionstore/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  freePort,
  makeTempDir,
  removeDir,
  startRedisServer,
  type TestRedisServer,
} from './support/redis-server.js';

type TestSession = StoredSession & Record<string, unknown>;

const PASSWORD = 'connection-errors-test-password';
const WRONG_PASSWORD = 'not-the-password-5e1f9c';
const COMMAND_TIMEOUT_MS = 500;
/** A bound long enough that a call failing well within it did not wait it out. */
const LONG_COMMAND_TIMEOUT_MS = 3_000;
const RECOVERY_TIMEOUT_MS = 20_000;

let dir: string;
let server: TestRedisServer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await makeTempDir();
  server = await startRedisServer(dir, () => ['--requirepass', PASSWORD]);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

afterAll(async () => {
  await server?.stop();
  await removeDir(dir);
});

function serverUrl(password: string | undefined, port = server.port): string {
  return password === undefined
    ? `redis://127.0.0.1:${port}/0`
    : `redis://:${password}@127.0.0.1:${port}/0`;
}

function openStore(url: string, commandTimeoutMs = COMMAND_TIMEOUT_MS) {
  const store = new RedisSessionStore<TestSession>({
    url,
    prefix: 'connection-errors:',
    commandTimeoutMs,
  });
  cleanups.push(() => store.close());
  return store;
}

/** A client of the test's own, for what the test does to the server; closed after the test. */
async function openAdmin(): Promise<Redis> {
  const admin = new Redis(serverUrl(PASSWORD), { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  cleanups.push(async () => admin.disconnect());
  await admin.connect();
  return admin;
}

/** Runs `call` and returns its rejection, failing when it resolves. */
async function rejectionOf(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    () => new Error('the call resolved, though it should have failed'),
    (error: unknown) => error,
  );
  expect(SessionStoreError.is(outcome, 'UNAVAILABLE'), String(outcome)).toBe(true);
  return outcome as Error;
}

/** The error and its causes, outermost first. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && chain.length < 10; ) {
    chain.push(link);
    link = (link as { cause?: unknown }).cause;
  }
  return chain;
}

/** Everything a logger could print of an error: message, stack, own properties and causes. */
function everythingPrintable(error: unknown): string {
  return causeChain(error)
    .map((link) => `${String(link)}\n${(link as Error).stack}\n${inspect(link, { depth: 8 })}`)
    .join('\n');
}

function expectNoAddress(error: Error): void {
  expect(error.message).not.toContain(String(server.port));
  expect(error.message).not.toContain('127.0.0.1');
  expect(error.message).not.toContain(PASSWORD);
  expect(error.message).not.toContain(WRONG_PASSWORD);
}

/**
 * Stops the server and waits until `client` has seen its connection close: the server's exit
 * can be reported before the client reads the end of its socket, and a call made meanwhile
 * is sent, not held back to wait for a connection.
 */
async function stopServerSeenBy(client: RedisSessionStore<TestSession>['client']): Promise<void> {
  await server.stop();
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  while (client.status === 'ready' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(client.status).not.toBe('ready');
}

/** Retries a call until the store reaches Redis again, within a bound. */
async function waitUntilWorking(store: RedisSessionStore<TestSession>): Promise<void> {
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      await store.getAll(1);
      return;
    } catch (error) {
      if (!SessionStoreError.is(error, 'UNAVAILABLE')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`The store did not reach Redis again within ${RECOVERY_TIMEOUT_MS} ms.`);
}

/**
 * Pauses the server's clients for longer than the store's bound, so that a call on a
 * connection that works times out, and returns that call's rejection.
 */
async function timeoutOnWorkingConnection(
  store: RedisSessionStore<TestSession>,
  admin: Redis,
  commandTimeoutMs: number,
): Promise<Error> {
  await admin.call('CLIENT', 'PAUSE', String(commandTimeoutMs + 1_000), 'ALL');
  try {
    const error = await rejectionOf(store.get('s', 1));
    expect(error.message).toContain('did not answer within commandTimeoutMs');
    return error;
  } finally {
    await admin.call('CLIENT', 'UNPAUSE');
  }
}

function isRefusedSocketError(link: unknown): boolean {
  const socketError = link as { code?: unknown; syscall?: unknown };
  return socketError.code === 'ECONNREFUSED' && socketError.syscall === 'connect';
}

describe('a store opened from a url, when Redis cannot be reached', () => {
  it('names ECONNREFUSED for a port where nothing listens, with the socket error in the cause chain', async () => {
    const store = openStore(serverUrl(PASSWORD, await freePort()));

    const error = await rejectionOf(store.get('s', 1));

    expect(error.message).toContain('ECONNREFUSED');
    expect(causeChain(error).some(isRefusedSocketError)).toBe(true);
    expectNoAddress(error);
  });

  it('names ECONNREFUSED while its server is down, then works again and blames a later timeout on no old error', async () => {
    const admin = await openAdmin();
    const store = openStore(serverUrl(PASSWORD));
    await store.upsert({ id: 's', userId: 1 }, 60);

    await stopServerSeenBy(store.client);
    let error: Error;
    try {
      error = await rejectionOf(store.get('s', 1));
    } finally {
      await server.restart();
    }

    expect(error.message).toMatch(/get\(\) failed .*ECONNREFUSED/);
    expect(causeChain(error).some(isRefusedSocketError)).toBe(true);
    expectNoAddress(error);

    await waitUntilWorking(store);
    expect(await store.get('s', 1)).toBeNull(); // the server restarted empty
    await admin.ping(); // its connection is back too
    const later = await timeoutOnWorkingConnection(store, admin, COMMAND_TIMEOUT_MS);
    expect(later.message).not.toContain('ECONNREFUSED');
    expect(later.message).not.toContain('connection to Redis failed');
    expect(causeChain(later).some(isRefusedSocketError)).toBe(false);
  });

  it('names WRONGPASS at once for a wrong password, which appears nowhere in the error, and works once the server accepts it', async () => {
    const admin = await openAdmin();
    const store = openStore(serverUrl(WRONG_PASSWORD), LONG_COMMAND_TIMEOUT_MS);

    const startedMs = performance.now();
    const error = await rejectionOf(store.get('s', 1));
    const elapsedMs = performance.now() - startedMs;

    expect(error.message).toContain('WRONGPASS');
    expect(
      elapsedMs,
      'a refused login is final: the call does not wait out its bound',
    ).toBeLessThan(LONG_COMMAND_TIMEOUT_MS / 3);
    expect(causeChain(error).some((link) => String(link).includes('WRONGPASS'))).toBe(true);
    expect(everythingPrintable(error)).not.toContain(WRONG_PASSWORD);
    expectNoAddress(error);

    // The admin's connection stays logged in when the server's password changes.
    await admin.config('SET', 'requirepass', WRONG_PASSWORD);
    try {
      expect(await store.get('s', 1)).toBeNull();
      const later = await timeoutOnWorkingConnection(store, admin, LONG_COMMAND_TIMEOUT_MS);
      expect(later.message).not.toContain('WRONGPASS');
      expect(later.message).not.toContain('connection to Redis failed');
    } finally {
      await admin.config('SET', 'requirepass', PASSWORD);
    }
  });

  it('names NOAUTH at once when the url gives no password', async () => {
    const store = openStore(serverUrl(undefined), LONG_COMMAND_TIMEOUT_MS);

    const startedMs = performance.now();
    const error = await rejectionOf(store.get('s', 1));

    expect(error.message).toContain('NOAUTH');
    expect(performance.now() - startedMs).toBeLessThan(LONG_COMMAND_TIMEOUT_MS / 3);
    expectNoAddress(error);
  });
});

describe('a store on an application client, when Redis cannot be reached', () => {
  function openAppClient(): Redis {
    const client = new Redis(serverUrl(PASSWORD));
    cleanups.push(async () => client.disconnect());
    return client;
  }

  function openStoreOn(client: Redis): RedisSessionStore<TestSession> {
    const store = new RedisSessionStore<TestSession>({
      client,
      prefix: 'connection-errors-app:',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    cleanups.push(() => store.close());
    return store;
  }

  it('names the error the client reports when the application listens for its errors, and stops listening once it is back', async () => {
    const client = openAppClient();
    client.on('error', () => undefined);
    const store = openStoreOn(client);
    await store.getAll(1);

    await stopServerSeenBy(client);
    let error: Error;
    try {
      error = await rejectionOf(store.get('s', 1));
    } finally {
      await server.restart();
    }

    expect(error.message).toContain('ECONNREFUSED');
    expect(causeChain(error).some(isRefusedSocketError)).toBe(true);
    expectNoAddress(error);
    await waitUntilWorking(store);
    expect(client.listenerCount('error')).toBe(1);
  });

  it('adds no error listener to a client that has none, so ioredis still prints its errors', async () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    cleanups.push(async () => printed.mockRestore());
    const client = openAppClient();
    const store = openStoreOn(client);
    await store.getAll(1);
    const readyListeners = client.listenerCount('ready');

    await stopServerSeenBy(client);
    try {
      const waiting = rejectionOf(store.get('s', 1));
      await new Promise((resolve) => setTimeout(resolve, COMMAND_TIMEOUT_MS / 2));
      expect(client.listenerCount('ready'), 'the call waits for the connection').toBeGreaterThan(
        readyListeners,
      );
      expect(client.listenerCount('error')).toBe(0);
      expect((await waiting).message).toContain('did not answer within commandTimeoutMs');
    } finally {
      await server.restart();
    }

    expect(printed).toHaveBeenCalledWith(
      '[ioredis] Unhandled error event:',
      expect.stringContaining('ECONNREFUSED'),
    );
  });
});

describe('an error reply that carries its command', () => {
  it('is kept as a cause without the command arguments, which ioredis before 6 leaves unredacted', async () => {
    const store = openStore(serverUrl(PASSWORD, await freePort()), LONG_COMMAND_TIMEOUT_MS);
    const readyListeners = store.client.listenerCount('ready');
    const waiting = rejectionOf(store.get('s', 1));
    for (
      let turn = 0;
      turn < 1000 && store.client.listenerCount('ready') === readyListeners;
      turn++
    ) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(
      store.client.listenerCount('ready'),
      'the call waits for the connection',
    ).toBeGreaterThan(readyListeners);

    // What ioredis 5 emits when the AUTH of a handshake is refused.
    const reply = Object.assign(
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      { name: 'ReplyError', command: { name: 'auth', args: [WRONG_PASSWORD] } },
    );
    store.client.emit('error', reply);
    const error = await waiting;

    expect(error.message).toContain('WRONGPASS');
    expect(everythingPrintable(error)).toContain('WRONGPASS invalid username-password pair');
    expect(everythingPrintable(error)).not.toContain(WRONG_PASSWORD);
    expect(reply.command.args, 'the emitted error itself is left as it was').toEqual([
      WRONG_PASSWORD,
    ]);
  });
});
