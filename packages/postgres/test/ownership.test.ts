import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionStore } from '../src/index.js';
import { dropSchemas, openTestPool, postgresUrl, type TestSession, uniqueName } from './support.js';

let pool: pg.Pool;
const schema = uniqueName('sessionstore_ownership_test');

beforeAll(async () => {
  pool = await openTestPool();
});

afterAll(async () => {
  await dropSchemas(pool, [schema]);
  await pool.end();
});

/** Runs `script` in a child Node process from this package; its exit code and output. */
async function runChild(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const killer = setTimeout(() => child.kill(), 15_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  return { code, output };
}

function urlWithApplicationName(applicationName: string): string {
  const url = new URL(postgresUrl);
  url.searchParams.set('application_name', applicationName);
  return url.toString();
}

async function backendCount(applicationName: string): Promise<number> {
  const { rows } = await pool.query(
    'SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows[0].count;
}

describe('ownership', () => {
  it('the constructor wants exactly one of pool and connectionString', () => {
    const both = { pool, connectionString: postgresUrl } as unknown as { pool: pg.Pool };
    const neither = {} as unknown as { pool: pg.Pool };
    const notAPool = { pool: {} } as unknown as { pool: pg.Pool };

    for (const options of [both, neither, notAPool, undefined]) {
      expect(
        () =>
          new PostgresSessionStore(
            options as ConstructorParameters<typeof PostgresSessionStore>[0],
          ),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it("close() leaves the application's pool open", async () => {
    const store = new PostgresSessionStore<TestSession>({ pool, schema, table: 'app_pool' });
    await store.upsert({ id: 's', userId: 1 }, 60);

    await store.close();
    await store.close();

    expect(pool.ending).toBe(false);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await expect(store.get('s', 1)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('close() ends the pool the store opened from a connection string', async () => {
    const applicationName = uniqueName('sessionstore_owned');
    const store = new PostgresSessionStore<TestSession>({
      connectionString: urlWithApplicationName(applicationName),
      schema,
      table: 'owned_pool',
    });
    await store.upsert({ id: 's', userId: 1 }, 60);
    expect(await backendCount(applicationName)).toBeGreaterThan(0);

    await store.close();

    // The backend exits just after the pool's client says goodbye; allow it 3 s.
    const deadline = Date.now() + 3_000;
    while ((await backendCount(applicationName)) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await backendCount(applicationName)).toBe(0);
  });

  it('a process holding an open store with its own pool exits when its work is done', async () => {
    const script = `
      import { PostgresSessionStore } from '@sessionstore/postgres';
      const store = new PostgresSessionStore({
        connectionString: process.env.SESSIONSTORE_POSTGRES_URL,
        schema: process.env.TEST_SCHEMA,
        table: 'child_process',
      });
      await store.upsert({ id: 's', userId: 1 }, 60);
      console.log(JSON.stringify(await store.get('s', 1)));
    `;
    const startedMs = Date.now();
    const { code: exitCode, output } = await runChild(script, {
      SESSIONSTORE_POSTGRES_URL: postgresUrl,
      TEST_SCHEMA: schema,
    });
    const elapsedMs = Date.now() - startedMs;

    expect(output.trim()).toBe('{"id":"s","userId":1}');
    expect(exitCode).toBe(0);
    // pg closes idle connections after 10 s by default; exiting well before that shows
    // that neither they nor the prune timer held the process.
    expect(elapsedMs).toBeLessThan(5_000);
  });

  // A pending call's bound holds the process open until the call is answered, even when the
  // pool's own wait for a connection holds no ref()ed handle (pg-pool's does not).
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
