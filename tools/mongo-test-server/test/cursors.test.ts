import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { countCommands, type Harness, startHarness } from './harness.js';

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

const numbers = () => harness.client.db('cursors').collection<{ _id: number }>('numbers');

async function insertNumbers(count: number): Promise<void> {
  await numbers().insertMany(Array.from({ length: count }, (_, index) => ({ _id: index })));
}

it('pages 250 documents across a first batch of 101 and getMore', async () => {
  await insertNumbers(250);
  const start = harness.commands.length;

  const all = await numbers().find().toArray();

  expect(all.map((document) => document._id)).toEqual(Array.from({ length: 250 }, (_, i) => i));
  expect(countCommands(harness.commands, 'find', start)).toBe(1);
  expect(countCommands(harness.commands, 'getMore', start)).toBeGreaterThanOrEqual(1);
});

it('honours batchSize on find and getMore', async () => {
  await insertNumbers(10);
  const start = harness.commands.length;

  const all = await numbers().find({}, { batchSize: 3 }).toArray();

  expect(all).toHaveLength(10);
  expect(countCommands(harness.commands, 'getMore', start)).toBe(3);
});

it('sends findOne as a single batch that leaves no cursor to kill', async () => {
  await insertNumbers(5);
  const start = harness.commands.length;

  expect(await numbers().findOne({}, { sort: { _id: -1 } })).toEqual({ _id: 4 });
  expect(countCommands(harness.commands, 'killCursors', start)).toBe(0);
});

it('kills an open cursor closed early and then rejects getMore on it', async () => {
  await insertNumbers(20);
  const start = harness.commands.length;
  const cursor = numbers().find({}, { batchSize: 5 });
  await cursor.next();
  const cursorId = cursor.id;
  await cursor.close();

  expect(countCommands(harness.commands, 'killCursors', start)).toBe(1);
  await expect(
    harness.client.db('cursors').command({ getMore: cursorId, collection: 'numbers' }),
  ).rejects.toMatchObject({ code: 43 });
});

it('pages the results of an aggregate', async () => {
  await insertNumbers(150);
  const odd = await numbers()
    .aggregate([{ $match: { _id: { $mod: [2, 1] } } }, { $sort: { _id: -1 } }], { batchSize: 10 })
    .toArray();
  expect(odd).toHaveLength(75);
  expect(odd[0]).toEqual({ _id: 149 });
});
