import { calculateObjectSize, type Document, Long } from 'bson';
import { CommandError, ErrorCodes } from './errors.js';
import { toNumber } from './values.js';

/** How many documents a first batch holds when the client does not say, as in MongoDB. */
const DEFAULT_FIRST_BATCH_SIZE = 101;
/** The most document bytes one batch carries, so every reply stays under the BSON limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** Open cursors kept at most; the oldest is forgotten first, as if it timed out. */
const MAX_OPEN_CURSORS = 10_000;

interface OpenCursor {
  readonly namespace: string;
  readonly documents: Document[];
  position: number;
}

/** The cursor part of a reply: `{ id, ns, firstBatch | nextBatch }`. */
export type CursorReply = Document;

/** Open cursors with their remaining results, each under a 64-bit id. */
export class CursorRegistry {
  readonly #cursors = new Map<bigint, OpenCursor>();
  #nextId = 0x1_0000_0000n + BigInt(Math.floor(Math.random() * 0x7fff_ffff));

  /**
   * Replies with the first batch of `documents`, keeping a cursor open for the rest unless
   * `singleBatch` is set or everything fits.
   */
  open(
    namespace: string,
    documents: Document[],
    options: { batchSize?: unknown; singleBatch?: boolean },
  ): CursorReply {
    const batchSize = toNumber(options.batchSize, DEFAULT_FIRST_BATCH_SIZE) || Infinity;
    const cursor: OpenCursor = { namespace, documents, position: 0 };
    const batch = takeBatch(cursor, batchSize);
    const done = options.singleBatch === true || cursor.position >= documents.length;
    const id = done ? 0n : this.#register(cursor);
    return { firstBatch: batch, id: Long.fromBigInt(id), ns: namespace };
  }

  /** Replies to `getMore`; throws CursorNotFound for an unknown or exhausted id. */
  next(cursorId: unknown, batchSize: unknown): CursorReply {
    const id = toCursorId(cursorId);
    const cursor = this.#cursors.get(id);
    if (cursor === undefined) {
      throw new CommandError(ErrorCodes.CursorNotFound, `cursor id ${id} not found`);
    }

    const batch = takeBatch(cursor, toNumber(batchSize, 0) || Infinity);
    const done = cursor.position >= cursor.documents.length;
    if (done) this.#cursors.delete(id);
    return { nextBatch: batch, id: Long.fromBigInt(done ? 0n : id), ns: cursor.namespace };
  }

  /** Closes cursors by id; returns the ids it closed and those it did not know. */
  kill(cursorIds: unknown[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const cursorId of cursorIds) {
      const id = toCursorId(cursorId);
      (this.#cursors.delete(id) ? killed : notFound).push(Long.fromBigInt(id));
    }
    return { killed, notFound };
  }

  clear(): void {
    this.#cursors.clear();
  }

  #register(cursor: OpenCursor): bigint {
    if (this.#cursors.size >= MAX_OPEN_CURSORS) {
      const oldest = this.#cursors.keys().next().value;
      if (oldest !== undefined) this.#cursors.delete(oldest);
    }
    this.#nextId += 1n;
    this.#cursors.set(this.#nextId, cursor);
    return this.#nextId;
  }
}

function takeBatch(cursor: OpenCursor, batchSize: number): Document[] {
  const batch: Document[] = [];
  let batchBytes = 0;
  while (batch.length < batchSize && cursor.position < cursor.documents.length) {
    const document = cursor.documents[cursor.position] as Document;
    const documentBytes = calculateObjectSize(document);
    if (batch.length > 0 && batchBytes + documentBytes > MAX_BATCH_BYTES) break;

    batch.push(document);
    batchBytes += documentBytes;
    cursor.position += 1;
  }
  return batch;
}

function toCursorId(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Long.isLong(value)) return value.toBigInt();

  throw new CommandError(ErrorCodes.BadValue, 'A cursor id must be a 64-bit integer.');
}
