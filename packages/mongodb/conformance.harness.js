// The conformance harness of @sessionstore/mongodb. With SESSIONSTORE_MONGODB_URL set it runs
// against that MongoDB; otherwise it starts this repository's MongoDB wire-protocol test
// server on a free loopback port. One MongoClient, owned by the harness, serves every store,
// and each store gets a collection of its own in a database private to this run. Siblings
// (hooks.openSibling) use the collection of the store they share data with, through a second
// MongoClient, so the two share no connection.

import { randomBytes } from 'node:crypto';
import { canonicalUserId } from '@sessionstore/core';
import { startMongoTestServer } from '@sessionstore/mongo-test-server';
import { MongoSessionStore } from '@sessionstore/mongodb';
import { MongoClient } from 'mongodb';

/**
 * @typedef {import('@sessionstore/conformance').ConformanceHarness} ConformanceHarness
 * @typedef {import('@sessionstore/core').SessionStore<any>} AnyStore
 * @typedef {import('@sessionstore/mongo-test-server').MongoTestServer} MongoTestServer
 */

const realMongoUrl = process.env.SESSIONSTORE_MONGODB_URL || undefined;
const context = { store: '@sessionstore/mongodb harness', method: 'a hook' };

/**
 * @type {Promise<{ client: MongoClient, server: MongoTestServer | undefined, url: string }>
 *   | undefined}
 */
let backend;
/** @type {Promise<MongoClient> | undefined} */
let siblingClient;
let storeCount = 0;
const databaseName = `sessionstore_conformance_${randomBytes(6).toString('hex')}`;

/** Connects once, on the first store, so importing this module opens nothing. */
function connect() {
  backend ??= (async () => {
    const server = realMongoUrl === undefined ? await startMongoTestServer() : undefined;
    const url = realMongoUrl ?? /** @type {MongoTestServer} */ (server).url;
    const client = new MongoClient(url);
    try {
      await client.connect();
    } catch (error) {
      await server?.stop();
      throw error;
    }
    return { client, server, url };
  })();
  return backend;
}

/** A second client on the same server, for siblings; connects on the first one. */
function connectSiblingClient() {
  siblingClient ??= (async () => {
    const { url } = await connect();
    const second = new MongoClient(url);
    await second.connect();
    return second;
  })();
  return siblingClient;
}

/**
 * The store's own collection, for the hooks.
 *
 * @param {AnyStore} store
 */
function collectionOf(store) {
  if (!(store instanceof MongoSessionStore)) {
    throw new TypeError('the hooks only accept stores this harness created');
  }
  return store.collection;
}

/** @type {ConformanceHarness} */
export const harness = {
  name: realMongoUrl === undefined ? 'mongodb (test server)' : 'mongodb (SESSIONSTORE_MONGODB_URL)',

  async create({ clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }) {
    const { client } = await connect();
    storeCount += 1;
    return new MongoSessionStore({
      client,
      database: databaseName,
      collection: `sessions_${storeCount}`,
      clock,
      ...(pruneIntervalMs === undefined ? {} : { pruneIntervalMs }),
      ...(maxSessionBytes === undefined ? {} : { maxSessionBytes }),
      ...(logger === undefined ? {} : { logger }),
      ...(signingSecret === undefined ? {} : { signingSecret }),
    });
  },

  async teardown() {
    const endingSibling = siblingClient;
    siblingClient = undefined;
    await (await endingSibling?.catch(() => undefined))?.close();
    if (backend === undefined) {
      return;
    }
    const { client, server } = await backend;
    backend = undefined;
    try {
      if (server === undefined) {
        await client.db(databaseName).dropDatabase();
      }
    } finally {
      await client.close();
      await server?.stop();
    }
  },

  capabilities: {
    harnessModule: import.meta.url,
    signing: true,
    // The real-time case waits on the real clock for the backend to free an expired
    // session. A real MongoDB does it through its TTL monitor, which runs about once every
    // 60 s, hence 75 s. The test server's TTL monitor runs only when a test calls it, so
    // there the case would only see the store's own sweep, which the suite's cleanup cases
    // already cover on the manual clock; the store's tests drive the test server's monitor.
    realTimeExpiry: realMongoUrl !== undefined,
    realTimeCleanupMs: 75_000,
  },

  hooks: {
    async openSibling(store, { clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }) {
      const collection = collectionOf(store);
      return new MongoSessionStore({
        client: await connectSiblingClient(),
        database: collection.dbName,
        collection: collection.collectionName,
        clock,
        ...(pruneIntervalMs === undefined ? {} : { pruneIntervalMs }),
        ...(maxSessionBytes === undefined ? {} : { maxSessionBytes }),
        ...(logger === undefined ? {} : { logger }),
        ...(signingSecret === undefined ? {} : { signingSecret }),
      });
    },

    async countStored(store) {
      return collectionOf(store).countDocuments({});
    },

    async writeRawRecord(store, userId, sessionId, record, expiresAtMs) {
      const u = canonicalUserId(userId, context);
      await collectionOf(store).updateOne(
        { _id: { u, s: sessionId } },
        { $set: { record, expiresAt: new Date(expiresAtMs) }, $setOnInsert: { lockVersion: null } },
        { upsert: true },
      );
    },

    async readRawRecord(store, userId, sessionId) {
      const u = canonicalUserId(userId, context);
      const document = await collectionOf(store).findOne({ _id: { u, s: sessionId } });
      return typeof document?.record === 'string' ? document.record : null;
    },
  },
};

export default harness;
