import { createHmac, timingSafeEqual } from 'node:crypto';
import { SessionStoreError } from './errors.js';

// A signed record is still JSON: {"hmac":"<43 base64url characters>","session":<text>}.
// The prefix has a fixed length, so the signed text is recovered by slicing, byte for byte.
const PREFIX = '{"hmac":"';
const MAC_LENGTH = 43;
const INFIX = '","session":';
const SUFFIX = '}';
const HEAD_LENGTH = PREFIX.length + MAC_LENGTH + INFIX.length;

/** The secrets a store signs with: one, or several with the signing one first. */
export type SigningSecret = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * Signs stored records with HMAC-SHA256 over their text and their identity (canonical user
 * id and session id), so a record edited in the database, or copied to another user or
 * session id, fails verification and is treated as absent.
 */
export class RecordSigner {
  readonly #secrets: readonly Buffer[];

  /**
   * @param secrets - one secret, or several: the first signs, any of them verifies.
   * @param store - the package name, for error messages.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` when no secret is given or one is empty.
   */
  constructor(secrets: SigningSecret, store: string) {
    const list = typeof secrets === 'string' || secrets instanceof Uint8Array ? [secrets] : secrets;
    if (!Array.isArray(list) || list.length === 0) {
      throw new SessionStoreError(
        'INVALID_ARGUMENT',
        `${store}: the signingSecret option needs at least one secret.`,
      );
    }

    this.#secrets = list.map((secret: unknown, index: number) => {
      const bytes =
        typeof secret === 'string'
          ? Buffer.from(secret, 'utf8')
          : secret instanceof Uint8Array
            ? Buffer.from(secret)
            : undefined;
      if (bytes === undefined || bytes.length === 0) {
        throw new SessionStoreError(
          'INVALID_ARGUMENT',
          `${store}: signingSecret[${index}] must be a non-empty string or Uint8Array.`,
        );
      }
      return bytes;
    });
  }

  /** Wraps encoded session text in a signed record. */
  sign(userKey: string, sessionId: string, text: string): string {
    const [signing] = this.#secrets as [Buffer];
    return `${PREFIX}${mac(signing, userKey, sessionId, text).toString('base64url')}${INFIX}${text}${SUFFIX}`;
  }

  /**
   * Verifies a signed record for the given identity.
   *
   * @returns the encoded session text, or `null` when the record is unsigned, malformed,
   *   edited, or signed for another identity.
   */
  open(userKey: string, sessionId: string, record: string): string | null {
    if (
      record.length < HEAD_LENGTH + SUFFIX.length ||
      !record.startsWith(PREFIX) ||
      !record.startsWith(INFIX, PREFIX.length + MAC_LENGTH) ||
      !record.endsWith(SUFFIX)
    ) {
      return null;
    }

    const given = Buffer.from(record.slice(PREFIX.length, PREFIX.length + MAC_LENGTH), 'base64url');
    const text = record.slice(HEAD_LENGTH, record.length - SUFFIX.length);
    for (const secret of this.#secrets) {
      const expected = mac(secret, userKey, sessionId, text);
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        return text;
      }
    }

    return null;
  }
}

function mac(secret: Buffer, userKey: string, sessionId: string, text: string): Buffer {
  // The identity goes in as a JSON array so no pair of ids can run into one another.
  return createHmac('sha256', secret)
    .update(JSON.stringify(['sessionstore/v1', userKey, sessionId]))
    .update('\n')
    .update(text)
    .digest();
}
