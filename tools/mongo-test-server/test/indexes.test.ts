import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

interface Session {
  _id: string;
  user?: string;
  token?: string;
  kind?: string;
}

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

beforeEach(() => {
  harness.server.reset();
});

afterAll(async () => {
  await harness.close();
});

const sessions = () => harness.client.db('indexes').collection<Session>('sessions');

it('lists the _id index next to the ones created', async () => {
  await sessions().createIndex({ token: 1 }, { name: 'token_unique', unique: true });
  const indexes = await sessions().listIndexes().toArray();
  expect(indexes).toEqual([
    { v: 2, key: { _id: 1 }, name: '_id_' },
    { v: 2, key: { token: 1 }, name: 'token_unique', unique: true },
  ]);
});

it('creates the same index twice without error', async () => {
  await sessions().createIndex({ token: 1 }, { unique: true });
  await sessions().createIndex({ token: 1 }, { unique: true });
  expect(await sessions().listIndexes().toArray()).toHaveLength(2);
});

it('rejects a same-named index with other options with code 85', async () => {
  await sessions().createIndex({ token: 1 }, { name: 'token', unique: true });
  await expect(sessions().createIndex({ token: 1 }, { name: 'token' })).rejects.toMatchObject({
    code: 85,
  });
});

it('rejects a same-named index with another key with code 86', async () => {
  await sessions().createIndex({ token: 1 }, { name: 'token' });
  await expect(sessions().createIndex({ user: 1 }, { name: 'token' })).rejects.toMatchObject({
    code: 86,
  });
});

it('rejects the same key under another name with code 85', async () => {
  await sessions().createIndex({ token: 1 }, { name: 'first' });
  await expect(sessions().createIndex({ token: 1 }, { name: 'second' })).rejects.toMatchObject({
    code: 85,
  });
});

it('enforces a unique index with code 11000, keyPattern and keyValue', async () => {
  await sessions().createIndex({ token: 1 }, { unique: true });
  await sessions().insertOne({ _id: 'a', token: 't' });
  await expect(sessions().insertOne({ _id: 'b', token: 't' })).rejects.toMatchObject({
    code: 11000,
    keyPattern: { token: 1 },
    keyValue: { token: 't' },
  });
  await expect(
    sessions().updateOne({ _id: 'c' }, { $set: { token: 't' } }, { upsert: true }),
  ).rejects.toMatchObject({ code: 11000 });
  expect(await sessions().countDocuments()).toBe(1);
});

it('frees a unique value when its document changes or goes', async () => {
  await sessions().createIndex({ token: 1 }, { unique: true });
  await sessions().insertOne({ _id: 'a', token: 't' });
  await sessions().updateOne({ _id: 'a' }, { $set: { token: 'u' } });
  await sessions().insertOne({ _id: 'b', token: 't' });
  await sessions().deleteOne({ _id: 'a' });
  await sessions().insertOne({ _id: 'c', token: 'u' });
  expect(await sessions().countDocuments()).toBe(2);
});

it('checks a partial unique index only on the documents it covers', async () => {
  await sessions().createIndex(
    { user: 1 },
    { unique: true, partialFilterExpression: { kind: 'primary' } },
  );
  await sessions().insertMany([
    { _id: 'a', user: 'u', kind: 'primary' },
    { _id: 'b', user: 'u', kind: 'other' },
  ]);
  await expect(
    sessions().insertOne({ _id: 'c', user: 'u', kind: 'primary' }),
  ).rejects.toMatchObject({ code: 11000 });
});

it('refuses a unique index over duplicate values already stored', async () => {
  await sessions().insertMany([
    { _id: 'a', token: 't' },
    { _id: 'b', token: 't' },
  ]);
  await expect(sessions().createIndex({ token: 1 }, { unique: true })).rejects.toMatchObject({
    code: 11000,
  });
  expect(await sessions().listIndexes().toArray()).toHaveLength(1);
});

it('drops an index by name and all indexes with *', async () => {
  await sessions().createIndex({ token: 1 }, { name: 'token' });
  await sessions().createIndex({ user: 1 }, { name: 'user' });
  await sessions().dropIndex('token');
  expect((await sessions().listIndexes().toArray()).map((index) => index.name)).toEqual([
    '_id_',
    'user',
  ]);
  await sessions().dropIndexes();
  expect(await sessions().listIndexes().toArray()).toHaveLength(1);
  await expect(sessions().dropIndex('missing')).rejects.toMatchObject({ code: 27 });
});

it('creates, lists and drops collections and databases', async () => {
  const database = harness.client.db('indexes');
  await database.createCollection('made');
  await sessions().insertOne({ _id: 'a' });
  const names = (await database.listCollections().toArray()).map((entry) => entry.name);
  expect(names.sort()).toEqual(['made', 'sessions']);

  expect(await database.collection('made').drop()).toBe(true);
  expect(harness.server.stats()).toEqual({ 'indexes.sessions': 1 });
  await database.dropDatabase();
  expect(harness.server.stats()).toEqual({});
});

it('creates an existing collection again without error, as mongod 7 does', async () => {
  const database = harness.client.db('indexes');
  await database.createCollection('twice');
  await database.createCollection('twice');
  const names = (await database.listCollections({}, { nameOnly: true }).toArray()).map(
    (entry) => entry.name,
  );
  expect(names).toEqual(['twice']);
});

it('lists the databases that hold collections', async () => {
  await sessions().insertOne({ _id: 'a' });
  await harness.client.db('other').collection('empty').createIndex({ a: 1 });
  const { databases } = await harness.client.db('admin').admin().listDatabases();
  expect(databases.map(({ name, empty }) => ({ name, empty }))).toEqual([
    { name: 'indexes', empty: false },
    { name: 'other', empty: true },
  ]);
});

it('answers listIndexes on a missing collection with code 26', async () => {
  await expect(sessions().listIndexes().toArray()).rejects.toMatchObject({ code: 26 });
});
