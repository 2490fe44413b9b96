export {
  DEFAULT_PREFIX,
  encodeUserTag,
  LOCK_VERSION_FIELD_PREFIX,
  lockVersionField,
  MAX_PREFIX_BYTES,
  RECORD_FIELD_PREFIX,
  recordField,
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
