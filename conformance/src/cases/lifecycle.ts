import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertRejects, describeError, fail, isSessionStoreError } from '../assert.js';
import { makeSession, requireMethod } from '../fixtures.js';
import type { CaseContext, ConformanceCase } from '../types.js';

const category = 'lifecycle';

/** How long the child process may stay alive once its work is done, in ms. */
export const CHILD_EXIT_LIMIT_MS = 10_000;

/** How long the child process may take to load the harness and do its work, in ms. */
const CHILD_WORK_LIMIT_MS = 20_000;

const DONE_MARKER = 'sessionstore-conformance-child: done';

// The child imports the harness module and opens two stores on the real clock: one with the
// store's default sweep interval and one with a 1 s interval. On each it calls every method
// the store has (get, upsert with and without a lockVersion, getAll, delete, deleteAll,
// prune), then calls teardown and just ends its script: it never closes the stores. If
// anything a store started, on opening or in any call, keeps the event loop alive, the
// process does not exit.
const CHILD_SCRIPT = `
const moduleUrl = process.env.SESSIONSTORE_CONFORMANCE_CHILD_MODULE;
const loaded = await import(moduleUrl);
let harness = loaded.harness ?? loaded.default;
if (typeof harness === 'function') harness = await harness();
harness = await harness;
if (harness === null || typeof harness !== 'object' || typeof harness.create !== 'function') {
  throw new Error('The module ' + moduleUrl + ' exports no harness (harness or default).');
}
async function exercise(store, label) {
  const user = 'child-user';
  await store.upsert({ id: 'child-session', userId: user, lockVersion: 0 }, 60);
  await store.upsert({ id: 'child-session', userId: user, lockVersion: 1 }, 60);
  const read = await store.get('child-session', user);
  if (read === null || read.lockVersion !== 2) {
    throw new Error('The child could not read back the session it wrote (' + label + ').');
  }
  await store.upsert({ id: 'child-other', userId: user }, 60);
  if (store.getAll) await store.getAll(user);
  await store.delete('child-session', user);
  await store.delete('child-missing', user);
  if (store.deleteAll) await store.deleteAll(user);
  if (store.prune) await store.prune();
  await store.get('child-session', user);
}
const byDefault = await harness.create({ clock: Date.now });
await exercise(byDefault, 'the default sweep interval');
const swept = await harness.create({ clock: Date.now, pruneIntervalMs: 1000 });
await exercise(swept, 'pruneIntervalMs 1000');
await harness.teardown?.();
process.stdout.write(${JSON.stringify(`${DONE_MARKER}\n`)});
`;

/** Turns `capabilities.harnessModule` into a URL `import()` accepts. */
export function harnessModuleUrl(specifier: string, cwd = process.cwd()): string {
  if (/^(file|data):/.test(specifier)) {
    return specifier;
  }
  return pathToFileURL(isAbsolute(specifier) ? specifier : resolve(cwd, specifier)).href;
}

async function runChild(context: CaseContext, moduleUrl: string): Promise<void> {
  const exitLimitMs = context.harness.capabilities?.childExitTimeoutMs ?? CHILD_EXIT_LIMIT_MS;
  const child = spawn(process.execPath, ['--input-type=module', '--eval', CHILD_SCRIPT], {
    env: { ...process.env, SESSIONSTORE_CONFORMANCE_CHILD_MODULE: moduleUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });

  const outcome = await new Promise<'exited' | 'stuck-after-work' | 'stuck-in-work'>((settle) => {
    const workTimer = setTimeout(() => settle('stuck-in-work'), CHILD_WORK_LIMIT_MS);
    let exitTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', () => {
      if (exitTimer === undefined && stdout.includes(DONE_MARKER)) {
        clearTimeout(workTimer);
        exitTimer = setTimeout(() => settle('stuck-after-work'), exitLimitMs);
      }
    });
    child.on('exit', () => {
      clearTimeout(workTimer);
      clearTimeout(exitTimer);
      settle('exited');
    });
    context.signal.addEventListener('abort', () => settle('stuck-in-work'), { once: true });
  });

  if (outcome !== 'exited') {
    child.kill('SIGKILL');
  }
  if (outcome === 'stuck-after-work') {
    fail(
      `The child process was still alive ${exitLimitMs} ms after its work was done and ` +
        'teardown() ran, without the store being closed: something the store started keeps the ' +
        'event loop alive (a timer that is not unref()ed, a socket).',
    );
  }
  if (outcome === 'stuck-in-work') {
    fail(
      `The child process did not finish its work within ${CHILD_WORK_LIMIT_MS} ms. ${tail(stderr)}`,
    );
  }
  if (child.exitCode !== 0 || !stdout.includes(DONE_MARKER)) {
    fail(
      `The child process failed (exit code ${child.exitCode}, signal ${child.signalCode}). ${tail(stderr)}`,
    );
  }
}

