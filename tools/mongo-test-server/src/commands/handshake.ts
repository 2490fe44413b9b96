import type { Document } from 'bson';
import { MAX_MESSAGE_SIZE_BYTES } from '../wire.js';
import type { CommandHandler } from './context.js';

/** The largest document MongoDB accepts, advertised so the driver sizes its batches. */
const MAX_BSON_OBJECT_SIZE_BYTES = 16 * 1024 * 1024;
const MAX_WRITE_BATCH_SIZE = 100_000;
/** MongoDB 7.0; the driver needs at least 9 (4.4). */
const MAX_WIRE_VERSION = 21;
const SERVER_VERSION = '7.0.0';

/**
 * The handshake reply. It leaves out `setName` (a standalone server, so the driver never
 * starts transactions), `topologyVersion` (which would switch the driver to streaming
 * monitoring) and `compression` (so no OP_COMPRESSED arrives).
 */
const hello: CommandHandler = (_body, context) => ({
  helloOk: true,
  ismaster: true,
  isWritablePrimary: true,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE_BYTES,
  maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
  maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
  localTime: new Date(context.clock()),
  logicalSessionTimeoutMinutes: 30,
  connectionId: context.connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
  ok: 1,
});

const ok: CommandHandler = () => ({ ok: 1 });

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  versionArray: [7, 0, 0, 0],
  gitVersion: 'sessionstore-mongo-test-server',
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE_BYTES,
  storageEngines: ['memory'],
  ok: 1,
});

const getParameter: CommandHandler = (body) => {
  const reply: Document = { ok: 1 };
  if (body.featureCompatibilityVersion !== undefined) {
    reply.featureCompatibilityVersion = { version: '7.0' };
  }
  return reply;
};

const hostInfo: CommandHandler = (_body, context) => ({
  system: { currentTime: new Date(context.clock()), hostname: 'localhost', cpuAddrSize: 64 },
  os: { type: 'test', name: 'sessionstore mongo test server' },
  extra: {},
  ok: 1,
});

const connectionStatus: CommandHandler = () => ({
  authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
  ok: 1,
});

/** Handshake and server information commands, by their canonical names. */
export const handshakeCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ping: ok,
  buildInfo,
  endSessions: ok,
  getParameter,
  hostInfo,
  connectionStatus,
};
