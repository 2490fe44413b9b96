export { QueryTimeoutError, type TimeoutPhase } from './deadline.js';
export { isConnectionFailure } from './errors.js';
export {
  createSchemaSql,
  DEFAULT_SCHEMA,
  DEFAULT_TABLE,
  PRUNE_BATCH_SIZE,
  type TableLocation,
} from './schema.js';
export {
  DEFAULT_QUERY_TIMEOUT_MS,
  type PostgresConnectionStringOptions,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresPoolOptions,
  type PostgresQueryConfig,
  type PostgresQueryResult,
  PostgresSessionStore,
  type PostgresSessionStoreOptions,
  type PostgresStoreBaseOptions,
} from './store.js';
