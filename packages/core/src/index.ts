export { CallTimer, type TimedCall } from './call-timer.js';
export {
  type CodecContext,
  DEFAULT_MAX_SESSION_BYTES,
  decodeSession,
  encodeSession,
  MAX_NESTING_DEPTH,
} from './codec.js';
export {
  SESSION_STORE_ERROR_CODES,
  SessionStoreError,
  type SessionStoreErrorCode,
  type SessionStoreErrorOptions,
} from './errors.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory.js';
export { RecordSigner, type SigningSecret } from './signing.js';
export {
  COMMON_STORE_OPTION_NAMES,
  type RecordKey,
  type RecordWrite,
  SessionStoreBase,
  type StoreBaseSettings,
  type StoredRecord,
} from './store-base.js';
export type {
  Clock,
  CommonStoreOptions,
  Session,
  SessionStore,
  SessionStoreEvent,
  SessionStoreLogger,
  StoredSession,
  UserId,
} from './types.js';
export {
  type ArgumentContext,
  canonicalUserId,
  checkIntegerOption,
  checkOptionNames,
  describe,
  type IntegerOptionBounds,
  invalidArgument,
  MAX_ID_BYTES,
  MAX_TIMER_MS,
  MAX_TTL_SECONDS,
  validateLockVersion,
  validateSessionId,
  validateSessionIdentity,
  validateTtlSeconds,
} from './validate.js';
