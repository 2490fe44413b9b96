import { MongoNetworkError, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

interface Session {
  _id: string;
  n?: number;
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

const sessions = () => harness.client.db('failures').collection<Session>('sessions');

it('fails the next insert with a duplicate key write error and does not apply it', async () => {
  harness.server.failNextWrite({ kind: 'duplicateKey' });

  const error = await sessions()
    .insertOne({ _id: 'a' })
    .catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(MongoServerError);
  expect(error).toMatchObject({ code: 11000, keyPattern: { _id: 1 }, keyValue: { _id: 'a' } });
  expect(await sessions().countDocuments()).toBe(0);
  await sessions().insertOne({ _id: 'a' });
  expect(await sessions().countDocuments()).toBe(1);
});

it('fails an upserting update with the key given', async () => {
  harness.server.failNextWrite({ kind: 'duplicateKey', keyValue: { user: 'u' } });

  await expect(
    sessions().updateOne({ _id: 'a' }, { $set: { n: 1 } }, { upsert: true }),
  ).rejects.toMatchObject({ code: 11000, keyPattern: { user: 1 }, keyValue: { user: 'u' } });
  expect(await sessions().countDocuments()).toBe(0);
});

it('fails findOneAndUpdate with a duplicate key command error', async () => {
  harness.server.failNextWrite({ kind: 'duplicateKey' });

  const error = await sessions()
    .findOneAndUpdate({ _id: 'a' }, { $set: { n: 1 } }, { upsert: true })
    .catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(MongoServerError);
  expect(error).toMatchObject({ code: 11000, codeName: 'DuplicateKey', keyValue: { _id: 'a' } });
});

it('fails a delete with the command error given', async () => {
  await sessions().insertOne({ _id: 'a' });
  harness.server.failNextWrite({
    kind: 'command',
    code: 91,
    codeName: 'ShutdownInProgress',
    errmsg: 'shutting down',
  });

  await expect(sessions().deleteOne({ _id: 'a' })).rejects.toMatchObject({
    code: 91,
    codeName: 'ShutdownInProgress',
    message: 'shutting down',
  });
  expect(await sessions().countDocuments()).toBe(1);
});

it('drops the connection for a network failure, and the client recovers', async () => {
  harness.server.failNextWrite({ kind: 'network' });

  const error = await sessions()
    .insertOne({ _id: 'a' })
    .catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(MongoNetworkError);
  expect(await sessions().countDocuments()).toBe(0);
  await sessions().insertOne({ _id: 'b' });
  expect(await sessions().findOne({ _id: 'b' })).toEqual({ _id: 'b' });
});

it('applies the write before dropping the connection with afterWrite', async () => {
  harness.server.failNextWrite({ kind: 'network', afterWrite: true });

  await expect(sessions().insertOne({ _id: 'a' })).rejects.toBeInstanceOf(MongoNetworkError);
  expect(await sessions().findOne({ _id: 'a' })).toEqual({ _id: 'a' });
});

it('waits for a write that matches the collection and command filter', async () => {
  harness.server.failNextWrite(
    { kind: 'duplicateKey' },
    { collection: 'sessions', command: 'update' },
  );
  const other = harness.client.db('failures').collection<Session>('other');

  await other.updateOne({ _id: 'x' }, { $set: { n: 1 } }, { upsert: true });
  await sessions().insertOne({ _id: 'a' });
  await expect(sessions().updateOne({ _id: 'a' }, { $set: { n: 1 } })).rejects.toMatchObject({
    code: 11000,
  });
  await sessions().updateOne({ _id: 'a' }, { $set: { n: 2 } });
  expect(await sessions().findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 2 });
});

it('uses queued failures once each, in order', async () => {
  harness.server.failNextWrite({ kind: 'duplicateKey' });
  harness.server.failNextWrite({ kind: 'command', code: 2, codeName: 'BadValue', errmsg: 'no' });

  await expect(sessions().insertOne({ _id: 'a' })).rejects.toMatchObject({ code: 11000 });
  await expect(sessions().insertOne({ _id: 'a' })).rejects.toMatchObject({ code: 2 });
  await sessions().insertOne({ _id: 'a' });
  expect(await sessions().countDocuments()).toBe(1);
});

it('refuses a failure kind it does not know', () => {
  expect(() =>
    harness.server.failNextWrite({ kind: 'timeout' } as unknown as { kind: 'network' }),
  ).toThrow(TypeError);
});
