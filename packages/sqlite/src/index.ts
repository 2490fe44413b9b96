export {
  COLUMNS,
  createIndexSql,
  createTableSql,
  DEFAULT_TABLE,
  PRUNE_BATCH_SIZE,
  validateTableName,
} from './schema.js';
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  SqliteSessionStore,
  type SqliteSessionStoreOptions,
} from './store.js';
