import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ServiceError } from './services.js';

const runFile = promisify(execFile);

/** Masters of the soak's cluster: the fewest Redis accepts. */
const MASTER_COUNT = 3;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;

/** A Redis Cluster of `redis-server` processes the soak started on loopback ports. */
export interface SoakCluster {
  /** The masters' ports, all on 127.0.0.1. */
  readonly ports: readonly number[];
  /** Stops every process and removes their directory. */
  stop(): Promise<void>;
}

const HINT =
  'The redis-cluster soak starts its own servers from the redis-server and redis-cli ' +
  'binaries (Debian: apt-get install redis-server); they must be on PATH.';

/**
 * Starts three `redis-server` processes with cluster mode on, bound to 127.0.0.1, without
 * persistence, in a temporary directory, joins them into one cluster and waits until it
 * serves every slot.
 *
 * @throws {@link ServiceError} when a server does not start or the cluster does not form in time.
 */
export async function startCluster(): Promise<SoakCluster> {
  const directory = await mkdtemp(join(tmpdir(), 'sessionstore-soak-cluster-'));
  directories.add(directory);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopProcess));
    await rm(directory, { recursive: true, force: true });
    directories.delete(directory);
  };

  try {
    const ports: number[] = [];
    for (let index = 0; index < MASTER_COUNT; index++) {
      const port = await freePort();
      children.push(launch(port, directory));
      ports.push(port);
    }
    await Promise.all(ports.map((port) => waitFor(() => ping(port), `redis-server on ${port}`)));
    await createCluster(ports);
    await Promise.all(
      ports.map((port) => waitFor(() => clusterOk(port), `the cluster on ${port}`)),
    );
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error instanceof ServiceError
      ? error
      : new ServiceError(`soak: could not start a Redis Cluster. ${HINT}`, { cause: error });
  }
}

/**
 * Servers still running. Should the process end without a clean stop (the soak's hard time
 * cap, or a second Ctrl-C), they are killed on exit rather than left behind.
 */
const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.on('exit', () => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
  for (const directory of directories) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function launch(port: number, directory: string): ChildProcess {
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--dir',
      directory,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  child.on('error', () => {}); // A missing binary shows up as a server that never answers.
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function createCluster(ports: readonly number[]): Promise<void> {
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  await runFile('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-yes'], {
    timeout: START_TIMEOUT_MS,
  });
}

async function ping(port: number): Promise<boolean> {
  const { stdout } = await runFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], {
    timeout: 2_000,
  });
  return stdout.trim() === 'PONG';
}

async function clusterOk(port: number): Promise<boolean> {
  const { stdout } = await runFile(
    'redis-cli',
    ['-h', '127.0.0.1', '-p', String(port), 'CLUSTER', 'INFO'],
    { timeout: 2_000 },
  );
  return /cluster_state:ok/.test(stdout);
}

/** Polls `check` until it holds, at most {@link START_TIMEOUT_MS}. */
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const attempts = START_TIMEOUT_MS / POLL_INTERVAL_MS;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check().catch(() => false)) {
      return;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new ServiceError(`soak: ${what} was not ready within ${START_TIMEOUT_MS} ms. ${HINT}`);
}

/** Ends a server the soak started: SIGTERM, then SIGKILL if it does not exit in time. */
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

/** A free loopback port, picked by the kernel. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new ServiceError('soak: could not find a free loopback port.');
  }
  return address.port;
}
