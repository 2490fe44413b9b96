import { createServer, type Server, type Socket } from 'node:net';
import type { Document } from 'bson';
import { type CommandContext, type KnownCommand, lookupCommand } from './commands/index.js';
import { CursorRegistry } from './cursors.js';
import { CommandError, ErrorCodes, errorReply, toCommandError } from './errors.js';
import {
  FailureQueue,
  failureReply,
  type WriteFailure,
  type WriteFailureFilter,
} from './failures.js';
import { Storage } from './storage.js';
import { decodeRequest, encodeReply, MessageReader, type WireRequest } from './wire.js';

/** The only address the server listens on: IPv4 loopback, so nothing off the machine reaches it. */
export type LoopbackHost = '127.0.0.1';

/** Options of {@link startMongoTestServer}. */
export interface MongoTestServerOptions {
  /** The TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The address to listen on; `127.0.0.1` is the default and the only value accepted. */
  readonly host?: LoopbackHost;
  /** Milliseconds since the epoch; drives the TTL monitor and `localTime`. Default `Date.now`. */
  readonly clock?: () => number;
}

/** One command the server received, as reported to {@link MongoTestServer.onCommand}. */
export interface CommandEvent {
  /** The command's canonical name (`find`, `update`, `hello`, ...), or the unknown name sent. */
  readonly name: string;
  readonly database: string;
  /** The collection a collection-level command names, if any. */
  readonly collection?: string;
  /** The handshake id of the connection it arrived on. */
  readonly connectionId: number;
}

/** A running test server. */
export interface MongoTestServer {
  /** A connection string for the official driver, with `directConnection=true`. */
  readonly url: string;
  readonly port: number;
  /** Destroys every open connection and closes the listener; calling it again is harmless. */
  stop(): Promise<void>;
  /**
   * Runs one TTL monitor pass: deletes every document whose TTL-indexed date plus the index's
   * `expireAfterSeconds` is at or before `clock()`. Returns how many documents it deleted.
   */
  runTtlMonitor(): Promise<number>;
  /**
   * Makes the next write (insert, update, delete or findAndModify) that matches `filter`
   * fail as described by `failure`. Several calls queue failures, each used once.
   *
   * @throws TypeError for a failure kind other than `duplicateKey`, `network` or `command`.
   */
  failNextWrite(failure: WriteFailure, filter?: WriteFailureFilter): void;
  /** Calls `listener` for every command received; returns a function that unsubscribes it. */
  onCommand(listener: (event: CommandEvent) => void): () => void;
  /** Documents per collection, keyed by namespace (`database.collection`). */
  stats(): Record<string, number>;
  /** Drops every database, open cursor and pending failure. */
  reset(): void;
}

const DEFAULT_HOST: LoopbackHost = '127.0.0.1';
const FAILURE_KINDS: readonly string[] = ['duplicateKey', 'network', 'command'];
const MAX_REQUEST_ID = 0x7fff_ffff;

/**
 * Starts a server that speaks enough of MongoDB's wire protocol for the official driver, for
 * this project's tests. Data lives in memory and is gone when the process ends.
 *
 * @param options - Port, loopback host and clock.
 * @returns The running server, once it listens.
 * @throws RangeError when `host` is not `127.0.0.1` or `port` is not a valid port.
 *
 * @example
 * ```ts
 * const server = await startMongoTestServer();
 * const client = new MongoClient(server.url);
 * // ... run tests ...
 * await client.close();
 * await server.stop();
 * ```
 */
export async function startMongoTestServer(
  options: MongoTestServerOptions = {},
): Promise<MongoTestServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 0;
  if (host !== DEFAULT_HOST) {
    throw new RangeError(`mongo-test-server: host must be 127.0.0.1, not '${host}'.`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`mongo-test-server: port must be an integer from 0 to 65535.`);
  }

  const server = new TestServer(options.clock ?? Date.now);
  await server.listen(host, port);
  return server;
}

class TestServer implements MongoTestServer {
  readonly #clock: () => number;
  readonly #listener: Server;
  readonly #sockets = new Set<Socket>();
  readonly #storage = new Storage();
  readonly #cursors = new CursorRegistry();
  readonly #failures = new FailureQueue();
  readonly #listeners = new Set<(event: CommandEvent) => void>();
  #connectionCount = 0;
  #lastReplyId = 0;
  #url = '';
  #port = 0;
  #stopping: Promise<void> | undefined;