function tail(stderr: string): string {
  const text = stderr.trim();
  return text === '' ? '' : `Its stderr ends: ${text.slice(-1_500)}`;
}

export const lifecycleCases: ConformanceCase[] = [
  {
    id: 'lifecycle.close.twice',
    category,
    title: 'close() twice resolves both times',
    needs: ['close'],
    async run(context) {
      const store = await context.open();
      await store.upsert(makeSession('s1', 'u1'), 60);

      const close = requireMethod(store, 'close');
      await close.call(store);
      await close.call(store);
    },
  },
  {
    id: 'lifecycle.close.concurrent',
    category,
    title: 'two close() calls at once both resolve',
    needs: ['close'],
    async run(context) {
      const store = await context.open();
      await store.upsert(makeSession('s1', 'u1'), 60);

      const close = requireMethod(store, 'close');
      await Promise.all([close.call(store), close.call(store)]);
    },
  },
  {
    id: 'lifecycle.closed.rejects-every-method',
    category,
    title: 'after close(), every method rejects CLOSED (and does not throw)',
    needs: ['close'],
    async run(context) {
      const store = await context.open();
      await store.upsert(makeSession('s1', 'u1'), 60);
      await requireMethod(store, 'close').call(store);

      const calls: [string, () => unknown][] = [
        ['get()', () => store.get('s1', 'u1')],
        ['upsert()', () => store.upsert(makeSession('s2', 'u1'), 60)],
        [
          'upsert() with lockVersion',
          () => store.upsert(makeSession('s3', 'u1', { lockVersion: 0 }), 60),
        ],
        ['delete()', () => store.delete('s1', 'u1')],
      ];
      if (store.getAll) calls.push(['getAll()', () => store.getAll?.('u1')]);
      if (store.deleteAll) calls.push(['deleteAll()', () => store.deleteAll?.('u1')]);
      if (store.prune) calls.push(['prune()', () => store.prune?.()]);

      for (const [what, action] of calls) {
        await assertRejects(action, 'CLOSED', `${what} after close()`);
      }
    },
  },
  {
    id: 'lifecycle.close.in-flight',
    category,
    title:
      'close() during operations resolves; each operation resolves or rejects with a SessionStoreError',
    needs: ['close'],
    async run(context) {
      const store = await context.open();
      const operations = Array.from({ length: 20 }, (_, index) =>
        store.upsert(makeSession(`s${index}`, 'u1'), 60),
      );

      await requireMethod(store, 'close').call(store);
      const results = await Promise.allSettled(operations);
      for (const result of results) {
        if (result.status === 'rejected' && !isSessionStoreError(result.reason)) {
          fail(
            `An upsert() in flight during close() rejected with ${describeError(result.reason)}.`,
          );
        }
      }
    },
  },
  {
    id: 'lifecycle.child-process.exits',
    category,
    title:
      'a process that opened stores (default and 1 s sweep), called every method and never closed them exits by itself',
    needs: ['capabilities.harnessModule'],
    extraTimeMs: (harness) =>
      (harness.capabilities?.childExitTimeoutMs ?? CHILD_EXIT_LIMIT_MS) + CHILD_WORK_LIMIT_MS,
    async run(context) {
      const specifier = context.harness.capabilities?.harnessModule;
      if (specifier === undefined) {
        return context.skip('needs capabilities.harnessModule');
      }

      await runChild(context, harnessModuleUrl(specifier));
    },
  },
];
