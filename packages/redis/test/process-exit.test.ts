import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  removeDir,
  startRedisServer,
  type TestRedisServer,
} from './support/redis-server.js';
import { type SilencingProxy, startSilencingProxy } from './support/tcp-proxy.js';

/** The built package, as an application would import it. */
const PACKAGE_URL = new URL('../dist/index.js', import.meta.url).href;
/** How long a child may live once its work is done: it should exit at once. */
const EXIT_LIMIT_MS = 5_000;
/** How long a child may take for everything, as a last resort against a hung test. */
const CHILD_LIMIT_MS = 20_000;
const WORK_DONE = 'child: work done';

let dir: string;
let server: TestRedisServer;
let proxy: SilencingProxy | undefined;

beforeAll(async () => {
  dir = await makeTempDir();
  server = await startRedisServer(dir);
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

afterAll(async () => {
  await server?.stop();
  await removeDir(dir);
});

interface ChildRun {
  /** Resolves once the child printed `marker`. */
  printed(marker: string): Promise<void>;
  /** Resolves with the exit code, and how long after `since` the child exited. */
  exited(): Promise<{ code: number | null; stdout: string; stderr: string; atMs: number }>;
}

/** Runs `script` in a child Node process with the package's URL in `PACKAGE_URL`. */
function runChild(script: string, env: Record<string, string>): ChildRun {
  const child = spawn(process.execPath, ['--input-type=module', '--eval', script], {
    env: { ...process.env, ...env, PACKAGE_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting = new Set<{ marker: string; resolve: () => void }>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiting) {
      if (stdout.includes(waiter.marker)) {
        waiting.delete(waiter);
        waiter.resolve();
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string; atMs: number }>(
    (resolve) => {
      child.on('exit', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr, atMs: performance.now() });
      });
    },
  );

  return {
    printed: (marker) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(marker)) return resolve();
        waiting.add({ marker, resolve });
        exit.then(() =>
          reject(new Error(`The child exited before printing "${marker}": ${stderr}`)),
        );
      }),
    exited: () => exit,
  };
}

const OPEN_AND_WORK = `
const { RedisSessionStore } = await import(process.env.PACKAGE_URL);
const store = new RedisSessionStore({
  url: process.env.STORE_URL,
  prefix: 'process-exit-' + process.pid + ':',
  commandTimeoutMs: 2000,
});
await store.upsert({ id: 's', userId: 1 }, 60);
await store.getAll(1);
await store.prune();
await store.delete('s', 1);
`;

describe('a process holding a store opened from a url, never closed', () => {
  it('exits once its work is done', async () => {
    const run = runChild(`${OPEN_AND_WORK}\nconsole.log(${JSON.stringify(WORK_DONE)});`, {
      STORE_URL: server.url,
    });

    await run.printed(WORK_DONE);
    const doneMs = performance.now();
    const { code, stderr, atMs } = await run.exited();

    expect(code, stderr).toBe(0);
    expect(atMs - doneMs).toBeLessThan(EXIT_LIMIT_MS);
  });

  it('still gets the reply of a call it awaits, when that reply is slow', async () => {
    proxy = await startSilencingProxy(server.port);
    const run = runChild(
      `${OPEN_AND_WORK}
console.log('child: ready for slow replies');
// A timer of its own gives the test time to slow the proxy down; then nothing but the
// awaited call is left.
await new Promise((resolve) => setTimeout(resolve, 500));
const reply = await store.get('missing', 1);
console.log('child: reply ' + JSON.stringify(reply));`,
      { STORE_URL: `redis://127.0.0.1:${proxy.port}` },
    );

    await run.printed('child: ready for slow replies');
    proxy.delayReplies(500);
    const { code, stdout, stderr } = await run.exited();

    expect(code, stderr).toBe(0);
    expect(stdout).toContain('child: reply null');
  });

  it('exits when Redis goes away while the store is idle', async () => {
    const outage = await startRedisServer(dir);
    const run = runChild(
      `${OPEN_AND_WORK}
console.log(${JSON.stringify(WORK_DONE)});
// Stays alive a moment on a timer of its own, while the test stops the server.
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log('child: waited');`,
      { STORE_URL: outage.url },
    );

    try {
      await run.printed(WORK_DONE);
      await outage.stop();
      await run.printed('child: waited');
      const waitedMs = performance.now();
      const { code, stderr, atMs } = await run.exited();

      expect(code, stderr).toBe(0);
      expect(atMs - waitedMs).toBeLessThan(EXIT_LIMIT_MS);
    } finally {
      await outage.stop();
    }
  });
});
