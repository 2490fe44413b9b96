export { isConnectionFailure } from './errors.js';
export {
  createSchemaSql,
  DEFAULT_SCHEMA,
  DEFAULT_TABLE,
  PRUNE_BATCH_SIZE,
  type TableLocation,
} from './schema.js';
export {
  DEFAULT_CONNECTION_TIMEOUT_MILLIS,
  type PostgresConnectionStringOptions,
  type PostgresPool,
  type PostgresPoolOptions,
  PostgresSessionStore,
  type PostgresSessionStoreOptions,
  type PostgresStoreBaseOptions,
} from './store.js';
