// Two processes share one database file: each opens a store on it at the same moment, then
// both run 500 upserts (a fifth of them compare-and-sets on one shared session) and 100
// deleteAll at once. No SQLITE_BUSY or SQLITE_LOCKED may reach a caller, and the file must
// end holding exactly what the two processes' models say.
//
// The worker loads the built package, so this needs `pnpm build` (turbo's test task runs it).
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteSessionStore } from '../src/index.js';
import { type AnySession, temporaryDirectory } from './helpers.js';

// The users the workers write: five of their own each (see the worker's USERS).
const USER_IDS = ['a', 'b'].flatMap((name) => [0, 1, 2, 3, 4].map((user) => `${name}-u${user}`));
const WORKER = fileURLToPath(new URL('./fixtures/shared-file-worker.js', import.meta.url));

interface WorkerResult {
  type: 'done';
  sessions: Record<string, Record<string, number>>;
  casWins: number;
  errors: { step: string; code?: string; causeCode?: string; message: string }[];
}

type WorkerMessage =
  | { type: 'ready' | 'opened' }
  | WorkerResult
  | { type: 'failed'; code?: string; causeCode?: string; message: string };

class Worker {
  readonly #child: ChildProcess;
  readonly #messages: WorkerMessage[] = [];
  readonly #waiting: ((message: WorkerMessage) => void)[] = [];

  constructor(file: string, name: string, seed: number) {
    this.#child = fork(WORKER, [file, name, String(seed)], { stdio: 'inherit' });
    this.#child.on('message', (message: WorkerMessage) => {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) {
        this.#messages.push(message);
      } else {
        waiter(message);
      }
    });
  }

  next(): Promise<WorkerMessage> {
    const message = this.#messages.shift();
    return message === undefined
      ? new Promise((resolve) => this.#waiting.push(resolve))
      : Promise.resolve(message);
  }

  async expect<T extends WorkerMessage['type']>(
    type: T,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    const message = await this.next();
    if (message.type !== type) {
      throw new Error(`The worker sent ${JSON.stringify(message)} instead of "${type}".`);
    }
    return message as Extract<WorkerMessage, { type: T }>;
  }

  send(message: 'open' | 'go'): void {
    this.#child.send(message);
  }

  kill(): void {
    if (this.#child.exitCode === null) {
      this.#child.kill();
    }
  }
}

describe('two processes sharing one database file', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  let workers: Worker[] = [];

  beforeEach(() => {
    directory = temporaryDirectory();
  });

  afterEach(() => {
    for (const worker of workers) {
      worker.kill();
    }
    workers = [];
    directory.remove();
  });

  it('never lets SQLITE_BUSY or SQLITE_LOCKED reach a caller, and loses no write', async () => {
    const file = join(directory.path, 'shared.db');
    const seed = Date.now() % 1_000_000;
    workers = [new Worker(file, 'a', seed), new Worker(file, 'b', seed + 1)];
    await Promise.all(workers.map((worker) => worker.expect('ready')));

    // Both open the new file at once: WAL switch and schema creation race too.
    for (const worker of workers) worker.send('open');
    await Promise.all(workers.map((worker) => worker.expect('opened')));
    for (const worker of workers) worker.send('go');
    const results = await Promise.all(workers.map((worker) => worker.expect('done')));

    expect({ seed, errors: results.flatMap((result) => result.errors) }).toEqual({
      seed,
      errors: [],
    });

    // Each worker writes only its own users, so together the two models say it all.
    const expected = Object.assign({}, ...results.map((result) => result.sessions));
    const store = new SqliteSessionStore<AnySession>({ database: file, pruneIntervalMs: 0 });
    try {
      for (const userId of USER_IDS) {
        const stored = await store.getAll(userId);
        const sessions = Object.fromEntries(stored.map((session) => [session.id, session.write]));
        expect({ seed, userId, sessions }).toEqual({
          seed,
          userId,
          sessions: expected[userId] ?? {},
        });
      }

      const counter = await store.get('counter', 'shared');
      const wins = results.reduce((total, result) => total + result.casWins, 0);
      expect(wins).toBeGreaterThan(0);
      expect({ seed, lockVersion: counter?.lockVersion }).toEqual({ seed, lockVersion: wins });
      expect(counter?.increments).toBe(wins - 1);
    } finally {
      await store.close();
    }
  }, 60_000);
});
