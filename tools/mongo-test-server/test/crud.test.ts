import { MongoServerError, ObjectId } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

interface Row {
  _id: string;
  n?: number;
  tag?: string;
  at?: Date;
  created?: boolean;
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

const rows = () => harness.client.db('crud').collection<Row>('rows');

describe('connection', () => {
  it('answers ping with ok 1', async () => {
    expect(await harness.client.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });

  it('answers buildInfo with a 7.0 version', async () => {
    const info = await harness.client.db('admin').command({ buildInfo: 1 });
    expect(info.version).toBe('7.0.0');
  });

  it('matches command names without regard to case', async () => {
    const reply = await harness.client.db('admin').command({ ISMASTER: 1 });
    expect(reply.ismaster).toBe(true);
  });

  it('stops reporting commands to a listener once it unsubscribes', async () => {
    const names: string[] = [];
    const unsubscribe = harness.server.onCommand((event) => names.push(event.name));
    await harness.client.db('admin').command({ ping: 1 });
    unsubscribe();
    await harness.client.db('admin').command({ ping: 1 });
    // Heartbeats may arrive in between; only the pings tell.
    expect(names.filter((name) => name === 'ping')).toEqual(['ping']);
  });

  it('rejects an unknown command with code 59', async () => {
    await expect(harness.client.db('admin').command({ noSuchThing: 1 })).rejects.toMatchObject({
      code: 59,
      codeName: 'CommandNotFound',
    });
  });
});

describe('insert and find', () => {
  it('generates an ObjectId _id when the document has none', async () => {
    const collection = harness.client.db('crud').collection<{ n: number }>('generated');
    const { insertedId } = await collection.insertOne({ n: 1 });
    expect(insertedId).toBeInstanceOf(ObjectId);
    expect(await collection.findOne({ _id: insertedId })).toEqual({ _id: insertedId, n: 1 });
  });

  it('applies filter, sort, skip, limit and projection', async () => {
    await rows().insertMany([
      { _id: 'a', n: 3, tag: 'x' },
      { _id: 'b', n: 1, tag: 'x' },
      { _id: 'c', n: 2, tag: 'x' },
      { _id: 'd', n: 4, tag: 'y' },
    ]);
    const found = await rows()
      .find({ tag: 'x' }, { projection: { tag: 0 } })
      .sort({ n: -1 })
      .skip(1)
      .limit(2)
      .toArray();
    expect(found).toEqual([
      { _id: 'c', n: 2 },
      { _id: 'b', n: 1 },
    ]);
  });

  it('compares dates and strings in range filters and sorts', async () => {
    await rows().insertMany([
      { _id: 'k2', at: new Date(2_000) },
      { _id: 'k1', at: new Date(1_000) },
      { _id: 'k3', at: new Date(3_000) },
    ]);
    const early = await rows()
      .find({ at: { $lte: new Date(2_000) } })
      .sort({ at: 1 })
      .toArray();
    expect(early.map((row) => row._id)).toEqual(['k1', 'k2']);
    const after = await rows()
      .find({ _id: { $gt: 'k1' } })
      .sort({ _id: -1 })
      .toArray();
    expect(after.map((row) => row._id)).toEqual(['k3', 'k2']);
  });

  it('stops an ordered insertMany at the first duplicate and reports its index', async () => {
    const error = await rows()
      .insertMany([{ _id: 'a' }, { _id: 'a' }, { _id: 'b' }])
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 11000, writeErrors: [{ index: 1 }] });
    expect(await rows().countDocuments()).toBe(1);
  });

  it('carries on after a duplicate in an unordered insertMany', async () => {
    await expect(
      rows().insertMany([{ _id: 'a' }, { _id: 'a' }, { _id: 'b' }], { ordered: false }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await rows().countDocuments()).toBe(2);
  });

  it('keeps documents whose _id is a document apart by every field', async () => {
    const nested = harness.client.db('crud').collection<{ _id: { u: string; s: string } }>('ids');
    await nested.insertMany([{ _id: { u: 'u1', s: 's1' } }, { _id: { u: 'u1', s: 's2' } }]);
    expect(await nested.countDocuments({ '_id.u': 'u1' })).toBe(2);
    expect(await nested.findOne({ _id: { u: 'u1', s: 's2' } })).toEqual({
      _id: { u: 'u1', s: 's2' },
    });
  });
});

describe('update', () => {
  it('reports matched and modified counts, and zero modified for a no-op', async () => {
    await rows().insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 1 },
    ]);
    const changed = await rows().updateMany({ n: 1 }, { $inc: { n: 1 } });
    expect(changed).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    const unchanged = await rows().updateOne({ _id: 'a' }, { $set: { n: 2 } });
    expect(unchanged).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
  });

  it('upserts from the filter equalities and applies $setOnInsert only on insert', async () => {
    const filter = { _id: 'u', tag: { $eq: 't' } };
    const update = { $set: { n: 1 }, $setOnInsert: { created: true } };
    const inserted = await rows().updateOne(filter, update, { upsert: true });
    expect(inserted).toMatchObject({ upsertedId: 'u', upsertedCount: 1, matchedCount: 0 });
    expect(await rows().findOne({ _id: 'u' })).toEqual({ _id: 'u', tag: 't', n: 1, created: true });

    await rows().updateOne({ _id: 'u' }, { $set: { n: 2 }, $unset: { created: '' } });
    await rows().updateOne(filter, update, { upsert: true });
    expect(await rows().findOne({ _id: 'u' })).toEqual({ _id: 'u', tag: 't', n: 1 });
  });

  it('does not upsert when a conditional filter misses an existing document', async () => {
    await rows().insertOne({ _id: 'v', n: 5 });
    const error = await rows()
      .updateOne({ _id: 'v', n: 4 }, { $set: { n: 6 } }, { upsert: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 11000, keyValue: { _id: 'v' } });
    expect(await rows().findOne({ _id: 'v' })).toEqual({ _id: 'v', n: 5 });
  });

  it('replaces a document and keeps its _id', async () => {
    await rows().insertOne({ _id: 'r', n: 1, tag: 'old' });
    await rows().replaceOne({ _id: 'r' }, { n: 2 });
    expect(await rows().findOne({ _id: 'r' })).toEqual({ _id: 'r', n: 2 });
  });

  it('upserts a replacement with the _id from the filter', async () => {
    const result = await rows().replaceOne({ _id: 'new' }, { n: 7 }, { upsert: true });
    expect(result.upsertedId).toBe('new');
    expect(await rows().findOne({ _id: 'new' })).toEqual({ _id: 'new', n: 7 });
  });

  it('applies an aggregation pipeline update', async () => {
    await rows().insertOne({ _id: 'p', n: 2 });
    await rows().updateOne({ _id: 'p' }, [{ $set: { tag: 'piped', n: { $add: ['$n', 1] } } }]);
    expect(await rows().findOne({ _id: 'p' })).toEqual({ _id: 'p', n: 3, tag: 'piped' });
  });

  it('refuses to change _id with code 66', async () => {
    await rows().insertOne({ _id: 'fixed' });
    await expect(
      rows().updateOne({ _id: 'fixed' }, { $set: { _id: 'moved' } }),
    ).rejects.toMatchObject({ code: 66 });
  });
});

