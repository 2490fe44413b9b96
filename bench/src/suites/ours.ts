import type { Session, SessionStore } from '@sessionstore/core';
import type { SessionApi } from '../operations.js';
import { TTL_SECONDS } from '../session.js';

/** One of this project's stores as a {@link SessionApi}. */
export function storeApi(store: Required<SessionStore<Session>>): SessionApi {
  return {
    get: (sessionId, userId) => store.get(sessionId, userId),
    put: (session) => store.upsert(session, TTL_SECONDS),
    delete: (sessionId, userId) => store.delete(sessionId, userId),
    create: (session) => store.upsert({ ...session, lockVersion: 0 }, TTL_SECONDS),
    update: (session) => store.upsert(session, TTL_SECONDS),
    getAll: (userId) => store.getAll(userId),
    deleteAll: (userId) => store.deleteAll(userId),
  };
}
