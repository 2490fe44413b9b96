export {
  DEFAULT_COLLECTION,
  DEFAULT_TTL_GRACE_SECONDS,
  SESSION_INDEXES,
  type SessionDocument,
  type SessionDocumentId,
  sessionIndexes,
} from './documents.js';
export {
  DEFAULT_OPERATION_TIMEOUT_MS,
  type MongoConnectionOptions,
  MongoSessionStore,
  type MongoSessionStoreOptions,
} from './store.js';
