import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const CLUSTER_TIMEOUT_MS = 30_000;

/** A `redis-server` this test started on a loopback port, in a temp dir of its own. */
export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts the process again on the same port. */
  restart(): Promise<void>;
}

/** Finds a free loopback port by letting the kernel pick one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('Could not find a free loopback port.');
  }
  return address.port;
}

/** Makes a temp dir for servers; remove it with {@link removeDir}. */
export function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sessionstore-redis-'));
}

/** Removes a temp dir made by {@link makeTempDir}. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Starts `redis-server` bound to 127.0.0.1 on a free port, without persistence.
 *
 * @param dir - the temp dir for its files.
 * @param extraArgs - more arguments, for example the cluster settings.
 */
export async function startRedisServer(
  dir: string,
  extraArgs: (port: number) => string[] = () => [],
): Promise<TestRedisServer> {
  const port = await freePort();
  let child = await launch(port, dir, extraArgs(port));

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopProcess(child),
    restart: async () => {
      await stopProcess(child);
      child = await launch(port, dir, extraArgs(port));
    },
  };
}

/**
 * Starts three cluster-enabled masters and joins them with `redis-cli --cluster create`,
 * then waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(dir: string): Promise<TestRedisServer[]> {
  const clusterArgs = (port: number) => [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '5000',
  ];
  const servers: TestRedisServer[] = [];
  try {
    for (let count = 0; count < 3; count++) {
      servers.push(await startRedisServer(dir, clusterArgs));
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: CLUSTER_TIMEOUT_MS },
    );
    await Promise.all(servers.map((server) => waitForClusterOk(server.port)));
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  return servers;
}

async function waitForClusterOk(port: number): Promise<void> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const deadline = Date.now() + CLUSTER_TIMEOUT_MS;
  try {
    await client.connect();
    while (Date.now() < deadline) {
      const info = await client.cluster('INFO');
      if (info.includes('cluster_state:ok')) {
        return;
      }
      await sleep(100);
    }
    throw new Error(`The test cluster node on port ${port} did not reach cluster_state:ok.`);
  } finally {
    client.disconnect();
  }
}

async function launch(port: number, dir: string, extraArgs: string[]): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    ...extraArgs,
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  await waitForPing(port, child);
  return child;
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`redis-server on port ${port} exited with code ${child.exitCode}.`);
    }
    if (await answersPing(port)) {
      return;
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(
    `redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms.`,
  );
}

/** Sends an inline PING over a plain socket: any reply, even NOAUTH, means the server is up. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    const finish = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('data', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
