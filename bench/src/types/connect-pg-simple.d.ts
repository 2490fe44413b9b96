// connect-pg-simple ships no types; this declares the part the benchmark uses.
declare module 'connect-pg-simple' {
  import type { Store } from 'express-session';
  import type { Pool } from 'pg';

  interface PgStoreOptions {
    pool: Pool;
    schemaName?: string;
    tableName?: string;
    createTableIfMissing?: boolean;
    pruneSessionInterval?: false | number;
    ttl?: number;
  }

  class PgStore extends Store {
    constructor(options: PgStoreOptions);
    close(): Promise<void>;
    get: Store['get'];
    set: Store['set'];
    destroy: Store['destroy'];
  }

  export default function connectPgSimple(session: unknown): typeof PgStore;
}
