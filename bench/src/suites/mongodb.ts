import type { Session } from '@sessionstore/core';
import { startMongoTestServer } from '@sessionstore/mongo-test-server';
import { MongoSessionStore } from '@sessionstore/mongodb';
import MongoStore from 'connect-mongo';
import type session from 'express-session';
import { type Collection, MongoClient } from 'mongodb';
import { plansFor, type SessionApi } from '../operations.js';
import { TTL_SECONDS } from '../session.js';
import type { Contender, OpenSuite } from '../suite.js';
import { expressStoreApi } from './express.js';
import { storeApi } from './ours.js';

const DATABASE = 'sessionstore_bench';

/**
 * MongoDB: no MongoDB server runs on these machines, so every contender talks to one
 * wire-protocol test server started for this run, each through its own client. The figures
 * compare libraries on that server; they say nothing about a real MongoDB's speed.
 */
export async function openMongoSuite(): Promise<OpenSuite> {
  const server = await startMongoTestServer();
  const clients = await Promise.all([0, 1, 2].map(() => new MongoClient(server.url).connect()));
  const [oursClient, rawClient, peerClient] = clients as [MongoClient, MongoClient, MongoClient];
  const ours = new MongoSessionStore({
    client: oursClient,
    database: DATABASE,
    collection: 'ours',
  });
  const raw = await rawMongoApi(rawClient.db(DATABASE).collection<RawDocument>('raw'));
  const peer = await connectMongo(peerClient);

  return {
    adapter: 'mongodb',
    setting: "the repository's MongoDB wire-protocol test server, one client per contender",
    contenders: [
      { name: 'sessionstore', role: 'ours', plans: plansFor(storeApi(ours)) },
      { name: 'mongodb driver', role: 'raw', plans: plansFor(raw) },
      ...peer.contenders,
    ],
    skipped: peer.skipped,
    async close() {
      await ours.close();
      await Promise.all(clients.map((client) => client.close()));
      await server.stop();
    },
  };
}

/** connect-mongo, when it works against the test server; otherwise the reason it does not. */
async function connectMongo(
  client: MongoClient,
): Promise<{ contenders: Contender[]; skipped: OpenSuite['skipped'] }> {
  const name = 'connect-mongo';
  const store = MongoStore.create({
    client,
    dbName: DATABASE,
    collectionName: 'connect_mongo',
    ttl: TTL_SECONDS,
  }) as unknown as session.Store;
  const api = expressStoreApi(store);

  try {
    await api.put({ id: 'probe', userId: 1 } as Session);
    if ((await api.get('probe', 1)) == null) {
      throw new Error('it did not read back what it wrote');
    }
    await api.delete('probe', 1);
    return { contenders: [{ name, role: 'peer', plans: plansFor(api) }], skipped: [] };
  } catch (error) {
    return { contenders: [], skipped: [{ name, reason: String(error) }] };
  }
}

interface RawDocument {
  _id: { u: string; s: string };
  expiresAt: Date;
  lockVersion: number | null;
  record: string;
}

/**
 * The least the same job needs on the mongodb driver: `findOne`, `updateOne` with upsert (a
 * version in the filter for compare-and-set), `deleteOne`, `find` and `deleteMany` by user,
 * on documents of the same shape as ours.
 */
export async function rawMongoApi(collection: Collection<RawDocument>): Promise<SessionApi> {
  await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  const idOf = (sessionId: string, userId: number) => ({ u: String(userId), s: sessionId });
  const write = (session: Session, lockVersion: number | null, record: object, upsert: boolean) =>
    collection.updateOne(
      lockVersion === null || upsert
        ? { _id: idOf(session.id, session.userId as number) }
        : {
            _id: idOf(session.id, session.userId as number),
            expiresAt: { $gt: new Date() },
            lockVersion: lockVersion - 1,
          },
      {
        $set: {
          expiresAt: new Date(Date.now() + TTL_SECONDS * 1000),
          lockVersion,
          record: JSON.stringify(record),
        },
      },
      { upsert },
    );

  return {
    get: async (sessionId, userId) => {
      const found = await collection.findOne(
        { _id: idOf(sessionId, userId), expiresAt: { $gt: new Date() } },
        { projection: { _id: 0, record: 1 } },
      );
      return found === null ? null : JSON.parse(found.record);
    },
    put: (session) => write(session, null, session, true),
    create: (session) => write(session, 1, { ...session, lockVersion: 1 }, true),
    update: async (session) => {
      const next = (session.lockVersion as number) + 1;
      const { matchedCount } = await write(session, next, { ...session, lockVersion: next }, false);
      if (matchedCount !== 1) {
        throw new Error('raw compare-and-set found no live document at the expected version');
      }
    },
    delete: (sessionId, userId) => collection.deleteOne({ _id: idOf(sessionId, userId) }),
    getAll: async (userId) => {
      const found = await collection
        .find({ '_id.u': String(userId), expiresAt: { $gt: new Date() } })
        .toArray();
      return found.map((document) => JSON.parse(document.record));
    },
    deleteAll: (userId) => collection.deleteMany({ '_id.u': String(userId) }),
  };
}
