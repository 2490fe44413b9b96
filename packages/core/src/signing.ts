import { createHmac, timingSafeEqual } from 'node:crypto';
import { SessionStoreError } from './errors.js';

// A signed record is still JSON:
//   {"hmac":"<43 base64url characters>","expiresAtMs":<integer>,"session":<text>}
// The MAC has a fixed length, so the signed text is recovered by slicing, byte for byte.
const PREFIX = '{"hmac":"';
const MAC_LENGTH = 43;
const EXPIRY_INFIX = '","expiresAtMs":';
const SESSION_INFIX = ',"session":';
const SUFFIX = '}';
const EXPIRY_START = PREFIX.length + MAC_LENGTH + EXPIRY_INFIX.length;

/** What a verified record holds. */
export interface OpenedRecord {
  /** The encoded session text. */
  text: string;
  /** The expiry the record was signed with. */
  expiresAtMs: number;
}

/** The secrets a store signs with: one, or several with the signing one first. */
export type SigningSecret = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * Signs stored records with HMAC-SHA256 over their text, their identity (canonical user id
 * and session id) and their expiry, so a record edited in the database, copied to another
 * user or session id, or given a later expiry fails verification and is treated as absent.
 * A signature cannot tell a deleted record put back from one never deleted: revocation
 * still rests on the database refusing writes from those it does not trust.
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

  /** Wraps encoded session text, with its identity and expiry, in a signed record. */
  sign(userKey: string, sessionId: string, text: string, expiresAtMs: number): string {
    const [signing] = this.#secrets as [Buffer];
    const macText = mac(signing, userKey, sessionId, expiresAtMs, text);
    return `${PREFIX}${macText}${EXPIRY_INFIX}${expiresAtMs}${SESSION_INFIX}${text}${SUFFIX}`;
  }

  /**
   * Verifies a signed record for the given identity.
   *
   * @returns the encoded session text and its signed expiry, or `null` when the record is
   *   unsigned, malformed, edited, or signed for another identity.
   */
  open(userKey: string, sessionId: string, record: string): OpenedRecord | null {
    if (
      !record.startsWith(PREFIX) ||
      !record.startsWith(EXPIRY_INFIX, PREFIX.length + MAC_LENGTH) ||
      !record.endsWith(SUFFIX)
    ) {
      return null;
    }

    const expiryEnd = record.indexOf(SESSION_INFIX, EXPIRY_START);
    const expiryText = record.slice(EXPIRY_START, expiryEnd);
    if (expiryEnd < 0 || !/^\d{1,16}$/.test(expiryText)) {
      return null;
    }

    const given = Buffer.from(record.slice(PREFIX.length, PREFIX.length + MAC_LENGTH));
    const expiresAtMs = Number(expiryText);
    const text = record.slice(expiryEnd + SESSION_INFIX.length, record.length - SUFFIX.length);
    for (const secret of this.#secrets) {
      // Compared as text, so the unused bits of the last base64url character count too.
      const expected = Buffer.from(mac(secret, userKey, sessionId, expiresAtMs, text));
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        return { text, expiresAtMs };
      }
    }

    return null;
  }
}

function mac(
  secret: Buffer,
  userKey: string,
  sessionId: string,
  expiresAtMs: number,
  text: string,
): string {
  // The identity goes in as a JSON array so no pair of ids can run into one another.
  return createHmac('sha256', secret)
    .update(JSON.stringify(['sessionstore/v2', userKey, sessionId, expiresAtMs]))
    .update('\n')
    .update(text)
    .digest('base64url');
}
