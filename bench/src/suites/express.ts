import type { Store } from 'express-session';
import type { SessionApi } from '../operations.js';

/**
 * An express-session store (the interface connect-redis, connect-pg-simple,
 * better-sqlite3-session-store and connect-mongo share) as a {@link SessionApi}. These stores
 * key sessions by id alone and have no compare-and-set or per-user listing.
 */
export function expressStoreApi(store: Store): SessionApi {
  return {
    get: (sessionId) =>
      new Promise((resolve, reject) => {
        store.get(sessionId, (error, session) => (error ? reject(error) : resolve(session)));
      }),
    put: (session) =>
      new Promise((resolve, reject) => {
        const data = session as unknown as Parameters<Store['set']>[1];
        store.set(session.id, data, (error) => (error ? reject(error) : resolve(undefined)));
      }),
    delete: (sessionId) =>
      new Promise((resolve, reject) => {
        store.destroy(sessionId, (error) => (error ? reject(error) : resolve(undefined)));
      }),
  };
}
