export {
  KeyValueSessionStore,
  type KeyValueSessionStoreOptions,
  type StoredEntry,
  sessionKey,
  userIndexKey,
} from './store.js';
