import { MongoClient, MongoError } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LoopbackHost, startMongoTestServer } from '../src/index.js';
import { MessageReader } from '../src/wire.js';
import { countCommands, type Harness, startHarness } from './harness.js';
import {
  CHECKSUM_PRESENT,
  MORE_TO_COME,
  opMsg,
  opMsgWithSequence,
  opQuery,
  RawClient,
} from './raw-client.js';

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

async function rawClient(): Promise<RawClient> {
  return RawClient.open(harness.server.port);
}

describe('framing', () => {
  it('answers an OP_QUERY handshake with an OP_REPLY', async () => {
    const raw = await rawClient();
    raw.socket.write(opQuery(7, { isMaster: 1, helloOk: true }));
    const [reply] = await raw.replies(1);
    raw.close();

    expect(reply).toMatchObject({ responseTo: 7, opCode: 1 });
    expect(reply?.body).toMatchObject({ ismaster: true, helloOk: true, maxWireVersion: 21, ok: 1 });
    expect(reply?.body).not.toHaveProperty('topologyVersion');
    expect(reply?.body).not.toHaveProperty('compression');
  });

  it('reads a message delivered one byte at a time', async () => {
    const raw = await rawClient();
    const message = opMsg(1, { ping: 1, $db: 'admin' });
    for (const byte of message) {
      raw.socket.write(Buffer.of(byte));
    }
    const [reply] = await raw.replies(1);
    raw.close();

    expect(reply).toMatchObject({ responseTo: 1, body: { ok: 1 } });
  });

  it('reads several messages delivered in one chunk, in order', async () => {
    const raw = await rawClient();
    raw.socket.write(
      Buffer.concat([opMsg(1, { ping: 1, $db: 'admin' }), opMsg(2, { buildInfo: 1, $db: 'a' })]),
    );
    const replies = await raw.replies(2);
    raw.close();

    expect(replies.map((reply) => reply.responseTo)).toEqual([1, 2]);
  });

  it('strips a request checksum and never sets one in the reply', async () => {
    const raw = await rawClient();
    raw.socket.write(opMsg(3, { ping: 1, $db: 'admin' }, CHECKSUM_PRESENT));
    const [reply] = await raw.replies(1);
    raw.close();

    expect(reply).toMatchObject({ responseTo: 3, flags: 0, body: { ok: 1 } });
  });

  it('sends no reply to a moreToCome request and stays in step', async () => {
    const raw = await rawClient();
    const insert = { insert: 'rows', documents: [{ _id: 1 }], $db: 'wire' };
    raw.socket.write(opMsg(1, insert, MORE_TO_COME));
    raw.socket.write(opMsg(2, { find: 'rows', filter: {}, $db: 'wire' }));
    const [reply] = await raw.replies(1);
    raw.close();

    expect(reply?.responseTo).toBe(2);
    expect(reply?.body.cursor.firstBatch).toEqual([{ _id: 1 }]);
  });

  it('merges a kind-1 document sequence into the command', async () => {
    const raw = await rawClient();
    const body = { insert: 'rows', $db: 'wire' };
    raw.socket.write(opMsgWithSequence(1, body, 'documents', [{ _id: 1 }, { _id: 2 }]));
    raw.socket.write(opMsg(2, { find: 'rows', filter: {}, $db: 'wire' }));
    const [inserted, found] = await raw.replies(2);
    raw.close();

    expect(inserted?.body).toEqual({ n: 2, ok: 1 });
    expect(found?.body.cursor.firstBatch).toEqual([{ _id: 1 }, { _id: 2 }]);
  });

  it('rejects a declared length beyond the message size limit', () => {
    const header = Buffer.alloc(16);
    header.writeInt32LE(64_000_000, 0);
    expect(() => new MessageReader().push(header)).toThrow(/invalid length/);
  });
});

describe('through the driver', () => {
  const rows = () => harness.client.db('wire').collection<{ _id: number; text?: string }>('rows');

  it('keeps the connection in step around unacknowledged writes', async () => {
    const start = harness.commands.length;
    for (let index = 0; index < 5; index += 1) {
      await rows().insertOne({ _id: index }, { writeConcern: { w: 0 } });
      expect(await rows().findOne({ _id: index })).toEqual({ _id: index });
    }
    expect(countCommands(harness.commands, 'insert', start)).toBe(5);
  });

  it('carries documents of several megabytes both ways', async () => {
    const fiveMegabytes = 'x'.repeat(5 * 1024 * 1024);
    const documents = Array.from({ length: 4 }, (_, index) => ({
      _id: index,
      text: fiveMegabytes,
    }));
    await rows().insertMany(documents);

    const found = await rows().find().toArray();

    expect(found.map((row) => [row._id, row.text?.length])).toEqual(
      documents.map((row) => [row._id, row.text.length]),
    );
  });

  it('sends endSessions on client.close() without upsetting the server', async () => {
    const client = new MongoClient(harness.server.url, { serverSelectionTimeoutMS: 2_000 });
    const session = client.startSession();
    await client.db('wire').collection('rows').findOne({}, { session });
    await session.endSession();
    const start = harness.commands.length;

    await client.close();

    await expect.poll(() => countCommands(harness.commands, 'endSessions', start)).toBe(1);
    expect(await harness.client.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });
});

describe('lifecycle', () => {
  it('refuses any host but 127.0.0.1', async () => {
    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.1']) {
      await expect(startMongoTestServer({ host: host as LoopbackHost })).rejects.toThrow(
        RangeError,
      );
    }
  });

  it('refuses a port out of range', async () => {
    await expect(startMongoTestServer({ port: 70_000 })).rejects.toThrow(RangeError);
  });

  it('closes every open connection promptly on stop, and stops again harmlessly', async () => {
    const server = await startMongoTestServer();
    const raws = [await RawClient.open(server.port), await RawClient.open(server.port)];
    const client = new MongoClient(server.url, { serverSelectionTimeoutMS: 500 });
    await client.connect();
    const startedMs = Date.now();

    await server.stop();
    await Promise.all(raws.map((raw) => raw.closed()));

    expect(Date.now() - startedMs).toBeLessThan(2_000);
    // A network error or a server selection time-out, whichever the driver meets first.
    await expect(client.db('admin').command({ ping: 1 })).rejects.toBeInstanceOf(MongoError);
    await server.stop();
    await client.close();
  });
});
