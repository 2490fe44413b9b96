import { type Document, deserialize, serialize } from 'bson';

// Operation codes this server reads or writes. OP_COMPRESSED (2012) never arrives, since the
// handshake advertises no compressor; any other code closes the connection.
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

const HEADER_BYTES = 16;
const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;
const CHECKSUM_BYTES = 4;
const SECTION_BODY = 0;
const SECTION_DOCUMENT_SEQUENCE = 1;

/** The largest message this server accepts or advertises, in bytes. */
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;

/** A command decoded from an OP_QUERY or OP_MSG request. */
export interface WireRequest {
  /** The request id, echoed as `responseTo` in the reply. */
  readonly requestId: number;
  /** The operation code the request arrived with. */
  readonly opCode: number;
  /** The command document, with document sequences merged in. */
  readonly body: Document;
  /** The database named by `$db` (OP_MSG) or by the collection name (OP_QUERY). */
  readonly database: string;
  /** True when the client asked for no reply (`moreToCome`). */
  readonly moreToCome: boolean;
}

/** Thrown when bytes on a connection cannot be read as a request; the connection is closed. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/**
 * Collects TCP chunks and hands out whole messages; a message may arrive split over many
 * chunks, and one chunk may hold several messages.
 */
export class MessageReader {
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;

  /** Adds a chunk and returns every message it completed, each with its header. */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;

    const messages: Buffer[] = [];
    // Each pass consumes at least HEADER_BYTES, so the loop ends with the buffered bytes.
    while (this.#bufferedBytes >= 4) {
      const messageBytes = this.#peekLength();
      if (messageBytes < HEADER_BYTES || messageBytes > MAX_MESSAGE_SIZE_BYTES) {
        throw new ProtocolError(`A message declared an invalid length of ${messageBytes} bytes.`);
      }
      if (this.#bufferedBytes < messageBytes) break;
      messages.push(this.#take(messageBytes));
    }
    return messages;
  }

  #peekLength(): number {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= 4) return first.readInt32LE(0);

    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined.readInt32LE(0);
  }

  #take(byteCount: number): Buffer {
    const joined =
      this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    const message = joined.subarray(0, byteCount);
    const rest = joined.subarray(byteCount);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#bufferedBytes = rest.length;
    return message;
  }
}

/** Decodes one complete message; throws a ProtocolError for an operation it does not serve. */
export function decodeRequest(message: Buffer): WireRequest {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return decodeOpMsg(message, requestId);
  if (opCode === OP_QUERY) return decodeOpQuery(message, requestId);

  throw new ProtocolError(`Operation code ${opCode} is not supported by this test server.`);
}

function decodeOpMsg(message: Buffer, requestId: number): WireRequest {
  const flags = message.readUInt32LE(HEADER_BYTES);
  const hasChecksum = (flags & FLAG_CHECKSUM_PRESENT) !== 0;
  const end = hasChecksum ? message.length - CHECKSUM_BYTES : message.length;

  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  let offset = HEADER_BYTES + 4;
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    const size = message.readInt32LE(offset);
    if (size < 5 || offset + size > end) throw new ProtocolError('A section overruns its message.');
    if (kind === SECTION_BODY) body = readDocument(message, offset, size);
    else if (kind === SECTION_DOCUMENT_SEQUENCE)
      sequences.push(readSequence(message, offset, size));
    else throw new ProtocolError(`Section kind ${kind} is not part of OP_MSG.`);
    offset += size;
  }
  if (body === undefined) throw new ProtocolError('An OP_MSG arrived without a body section.');

  for (const [identifier, documents] of sequences) body[identifier] = documents;
  return {
    requestId,
    opCode: OP_MSG,
    body,
    database: typeof body.$db === 'string' ? body.$db : 'admin',
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
  };
}

function readSequence(message: Buffer, start: number, size: number): [string, Document[]] {
  const end = start + size;
  const nameStart = start + 4;
  const nameEnd = message.indexOf(0, nameStart);
  if (nameEnd < 0 || nameEnd >= end) throw new ProtocolError('A document sequence has no name.');

  const identifier = message.toString('utf8', nameStart, nameEnd);
  const documents: Document[] = [];
  let offset = nameEnd + 1;
  while (offset < end) {
    const documentBytes = message.readInt32LE(offset);
    if (documentBytes < 5 || offset + documentBytes > end) {
      throw new ProtocolError('A document overruns its sequence.');
    }
    documents.push(readDocument(message, offset, documentBytes));
    offset += documentBytes;
  }
  return [identifier, documents];
}

function decodeOpQuery(message: Buffer, requestId: number): WireRequest {
  const nameStart = HEADER_BYTES + 4;
  const nameEnd = message.indexOf(0, nameStart);
  if (nameEnd < 0) throw new ProtocolError('An OP_QUERY has no collection name.');

  const fullName = message.toString('utf8', nameStart, nameEnd);
  const queryStart = nameEnd + 1 + 8;
  const query = readDocument(message, queryStart, message.readInt32LE(queryStart));
  // Legacy drivers may wrap the command in `$query` next to read preference fields.
  const body = isDocument(query.$query) ? query.$query : query;
  return {
    requestId,
    opCode: OP_QUERY,
    body,
    database: fullName.split('.')[0] ?? 'admin',
    moreToCome: false,
  };
}

function readDocument(message: Buffer, offset: number, size: number): Document {
  return deserialize(message.subarray(offset, offset + size));
}

function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Encodes a reply in the form the request expects: OP_REPLY for OP_QUERY, else OP_MSG. */
export function encodeReply(request: WireRequest, replyId: number, reply: Document): Buffer {
  const document = serialize(reply);
  if (request.opCode === OP_QUERY) return encodeOpReply(request.requestId, replyId, document);

  return encodeOpMsg(request.requestId, replyId, document);
}

function encodeOpMsg(responseTo: number, replyId: number, document: Uint8Array): Buffer {
  const prefixBytes = HEADER_BYTES + 4 + 1;
  const prefix = Buffer.alloc(prefixBytes);
  writeHeader(prefix, prefixBytes + document.length, replyId, responseTo, OP_MSG);
  prefix.writeUInt32LE(0, HEADER_BYTES);
  prefix.writeUInt8(SECTION_BODY, HEADER_BYTES + 4);
  return Buffer.concat([prefix, document]);
}

function encodeOpReply(responseTo: number, replyId: number, document: Uint8Array): Buffer {
  const prefixBytes = HEADER_BYTES + 20;
  const prefix = Buffer.alloc(prefixBytes);
  writeHeader(prefix, prefixBytes + document.length, replyId, responseTo, OP_REPLY);
  prefix.writeInt32LE(0, HEADER_BYTES);
  prefix.writeBigInt64LE(0n, HEADER_BYTES + 4);
  prefix.writeInt32LE(0, HEADER_BYTES + 12);
  prefix.writeInt32LE(1, HEADER_BYTES + 16);
  return Buffer.concat([prefix, document]);
}

function writeHeader(
  target: Buffer,
  messageBytes: number,
  requestId: number,
  responseTo: number,
  opCode: number,
): void {
  target.writeInt32LE(messageBytes, 0);
  target.writeInt32LE(requestId, 4);
  target.writeInt32LE(responseTo, 8);
  target.writeInt32LE(opCode, 12);
}
