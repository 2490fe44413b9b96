import type { Document } from 'bson';
import type { CursorRegistry } from '../cursors.js';
import { CommandError, ErrorCodes } from '../errors.js';
import type { Storage } from '../storage.js';

/** What a command handler may use: the data, the open cursors and the server's clock. */
export interface CommandContext {
  readonly storage: Storage;
  readonly cursors: CursorRegistry;
  /** Milliseconds since the epoch, as the server's injected clock reads them. */
  readonly clock: () => number;
  /** The id the handshake reported for the connection the command arrived on. */
  readonly connectionId: number;
  /** The database named by the request. */
  readonly database: string;
}

/** A command handler: the command document in, the reply document out (or a thrown error). */
export type CommandHandler = (body: Document, context: CommandContext) => Document;

/** The collection a collection-level command names in its first field. */
export function targetCollection(body: Document): string {
  const name = Object.values(body)[0];
  if (typeof name !== 'string' || name === '') {
    throw new CommandError(ErrorCodes.InvalidNamespace, 'The command must name a collection.');
  }
  return name;
}

/** Reads an optional document field, rejecting other types. */
export function optionalDocument(body: Document, field: string): Document | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Document;

  throw new CommandError(ErrorCodes.FailedToParse, `The field '${field}' must be a document.`);
}

/** Reads an array field of documents, rejecting other types. */
export function documentArray(body: Document, field: string): Document[] {
  const value = body[field];
  if (Array.isArray(value)) return value as Document[];

  throw new CommandError(ErrorCodes.FailedToParse, `The field '${field}' must be an array.`);
}