describe('findAndModify', () => {
  it('returns the document before or after the update', async () => {
    await rows().insertOne({ _id: 'f', n: 1 });
    const before = await rows().findOneAndUpdate({ _id: 'f' }, { $inc: { n: 1 } });
    expect(before).toEqual({ _id: 'f', n: 1 });
    const after = await rows().findOneAndUpdate(
      { _id: 'f' },
      { $inc: { n: 1 } },
      { returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(after).toEqual({ n: 3 });
  });

  it('upserts and reports it in lastErrorObject', async () => {
    const result = await rows().findOneAndUpdate(
      { _id: 'g' },
      { $setOnInsert: { n: 1 } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    expect(result.value).toEqual({ _id: 'g', n: 1 });
    expect(result.lastErrorObject).toEqual({ n: 1, updatedExisting: false, upserted: 'g' });
  });

  it('returns null when nothing matches and upsert is off', async () => {
    expect(await rows().findOneAndUpdate({ _id: 'none' }, { $set: { n: 1 } })).toBeNull();
  });

  it('deletes the first document in sort order with findOneAndDelete', async () => {
    await rows().insertMany([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 1 },
    ]);
    expect(await rows().findOneAndDelete({}, { sort: { n: 1 } })).toEqual({ _id: 'b', n: 1 });
    expect(await rows().countDocuments()).toBe(1);
  });
});

describe('delete and count', () => {
  it('deletes one or many', async () => {
    await rows().insertMany([{ _id: 'a', tag: 'x' }, { _id: 'b', tag: 'x' }, { _id: 'c' }]);
    expect((await rows().deleteOne({ tag: 'x' })).deletedCount).toBe(1);
    expect((await rows().deleteMany({})).deletedCount).toBe(2);
    expect(await rows().countDocuments()).toBe(0);
  });

  it('counts with a filter, skip and limit, and estimates through count', async () => {
    await rows().insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
      { _id: 'c', n: 3 },
    ]);
    expect(await rows().countDocuments({ n: { $gte: 2 } })).toBe(2);
    expect(await rows().countDocuments({}, { skip: 1, limit: 1 })).toBe(1);
    expect(await rows().estimatedDocumentCount()).toBe(3);
  });

  it('lists distinct values', async () => {
    await rows().insertMany([
      { _id: 'a', tag: 'x' },
      { _id: 'b', tag: 'y' },
      { _id: 'c', tag: 'x' },
    ]);
    expect((await rows().distinct('tag')).sort()).toEqual(['x', 'y']);
  });

  it('reports documents per namespace in stats and drops them all on reset', async () => {
    await rows().insertMany([{ _id: 'a' }, { _id: 'b' }]);
    expect(harness.server.stats()).toEqual({ 'crud.rows': 2 });
    harness.server.reset();
    expect(harness.server.stats()).toEqual({});
  });
});

describe('values and operators', () => {
  interface Stored {
    _id: string;
    payload?: Record<string, unknown>;
    items?: Array<{ name: string; count: number }>;
  }
  const stored = () => harness.client.db('crud').collection<Stored>('stored');

  it('round-trips keys that look like operators or paths inside embedded documents', async () => {
    const payload = { $where: 'x', 'a.b': 1, '': 2, nested: { $gt: 3 } };
    await stored().insertOne({ _id: 'p', payload });
    expect(await stored().findOne({ _id: 'p' })).toEqual({ _id: 'p', payload });

    const next = { ...payload, 'a.b': 5 };
    await stored().updateOne({ _id: 'p' }, { $set: { payload: next } });
    expect(await stored().findOne({ _id: 'p' })).toEqual({ _id: 'p', payload: next });
  });

  it('evaluates aggregation expressions in filters, update filters and projections', async () => {
    await rows().insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 5 },
    ]);

    const found = await rows()
      .find({ $expr: { $gt: [{ $add: ['$n', 1] }, 3] } })
      .toArray();
    await rows().updateOne(
      { $expr: { $eq: [{ $multiply: ['$n', 2] }, 2] } },
      { $set: { tag: 'x' } },
    );
    const projected = await rows()
      .find({ _id: 'b' }, { projection: { doubled: { $multiply: ['$n', 2] } } })
      .toArray();

    expect(found.map((row) => row._id)).toEqual(['b']);
    expect(await rows().findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1, tag: 'x' });
    expect(projected).toEqual([{ _id: 'b', doubled: 10 }]);
  });

  it('applies the positional operator and arrayFilters', async () => {
    await stored().insertOne({
      _id: 'i',
      items: [
        { name: 'a', count: 1 },
        { name: 'b', count: 1 },
      ],
    });
    await stored().updateOne({ _id: 'i', 'items.name': 'b' }, { $inc: { 'items.$.count': 1 } });
    await stored().updateOne(
      { _id: 'i' },
      { $set: { 'items.$[item].count': 9 } },
      { arrayFilters: [{ 'item.name': 'a' }] },
    );
    expect((await stored().findOne({ _id: 'i' }))?.items).toEqual([
      { name: 'a', count: 9 },
      { name: 'b', count: 2 },
    ]);
  });

  it('refuses a transaction as a standalone server does', async () => {
    const session = harness.client.startSession();
    try {
      session.startTransaction();
      await expect(stored().insertOne({ _id: 't' }, { session })).rejects.toThrow(
        /does not support retryable writes/,
      );
    } finally {
      await session.endSession();
    }
    expect(await stored().countDocuments({ _id: 't' })).toBe(0);
  });
});
