import type { Session } from '@sessionstore/core';
import type Keyv from 'keyv';
import type { SessionApi } from '../operations.js';
import { TTL_SECONDS } from '../session.js';

/** Keyv with some storage adapter as a {@link SessionApi}: keyed by session id alone. */
export function keyvApi(keyv: Keyv<Session>): SessionApi {
  return {
    get: (sessionId) => keyv.get(sessionId),
    put: (session) => keyv.set(session.id, session, TTL_SECONDS * 1000),
    delete: (sessionId) => keyv.delete(sessionId),
  };
}
