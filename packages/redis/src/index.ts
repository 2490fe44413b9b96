export {
  DEFAULT_PREFIX,
  encodeUserTag,
  MAX_PREFIX_BYTES,
  parseStoredValue,
  RECORD_FIELD_PREFIX,
  recordField,
  type StoredValue,
  storedValue,
  type UserKeys,
  userKeys,
} from './keys.js';
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  FORCED_RECONNECT_INTERVAL_MS,
  type RedisClient,
  type RedisConnectionOptions,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from './store.js';
