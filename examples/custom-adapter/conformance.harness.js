// @ts-check
// How the sessionstore conformance suite reaches KeyValueSessionStore. The CLI imports this
// file as it is (`sessionstore-conformance ./conformance.harness.js`), and the vitest test
// imports it too, so both routes test the same thing. It loads the built package
// (`pnpm build` first), exactly as a user of the package would.
import { canonicalUserId } from '@sessionstore/core';
import { KeyValueSessionStore, sessionKey, userIndexKey } from 'example-session-store';

/** @typedef {import('@sessionstore/conformance').ConformanceHarness} ConformanceHarness */
/** @typedef {import('@sessionstore/core').SessionStore<any>} SessionStore */

const context = { store: 'example harness', method: 'a hook' };

/**
 * The backend of a store this harness created.
 *
 * @param {SessionStore} store
 * @returns {Map<string, string>}
 */
function backendOf(store) {
  if (!(store instanceof KeyValueSessionStore)) {
    throw new TypeError('The example harness was handed a store it did not create.');
  }
  return store.map;
}

/** @type {ConformanceHarness} */
export const harness = {
  name: 'example-session-store (key-value)',

  // Each store makes its own Map, so cases never see each other's sessions.
  create: ({ clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }) =>
    new KeyValueSessionStore({ clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }),

  capabilities: {
    realTimeExpiry: true,
    harnessModule: import.meta.url,
    signing: true,
  },

  hooks: {
    // A second store on the same Map: it keeps nothing of its own, so whatever one store
    // guarantees only through its own state, not the backend's, shows up as a failure.
    openSibling: (store, { clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }) =>
      new KeyValueSessionStore({
        map: backendOf(store),
        clock,
        pruneIntervalMs,
        maxSessionBytes,
        logger,
        signingSecret,
      }),

    // Every key counts: sessions and the per-user index keys alike.
    async countStored(store) {
      return backendOf(store).size;
    },

    // As an operator editing the backend by hand would: the session key and the index.
    async writeRawRecord(store, userId, sessionId, record, expiresAtMs) {
      const map = backendOf(store);
      const userKey = canonicalUserId(userId, context);
      const entry = { record, expiresAtMs, lockVersion: null };
      map.set(sessionKey(userKey, sessionId), JSON.stringify(entry));

      const indexText = map.get(userIndexKey(userKey));
      const index = new Set(indexText === undefined ? [] : JSON.parse(indexText));
      map.set(userIndexKey(userKey), JSON.stringify([...index.add(sessionId)]));
    },

    async readRawRecord(store, userId, sessionId) {
      const text = backendOf(store).get(sessionKey(canonicalUserId(userId, context), sessionId));
      return text === undefined ? null : JSON.parse(text).record;
    },
  },
};

export default harness;
