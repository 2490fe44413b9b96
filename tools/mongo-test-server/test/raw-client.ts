import { connect, type Socket } from 'node:net';
import { type Document, deserialize, serialize } from 'bson';
import { MessageReader } from '../src/wire.js';

const OP_QUERY = 2004;
const OP_MSG = 2013;

/** Flag bits of OP_MSG. */
export const CHECKSUM_PRESENT = 1 << 0;
export const MORE_TO_COME = 1 << 1;

/** Encodes an OP_MSG with a body section and, if `withChecksum`, four checksum bytes. */
export function opMsg(requestId: number, body: Document, flags = 0): Buffer {
  const document = Buffer.from(serialize(body));
  const checksumBytes = (flags & CHECKSUM_PRESENT) !== 0 ? 4 : 0;
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + document.length + checksumBytes, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(flags, 16);
  header.writeUInt8(0, 20);
  return Buffer.concat([header, document, Buffer.alloc(checksumBytes)]);
}

/** Encodes an OP_MSG whose body is followed by one kind-1 document sequence. */
export function opMsgWithSequence(
  requestId: number,
  body: Document,
  identifier: string,
  documents: Document[],
): Buffer {
  const plain = opMsg(requestId, body);
  const name = Buffer.from(`${identifier}\0`, 'utf8');
  const sequenceDocuments = Buffer.concat(documents.map((doc) => Buffer.from(serialize(doc))));
  const sectionSize = Buffer.alloc(4);
  sectionSize.writeInt32LE(4 + name.length + sequenceDocuments.length, 0);
  const message = Buffer.concat([plain, Buffer.of(1), sectionSize, name, sequenceDocuments]);
  message.writeInt32LE(message.length, 0);
  return message;
}

/** Encodes a legacy OP_QUERY on `admin.$cmd`, as drivers send their first handshake. */
export function opQuery(requestId: number, query: Document): Buffer {
  const name = Buffer.from('admin.$cmd\0', 'utf8');
  const document = Buffer.from(serialize(query));
  const fixed = Buffer.alloc(20);
  const skipAndReturn = Buffer.alloc(8);
  skipAndReturn.writeInt32LE(-1, 4);
  const length = fixed.length + name.length + skipAndReturn.length + document.length;
  fixed.writeInt32LE(length, 0);
  fixed.writeInt32LE(requestId, 4);
  fixed.writeInt32LE(OP_QUERY, 12);
  return Buffer.concat([fixed, name, skipAndReturn, document]);
}

/** A decoded reply: header fields, OP_MSG flags and the reply document. */
export interface RawReply {
  readonly responseTo: number;
  readonly opCode: number;
  readonly flags: number;
  readonly body: Document;
}

function decodeReply(message: Buffer): RawReply {
  const responseTo = message.readInt32LE(8);
  const opCode = message.readInt32LE(12);
  const flags = message.readUInt32LE(16);
  const bodyStart = opCode === OP_MSG ? 21 : 36;
  return { responseTo, opCode, flags, body: deserialize(message.subarray(bodyStart)) };
}

/** A bare TCP connection that writes raw bytes and collects decoded replies. */
export class RawClient {
  readonly socket: Socket;
  readonly #reader = new MessageReader();
  readonly #replies: RawReply[] = [];
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    // The server closes connections with a reset; the test looks at 'close' instead.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const message of this.#reader.push(chunk)) this.#replies.push(decodeReply(message));
      for (const wake of this.#waiters) wake();
      this.#waiters = [];
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Waits until `count` replies have arrived in total and returns them. */
  async replies(count: number, timeoutMs = 2_000): Promise<RawReply[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.#replies.length < count) {
      if (Date.now() > deadline) throw new Error(`Only ${this.#replies.length} replies arrived.`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.#replies.slice(0, count);
  }

  /** Resolves when the server has closed the connection. */
  closed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();

    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}