  constructor(clock: () => number) {
    this.#clock = clock;
    this.#listener = createServer((socket) => this.#accept(socket));
  }

  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  async listen(host: LoopbackHost, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#listener.once('error', reject);
      this.#listener.listen(port, host, () => {
        this.#listener.off('error', reject);
        resolve();
      });
    });

    const address = this.#listener.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    this.#url = `mongodb://${host}:${this.#port}/?directConnection=true`;
  }

  stop(): Promise<void> {
    this.#stopping ??= new Promise<void>((resolve) => {
      this.#listener.close(() => resolve());
      for (const socket of this.#sockets) dropConnection(socket);
      this.#sockets.clear();
    });
    return this.#stopping;
  }

  async runTtlMonitor(): Promise<number> {
    const nowMs = this.#clock();
    let deletedCount = 0;
    for (const collection of this.#storage.all()) deletedCount += collection.expire(nowMs);
    return deletedCount;
  }

  failNextWrite(failure: WriteFailure, filter: WriteFailureFilter = {}): void {
    if (!FAILURE_KINDS.includes(failure.kind)) {
      throw new TypeError(`mongo-test-server: unknown failure kind '${String(failure.kind)}'.`);
    }

    this.#failures.add(failure, filter);
  }

  onCommand(listener: (event: CommandEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  stats(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const collection of this.#storage.all()) counts[collection.namespace] = collection.size;
    return counts;
  }

  reset(): void {
    this.#storage.clear();
    this.#cursors.clear();
    this.#failures.clear();
  }

  #accept(socket: Socket): void {
    // A client resetting its connection is normal in tests; 'close' follows and cleans up.
    socket.on('error', () => undefined);
    if (this.#stopping !== undefined) {
      dropConnection(socket);
      return;
    }

    this.#connectionCount += 1;
    const connectionId = this.#connectionCount;
    const reader = new MessageReader();
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => this.#receive(socket, connectionId, reader, chunk));
  }

  #receive(socket: Socket, connectionId: number, reader: MessageReader, chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = reader.push(chunk);
    } catch {
      dropConnection(socket);
      return;
    }

    for (const message of messages) {
      if (socket.destroyed) return;
      this.#serve(socket, connectionId, message);
    }
  }

  #serve(socket: Socket, connectionId: number, message: Buffer): void {
    let request: WireRequest;
    try {
      request = decodeRequest(message);
    } catch {
      dropConnection(socket);
      return;
    }

    const reply = this.#execute(request, connectionId);
    if (reply === 'dropConnection') {
      dropConnection(socket);
      return;
    }
    // A request flagged moreToCome wants no reply; sending one would desynchronise the driver.
    if (request.moreToCome) return;

    socket.write(this.#encode(request, reply));
  }

  #encode(request: WireRequest, reply: Document): Buffer {
    this.#lastReplyId = (this.#lastReplyId % MAX_REQUEST_ID) + 1;
    try {
      return encodeReply(request, this.#lastReplyId, reply);
    } catch (error) {
      return encodeReply(request, this.#lastReplyId, errorReply(toCommandError(error)));
    }
  }

  #execute(request: WireRequest, connectionId: number): Document | 'dropConnection' {
    const { body, database } = request;
    const sentName = Object.keys(body)[0] ?? '';
    const command = lookupCommand(sentName);
    const collection = collectionOf(body);
    this.#report({
      name: command?.name ?? sentName,
      database,
      connectionId,
      ...(collection === undefined ? {} : { collection }),
    });
    if (command === undefined) {
      return errorReply(
        new CommandError(ErrorCodes.CommandNotFound, `no such command: '${sentName}'`),
      );
    }
    if (isTransactional(body)) return errorReply(transactionRefusal());

    const context: CommandContext = {
      storage: this.#storage,
      cursors: this.#cursors,
      clock: this.#clock,
      connectionId,
      database,
    };
    return this.#run(command, body, context, collection);
  }

  /** Runs a known command, unless a failure set with `failNextWrite` takes its place. */
  #run(
    command: KnownCommand,
    body: Document,
    context: CommandContext,
    collection: string | undefined,
  ): Document | 'dropConnection' {
    const failure = command.isWrite ? this.#failures.take(command.name, collection) : undefined;
    if (failure === undefined) return runCommand(command.run, body, context);
    if (failure.kind !== 'network') return failureReply(command.name, body, failure);

    if (failure.afterWrite === true) runCommand(command.run, body, context);
    return 'dropConnection';
  }

  #report(event: CommandEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        // A throwing listener is a bug in the test that registered it; it must not take the
        // connection down with it, so it is shown rather than rethrown.
        console.error('mongo-test-server: an onCommand listener threw:', error);
      }
    }
  }
}

/**
 * Closes a connection with a TCP reset rather than a FIN. The driver reads from an idle pooled
 * connection only when it uses it, so it can miss a FIN and then wait forever for a reply on
 * that connection; a reset surfaces as a socket error at once.
 */
function dropConnection(socket: Socket): void {
  socket.resetAndDestroy();
}

/** True for a command that is part of a transaction, which a standalone server refuses. */
function isTransactional(body: Document): boolean {
  return body.txnNumber !== undefined || body.autocommit !== undefined;
}

/** The error a standalone MongoDB answers a transaction with. */
function transactionRefusal(): CommandError {
  return new CommandError(
    ErrorCodes.IllegalOperation,
    'Transaction numbers are only allowed on a replica set member or mongos',
  );
}

function runCommand(
  run: (body: Document, context: CommandContext) => Document,
  body: Document,
  context: CommandContext,
): Document {
  try {
    return run(body, context);
  } catch (error) {
    return errorReply(toCommandError(error));
  }
}

/** The collection a command names: its first field's value, or `collection` for getMore. */
function collectionOf(body: Document): string | undefined {
  const first = Object.values(body)[0];
  if (typeof first === 'string') return first;
  if (typeof body.collection === 'string') return body.collection;
  return undefined;
}
