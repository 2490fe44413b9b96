import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A pending call's bound holds the process open until the call is answered: with a pool
// whose wait for a connection holds no ref()ed handle (pg-pool's own connectionTimeoutMillis
// timer is unref()ed), the process must not exit with the caller's promise unsettled.

/** Runs `script` in a child Node process from this package, returns its exit code and output. */
async function runChild(script: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const killer = setTimeout(() => child.kill(), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  return { code, output };
}

describe('a pending call and the process', () => {
  it('a call waiting for a connection is answered with UNAVAILABLE before the process exits', async () => {
    // A pool whose connect() waits on an unref()ed timer (a queue wait, as pg-pool's is) and
    // never gets a connection within the call's bound. No socket is opened: nothing leaves
    // this process.
    const script = `
      import { PostgresSessionStore } from '@sessionstore/postgres';
      const pool = {
        query: () => new Promise(() => {}),
        connect: () => new Promise((resolve) => { setTimeout(resolve, 60_000).unref(); }),
      };
      const store = new PostgresSessionStore({
        pool, createSchema: false, pruneIntervalMs: 0, queryTimeoutMs: 200,
      });
      store.get('sid', 1).then(
        () => console.log('RESOLVED'),
        (error) => console.log('REJECTED ' + error.code),
      );
    `;
    const startedMs = Date.now();
    const { code, output } = await runChild(script);
    const elapsedMs = Date.now() - startedMs;

    expect(output.trim()).toBe('REJECTED UNAVAILABLE');
    expect(code).toBe(0);
    expect(elapsedMs).toBeLessThan(5_000);
  });
});
