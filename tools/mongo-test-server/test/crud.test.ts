import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MongoTestServer, startMongoTestServer } from '../src/index.js';

let server: MongoTestServer;
let client: MongoClient;

beforeAll(async () => {
  server = await startMongoTestServer();
  client = new MongoClient(server.url, { serverSelectionTimeoutMS: 2000 });
  await client.connect();
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

it('serves ping, insert, findOne, upsert, countDocuments, unique index and delete', async () => {
  const db = client.db('t');
  expect(await db.command({ ping: 1 })).toEqual({ ok: 1 });
  const c = db.collection<{ _id: string; n?: number; a?: number }>('c');
  await c.insertOne({ _id: 'x', n: 1 });
  expect(await c.findOne({ _id: 'x' })).toEqual({ _id: 'x', n: 1 });
  const r = await c.updateOne(
    { _id: 'y' },
    { $set: { n: 2 }, $setOnInsert: { a: 3 } },
    { upsert: true },
  );
  expect(r.upsertedId).toBe('y');
  expect(await c.findOne({ _id: 'y' })).toEqual({ _id: 'y', n: 2, a: 3 });
  expect(await c.countDocuments()).toBe(2);
  await c.createIndex({ n: 1 }, { unique: true });
  await expect(c.insertOne({ _id: 'z', n: 1 })).rejects.toMatchObject({ code: 11000 });
  expect((await c.deleteOne({ _id: 'x' })).deletedCount).toBe(1);
});
