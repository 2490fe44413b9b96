import { describeConformance } from '@sessionstore/conformance/vitest';
import { SessionStoreError, type StoredSession } from '@sessionstore/core';
import { RedisSessionStore, userKeys } from '@sessionstore/redis';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisHarness } from '../conformance.harness.js';
import { TestClock } from './support/clock.js';
import {
  makeTempDir,
  removeDir,
  startRedisCluster,
  type TestRedisServer,
} from './support/redis-server.js';

type TestSession = StoredSession & Record<string, unknown>;

const HOSTILE_USER_IDS = ['{', '}', '}{', '{}', 'a}b{c', '%7B', '1:2:3', '{1}', 'app:{x}:index'];

let dir: string;
let servers: TestRedisServer[] = [];

beforeAll(async () => {
  dir = await makeTempDir();
  servers = await startRedisCluster(dir);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await removeDir(dir);
});

/** How a run's Cluster client is set up. */
interface ClientSetting {
  name: string;
  enableAutoPipelining: boolean;
  /** ioredis's own option: `'all'` offers read-only commands to replicas too. */
  scaleReads?: 'master' | 'all';
}

const CLIENT_SETTINGS: readonly ClientSetting[] = [
  { name: 'auto-pipelining off', enableAutoPipelining: false },
  { name: 'auto-pipelining on', enableAutoPipelining: true },
  { name: 'reads scaled to replicas', enableAutoPipelining: false, scaleReads: 'all' },
];

function openCluster(setting: Omit<ClientSetting, 'name'>): Cluster {
  const [first] = servers;
  if (first === undefined) {
    throw new Error('The test cluster did not start.');
  }
  return new Cluster([{ host: '127.0.0.1', port: first.port }], setting);
}

/** Runs `work` against each master directly, outside the cluster client's routing. */
async function onEachMaster<T>(work: (node: Redis) => Promise<T>): Promise<T[]> {
  return Promise.all(
    servers.map(async (server) => {
      const node = new Redis(server.port, '127.0.0.1');
      try {
        return await work(node);
      } finally {
        node.disconnect();
      }
    }),
  );
}

for (const setting of CLIENT_SETTINGS) {
  describe(`Redis Cluster, ${setting.name}`, () => {
    // The whole suite, on a Cluster client of the harness's own that teardown quits.
    describeConformance(
      createRedisHarness({
        client: () => openCluster(setting),
        name: `redis cluster, ${setting.name}`,
      }),
    );

    let cluster: Cluster;
    let clock: TestClock;
    let store: RedisSessionStore<TestSession>;

    beforeAll(async () => {
      cluster = openCluster(setting);
      clock = new TestClock();
      store = new RedisSessionStore<TestSession>({
        client: cluster,
        prefix: `cluster-${setting.name.replaceAll(' ', '-')}:`,
        clock: clock.now,
      });
    });

    afterAll(async () => {
      await store.close();
      await cluster.quit();
    });

    it('puts both keys of every hostile user id in one slot, and serves each user', async () => {
      for (const userId of HOSTILE_USER_IDS) {
        const keys = userKeys(store.prefix, userId);
        const indexSlot = await cluster.cluster('KEYSLOT', keys.index);
        expect(await cluster.cluster('KEYSLOT', keys.sessions)).toBe(indexSlot);

        await store.upsert({ id: 'same-id', userId, mark: userId }, 600);
      }

      for (const userId of HOSTILE_USER_IDS) {
        expect(await store.getAll(userId)).toEqual([{ id: 'same-id', userId, mark: userId }]);
        await store.deleteAll(userId);
        expect(await store.get('same-id', userId)).toBeNull();
      }
    });

    it('lists all 50 sessions written in parallel for one user', async () => {
      const ids = Array.from({ length: 50 }, (_, index) => `parallel-${index}`);
      await Promise.all(ids.map((id) => store.upsert({ id, userId: 'busy' }, 600)));

      const listed = await store.getAll('busy');

      expect(listed.map((session) => session.id).sort()).toEqual(ids.sort());
      await store.deleteAll('busy');
    });

    it('prunes expired sessions of users spread over every master', async () => {
      const userIds = Array.from({ length: 30 }, (_, index) => `spread-${index}`);
      const slots = await Promise.all(
        userIds.map((userId) => cluster.cluster('KEYSLOT', userKeys(store.prefix, userId).index)),
      );
      expect(new Set(slots.map((slot) => ownerOf(slot))).size).toBe(3);
      for (const userId of userIds) {
        await store.upsert({ id: 'short', userId }, 10);
        await store.upsert({ id: 'long', userId }, 600);
      }
      clock.advance(10_000);

      expect(await store.prune()).toBe(30);
      expect(await store.get('long', 'spread-0')).toEqual({ id: 'long', userId: 'spread-0' });
      for (const userId of userIds) {
        await store.deleteAll(userId);
      }
    });

    it('sends the script source again when a master forgot its scripts', async () => {
      await store.upsert({ id: 's', userId: 'scripted' }, 600);
      await onEachMaster((node) => node.script('FLUSH'));

      await store.upsert({ id: 's', userId: 'scripted', again: true }, 600);
      expect(await store.get('s', 'scripted')).toEqual({
        id: 's',
        userId: 'scripted',
        again: true,
      });
      await store.deleteAll('scripted');
    });
  });
}

