export type { WriteCommandName, WriteFailure, WriteFailureFilter } from './failures.js';
export {
  type CommandEvent,
  type LoopbackHost,
  type MongoTestServer,
  type MongoTestServerOptions,
  startMongoTestServer,
} from './server.js';
