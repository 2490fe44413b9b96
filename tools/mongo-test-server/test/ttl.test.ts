import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

interface Session {
  _id: string;
  expiresAt?: Date | string;
  createdAt?: Date;
}

let nowMs = 1_000_000;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ clock: () => nowMs });
});

beforeEach(() => {
  harness.server.reset();
  nowMs = 1_000_000;
});

afterAll(async () => {
  await harness.close();
});

const sessions = () => harness.client.db('ttl').collection<Session>('sessions');

it('deletes documents whose date has passed by the injected clock, and no others', async () => {
  await sessions().createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await sessions().insertMany([
    { _id: 'past', expiresAt: new Date(nowMs - 1) },
    { _id: 'now', expiresAt: new Date(nowMs) },
    { _id: 'future', expiresAt: new Date(nowMs + 1) },
    { _id: 'not-a-date', expiresAt: 'soon' },
    { _id: 'no-field' },
  ]);

  expect(await harness.server.runTtlMonitor()).toBe(2);
  const left = await sessions().find().toArray();
  expect(left.map((session) => session._id)).toEqual(['future', 'not-a-date', 'no-field']);

  nowMs += 1;
  expect(await harness.server.runTtlMonitor()).toBe(1);
});

it('adds expireAfterSeconds to the indexed date', async () => {
  await sessions().createIndex({ createdAt: 1 }, { expireAfterSeconds: 60 });
  await sessions().insertOne({ _id: 'a', createdAt: new Date(nowMs) });

  nowMs += 59_999;
  expect(await harness.server.runTtlMonitor()).toBe(0);
  nowMs += 1;
  expect(await harness.server.runTtlMonitor()).toBe(1);
});

it('leaves collections without a TTL index alone', async () => {
  await sessions().createIndex({ expiresAt: 1 });
  await sessions().insertOne({ _id: 'a', expiresAt: new Date(0) });
  expect(await harness.server.runTtlMonitor()).toBe(0);
  expect(await sessions().countDocuments()).toBe(1);
});

it('expires only the documents a partial TTL index covers', async () => {
  await sessions().createIndex(
    { expiresAt: 1 },
    { expireAfterSeconds: 0, partialFilterExpression: { createdAt: { $exists: true } } },
  );
  await sessions().insertMany([
    { _id: 'covered', expiresAt: new Date(0), createdAt: new Date(0) },
    { _id: 'uncovered', expiresAt: new Date(0) },
  ]);
  expect(await harness.server.runTtlMonitor()).toBe(1);
  expect(await sessions().findOne({}, { projection: { _id: 1 } })).toEqual({ _id: 'uncovered' });
});

it('uses the expireAfterSeconds that collMod set, found by name or by key pattern', async () => {
  await sessions().createIndex({ expiresAt: 1 }, { name: 'expiresAt_1', expireAfterSeconds: 0 });
  await sessions().insertOne({ _id: 'a', expiresAt: new Date(nowMs) });
  const db = harness.client.db('ttl');

  const byName = await db.command({
    collMod: 'sessions',
    index: { name: 'expiresAt_1', expireAfterSeconds: 60 },
  });
  const unchanged = await db.command({
    collMod: 'sessions',
    index: { keyPattern: { expiresAt: 1 }, expireAfterSeconds: 60 },
  });

  expect(byName).toEqual({ expireAfterSeconds_old: 0, expireAfterSeconds_new: 60, ok: 1 });
  expect(unchanged).toEqual({ ok: 1 });
  expect((await sessions().indexes()).find((index) => index.name === 'expiresAt_1')).toMatchObject({
    expireAfterSeconds: 60,
  });
  nowMs += 59_999;
  expect(await harness.server.runTtlMonitor()).toBe(0);
  nowMs += 1;
  expect(await harness.server.runTtlMonitor()).toBe(1);
});

it.each([
  ['a collection change other than an index', { validator: {} }, 72],
  ['an index that does not exist', { index: { name: 'nope', expireAfterSeconds: 1 } }, 27],
  ['the _id index', { index: { name: '_id_', expireAfterSeconds: 1 } }, 72],
  ['a compound index', { index: { name: 'pair', expireAfterSeconds: 1 } }, 72],
  ['a negative expireAfterSeconds', { index: { name: 'pair', expireAfterSeconds: -1 } }, 72],
])('refuses collMod on %s with code %s', async (_name, change, code) => {
  await sessions().createIndex({ expiresAt: 1, createdAt: 1 }, { name: 'pair' });

  const reply = harness.client.db('ttl').command({ collMod: 'sessions', ...change });

  await expect(reply).rejects.toMatchObject({ code });
});

it('refuses collMod on a collection that does not exist with code 26', async () => {
  const reply = harness.client
    .db('ttl')
    .command({ collMod: 'missing', index: { name: 'x', expireAfterSeconds: 1 } });

  await expect(reply).rejects.toMatchObject({ code: 26 });
});