describe('a Cluster client that scales reads to replicas', () => {
  // The test cluster has no replicas, so a scaleReads function notes what ioredis would offer
  // to one, and sends it to the master. A replica lags its master: a read there could miss a
  // session just written or return one deleteAll just removed.
  it('never has a read of get() or getAll() offered to a replica', async () => {
    const offeredToReplicas: string[] = [];
    const [first] = servers;
    const cluster = new Cluster([{ host: '127.0.0.1', port: first?.port ?? 0 }], {
      scaleReads: (nodes: Redis[], command: { name: string }) => {
        offeredToReplicas.push(command.name);
        return nodes[0];
      },
    });
    const store = new RedisSessionStore<TestSession>({ client: cluster, prefix: 'replica-reads:' });

    try {
      await store.upsert({ id: 's1', userId: 'u1' }, 600);
      expect(await store.get('s1', 'u1')).toEqual({ id: 's1', userId: 'u1' });
      expect(await store.getAll('u1')).toHaveLength(1);
      await store.deleteAll('u1');

      expect(offeredToReplicas).toEqual([]);
    } finally {
      await store.close();
      await cluster.quit();
    }
  });
});

describe('the cluster after every run', () => {
  it('never answered a command with CROSSSLOT', async () => {
    const errorStats = await onEachMaster((node) => node.info('errorstats'));

    for (const stats of errorStats) {
      expect(stats).not.toMatch(/CROSSSLOT/i);
    }
  });
});

describe('a cluster with one master down', () => {
  it('rejects calls for that master with UNAVAILABLE within the bound, serves the others, then recovers', async () => {
    const cluster = openCluster({ enableAutoPipelining: false });
    cluster.on('error', () => undefined);
    const store = new RedisSessionStore<TestSession>({
      client: cluster,
      prefix: 'cluster-outage:',
      commandTimeoutMs: 500,
    });
    const stopped = servers[1];
    if (stopped === undefined) throw new Error('The test cluster has no second master.');
    const userIds = Array.from({ length: 30 }, (_, index) => `outage-${index}`);
    const onStopped = await usersServedBy(cluster, stopped.port, userIds);
    const elsewhere = userIds.filter((userId) => !onStopped.includes(userId));
    expect(onStopped.length).toBeGreaterThan(0);

    try {
      await stopped.stop();
      for (const userId of onStopped.slice(0, 3)) {
        const startedMs = performance.now();
        await expect(store.upsert({ id: 's', userId }, 600)).rejects.toMatchObject({
          code: 'UNAVAILABLE',
        });
        expect(performance.now() - startedMs).toBeLessThan(900);
      }
      for (const userId of elsewhere.slice(0, 3)) {
        await store.upsert({ id: 's', userId }, 600);
        expect(await store.get('s', userId)).toEqual({ id: 's', userId });
      }
    } finally {
      await stopped.restart();
    }

    await eventually(() => store.upsert({ id: 'back', userId: onStopped[0] ?? '' }, 600));
    expect(await store.get('back', onStopped[0] ?? '')).toMatchObject({ id: 'back' });
    await store.close();
    cluster.disconnect();
  });
});

describe('prune() on a cluster whose client has lost a master', () => {
  it('sweeps the masters it reaches, then rejects with UNAVAILABLE naming the unswept slots', async () => {
    const cluster = openCluster({ enableAutoPipelining: false });
    cluster.on('error', () => undefined);
    const clock = new TestClock();
    const store = new RedisSessionStore<TestSession>({
      client: cluster,
      prefix: 'cluster-outage:',
      commandTimeoutMs: 500,
      clock: clock.now,
    });
    const stopped = servers[2];
    if (stopped === undefined) throw new Error('The test cluster has no third master.');
    const userIds = Array.from({ length: 30 }, (_, index) => `prune-outage-${index}`);
    const onStopped = await usersServedBy(cluster, stopped.port, userIds);
    const elsewhere = userIds.filter((userId) => !onStopped.includes(userId));
    expect(onStopped.length).toBeGreaterThan(0);
    for (const userId of userIds) {
      await store.upsert({ id: 'short', userId }, 10);
    }
    clock.advance(10_000);

    let error: unknown;
    try {
      await stopped.stop();
      // ioredis drops a lost master from its node list once that connection ends.
      for (let turn = 0; turn < 100 && cluster.nodes('master').length > 2; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(cluster.nodes('master')).toHaveLength(2);

      error = await store.prune().then(
        (removed) => new Error(`prune() resolved with ${removed} while a master was down`),
        (rejection: unknown) => rejection,
      );
      for (const userId of elsewhere) {
        expect(await cluster.exists(userKeys(store.prefix, userId).index), userId).toBe(0);
      }
    } finally {
      await stopped.restart();
    }

    expect(SessionStoreError.is(error, 'UNAVAILABLE'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/prune\(\).* \d+ of 16384 hash slots/);
    expect((error as Error).message).not.toContain(String(stopped.port));
    // Once the master is back (empty: the test servers keep no data), a pass covers it again.
    await eventually(() => store.prune());
    for (const userId of onStopped) {
      await eventually(() => store.upsert({ id: 'short', userId }, 10));
    }
    clock.advance(10_000);
    expect(await store.prune()).toBe(onStopped.length);
    await store.close();
    cluster.disconnect();
  });
});

/** The users whose keys live on the master listening on `port`, by CLUSTER SLOTS. */
async function usersServedBy(cluster: Cluster, port: number, userIds: string[]): Promise<string[]> {
  const ranges = await cluster.cluster('SLOTS');
  const served: string[] = [];
  for (const userId of userIds) {
    const slot = await cluster.cluster('KEYSLOT', userKeys('cluster-outage:', userId).index);
    const range = ranges.find(([first, last]) => slot >= first && slot <= last);
    if (range?.[2]?.[1] === port) served.push(userId);
  }
  return served;
}

/** Retries `work` until it resolves, for at most 20 s. */
async function eventually(work: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await work();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Which of the three masters serves a slot, by the even split `--cluster create` makes. */
function ownerOf(slot: number): number {
  return Math.min(2, Math.floor(slot / (16384 / 3)));
}
