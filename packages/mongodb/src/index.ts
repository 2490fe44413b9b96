export {
  DEFAULT_COLLECTION,
  SESSION_INDEXES,
  type SessionDocument,
  type SessionDocumentId,
} from './documents.js';
export {
  DEFAULT_OPERATION_TIMEOUT_MS,
  type MongoConnectionOptions,
  MongoSessionStore,
  type MongoSessionStoreOptions,
} from './store.js';
