// Which cases must catch each planted flaw of the reference store. Each list names the cases
// that exist to catch that bug; more may fail too. A flaw that no case catches would mean a
// missing case. The model cases are random: they are listed where they catch a flaw with the
// self-test's seed (1). With seeds 1 to 10 each listed flaw was caught by a model case every
// time but once (joined-keys, seed 2).

const SEQUENTIAL = 'model.sequential.matches-model';
const CONCURRENT = 'model.concurrent.serialisable';

// Flaws that only the model cases catch: each needs a sequence of calls that no single
// hand-written case makes.
export const ONLY_CAUGHT_BY_MODEL: readonly string[] = ['sticky-lock-version', 'cas-keeps-expiry'];

export const EXPECTED_CATCHES: Readonly<Record<string, readonly string[]>> = {
  'no-expiry-filter': [
    'expiry.boundary.at-expiry',
    'expiry.boundary.after-expiry',
    'expiry.never-revived.by-other-upsert',
    'expiry.ttl.one-second',
    'locking.stale.after-expiry',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'get-all-expired': [
    'expiry.get-all.omits-expired',
    'expiry.get-all.not-counted',
    'expiry.never-revived.by-other-upsert',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'delete-all-everyone': [
    'identity.near-colliding.delete-all',
    'user-ids.big.listed-apart',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'prefix-delete-all': [
    'identity.near-colliding.delete-all',
    'identity.joined-keys.listed-apart',
    CONCURRENT,
  ],
  'lossy-index': [
    'concurrency.parallel-upserts.listed',
    'concurrency.parallel-upserts.many-users',
    'concurrency.mixed.get-matches-get-all',
    CONCURRENT,
  ],
  'merge-upsert': [
    'upsert.replaces.whole-object',
    'upsert.replaces.fields-removed',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'seconds-expiry': [
    'expiry.boundary.before-expiry',
    'expiry.boundary.at-expiry',
    'expiry.ttl.one-second',
    'cleanup.prune.boundary',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'no-lock-check': [
    'locking.create.zero-conflicts-when-live',
    'locking.update.wrong-version-conflicts',
    'locking.stale.after-delete',
    'concurrency.compare-and-set.one-winner',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'racy-compare-and-set': [
    'concurrency.compare-and-set.one-winner',
    'concurrency.compare-and-set.create-one-winner',
    'concurrency.compare-and-set.rounds',
    CONCURRENT,
  ],
  'stale-revives': [
    'locking.update.missing-conflicts',
    'locking.stale.after-delete',
    'locking.stale.after-delete-all',
    'locking.stale.after-expiry',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'ref-timer': ['lifecycle.child-process.exits'],
  'no-sweep': ['cleanup.sweep.on-its-own'],
  'joined-keys': ['identity.joined-keys.distinct', 'identity.joined-keys.listed-apart', CONCURRENT],
  'loose-keys': [
    'identity.near-colliding.get',
    'identity.exact-match.case-space-normalisation',
    'session-ids.prefixes.distinct',
  ],
  'index-leak': [
    'cleanup.count.create-delete-cycles',
    'cleanup.count.delete-expired-leaves-nothing',
  ],
  'prune-miscount': ['expiry.prune.counted-once', 'cleanup.prune.counts-expired'],
  'prune-live': ['cleanup.prune.boundary', SEQUENTIAL, CONCURRENT],
  'deferred-delete-all': [
    'concurrency.delete-all.earlier-upserts',
    'locking.stale.after-delete-all',
    'cleanup.count.delete-all-leaves-nothing',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'shared-user-expiry': [
    'expiry.never-revived.by-other-upsert',
    'expiry.get-all.omits-expired',
    'cleanup.prune.counts-expired',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'corrupt-throws': [
    'records.corrupt.get-skips',
    'records.corrupt.get-all-continues',
    'records.corrupt.no-crash',
  ],
  'typed-user-ids': [
    'user-ids.forms.same-user',
    'user-ids.forms.written-any-way',
    'user-ids.returned-type-kept',
    'user-ids.big.exact',
    SEQUENTIAL,
    CONCURRENT,
  ],
  'sync-throws': ['errors.async.rejects-never-throws', 'bad-input.get.session-id'],
  'leaky-errors': ['errors.message.no-secret'],
  'ignores-max-bytes': ['values.size.small-limit', 'values.size.stored-copy-untouched'],
  'ignores-signing': [
    'records.tampered.edited',
    'records.tampered.unsigned-or-foreign',
    'records.signing.rotation',
  ],
  'keeps-references': ['contract.get.returns-a-copy', SEQUENTIAL, CONCURRENT],
  'mutates-input': ['contract.upsert.input-not-mutated'],
  'sticky-lock-version': [SEQUENTIAL, CONCURRENT],
  'cas-keeps-expiry': [SEQUENTIAL, CONCURRENT],
  'instance-mutex-compare-and-set': [
    'concurrency.siblings.compare-and-set.one-winner',
    'concurrency.siblings.create-one-winner',
  ],
  'cap-per-user': ['concurrency.many-sessions.readable', 'concurrency.many-sessions.listed'],
  'ref-timer-on-delete': ['lifecycle.child-process.exits'],
  'ref-timer-by-default': ['lifecycle.child-process.exits'],
  'object-index': [
    'identity.near-colliding.get',
    'identity.near-colliding.get-all',
    'identity.near-colliding.delete',
    'identity.near-colliding.delete-all',
    'identity.prototype-names.users-and-sessions',
  ],
  'get-all-dates-as-text': ['values.dates.round-trip'],
  'get-all-bytes-as-base64': ['values.bytes.round-trip'],
  'instance-cache': [
    'concurrency.siblings.read-each-others-writes',
    'concurrency.siblings.delete-all',
  ],
};

// Flaws that a single store instance cannot show: only the cases that open a sibling over the
// same data (hooks.openSibling) catch them, so nothing else may fail on them.
export const ONLY_CAUGHT_BY_SIBLINGS: readonly string[] = [
  'instance-mutex-compare-and-set',
  'instance-cache',
];
