import { canonicalUserId, type UserId } from '@sessionstore/core';

/** What the soak's client side believes about one session of a user. */
export interface KnownSession {
  /** The lock version last read or written, or `null` when the copy carries none. */
  lockVersion: number | null;
}

/**
 * One user of the workload: one canonical id and the ways a caller may spell it. `1`, `1n`
 * and `"1"` are one user, so they form one group and are never run in parallel.
 */
export interface SoakUser {
  /** The canonical id, as the contract compares users. */
  readonly key: string;
  /** The spellings calls use, chosen at random per call. */
  readonly aliases: readonly UserId[];
  /** Sessions the client believes are live, by session id. */
  readonly known: Map<string, KnownSession>;
  /** Lock versions the client held earlier, by session id: material for stale refreshes. */
  readonly previousVersions: Map<string, number[]>;
  /** Set after a divergence: the model no longer describes this user, so it gets no more calls. */
  quarantined: boolean;
}

/**
 * Session ids that look alike or carry characters a backend might treat specially. Every
 * user draws from the same list, so the same id exists for many users at once.
 */
export const SESSION_IDS: readonly string[] = [
  's1',
  's10',
  's1:x',
  '{s1}',
  's1}',
  "s'1",
  's%1',
  's*',
  's_1',
  's 1',
  'S1',
  'r:s1',
  'v:s1',
  's1\u200b',
];

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Users whose ids look alike, or alike once encoded, or sit at the edges of the id rules. */
const FIXED_GROUPS: readonly (readonly UserId[])[] = [
  [1, 1n, '1'],
  [10, 10n, '10'],
  [-1, -1n, '-1'],
  [0, 0n, '0'],
  [MAX_SAFE, BigInt(MAX_SAFE), String(MAX_SAFE)],
  [BigInt(MAX_SAFE) + 2n, String(BigInt(MAX_SAFE) + 2n)],
  ['01'],
  ['1.0'],
  [' 1'],
  ['u1'],
  ['u10'],
  ['u1:x'],
  ['{u1}'],
  ['u1}'],
  ['{u1'],
  ['u%7Bu1%7D'],
  ['%7Bu1%7D'],
  ['u1:index'],
  ['u1}:sessions{'],
  ['u1*'],
  ['u?'],
  ["u'1"],
  ['u"1'],
  ['u\\1'],
  ['ü1'],
  ['👤1'],
  ['u'.repeat(512)],
];

/** Spellings for generated users; `index` makes each one distinct. */
const TEMPLATES: readonly ((index: number) => readonly UserId[])[] = [
  (index) => [`u${index}`],
  (index) => [index, BigInt(index), String(index)],
  (index) => [`{u${index}}`],
  (index) => [`u${index}:x`],
  (index) => [`u${index}}`],
  (index) => [`%u${index}`],
];

/**
 * Builds `count` users: the fixed look-alike groups first, then generated ones. No two users
 * share a canonical id.
 */
export function buildUsers(count: number): SoakUser[] {
  const users: SoakUser[] = [];
  const seen = new Set<string>();
  const add = (aliases: readonly UserId[]): void => {
    const key = canonicalUserId(aliases[0], { store: 'soak', method: 'buildUsers()' });
    if (users.length >= count || seen.has(key)) {
      return;
    }
    seen.add(key);
    users.push({ key, aliases, known: new Map(), previousVersions: new Map(), quarantined: false });
  };

  for (const aliases of FIXED_GROUPS) {
    add(aliases);
  }
  for (let index = 2; users.length < count && index < count * 10; index++) {
    const template = TEMPLATES[index % TEMPLATES.length];
    if (template !== undefined) {
      add(template(index));
    }
  }
  return users;
}

/** A printable form of a user id, type included: `1n`, `"1"`, `1`. */
export function showUserId(userId: UserId): string {
  if (typeof userId === 'bigint') {
    return `${userId}n`;
  }
  return typeof userId === 'string' ? JSON.stringify(truncate(userId)) : String(userId);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
