// Which cases must catch each planted flaw of the reference store. Each list names the cases
// that exist to catch that bug; more may fail too. A flaw that no case catches would mean a
// missing case.
export const EXPECTED_CATCHES: Readonly<Record<string, readonly string[]>> = {
  'no-expiry-filter': [
    'expiry.boundary.at-expiry',
    'expiry.boundary.after-expiry',
    'expiry.never-revived.by-other-upsert',
    'expiry.ttl.one-second',
    'locking.stale.after-expiry',
  ],
  'get-all-expired': [
    'expiry.get-all.omits-expired',
    'expiry.get-all.not-counted',
    'expiry.never-revived.by-other-upsert',
  ],
  'delete-all-everyone': ['identity.near-colliding.delete-all', 'user-ids.big.listed-apart'],
  'prefix-delete-all': ['identity.near-colliding.delete-all', 'identity.joined-keys.listed-apart'],
  'lossy-index': [
    'concurrency.parallel-upserts.listed',
    'concurrency.parallel-upserts.many-users',
    'concurrency.mixed.get-matches-get-all',
  ],
  'merge-upsert': ['upsert.replaces.whole-object', 'upsert.replaces.fields-removed'],
  'seconds-expiry': [
    'expiry.boundary.before-expiry',
    'expiry.boundary.at-expiry',
    'expiry.ttl.one-second',
    'cleanup.prune.boundary',
  ],
  'no-lock-check': [
    'locking.create.zero-conflicts-when-live',
    'locking.update.wrong-version-conflicts',
    'locking.stale.after-delete',
    'concurrency.compare-and-set.one-winner',
  ],
  'racy-compare-and-set': [
    'concurrency.compare-and-set.one-winner',
    'concurrency.compare-and-set.create-one-winner',
    'concurrency.compare-and-set.rounds',
  ],
  'stale-revives': [
    'locking.update.missing-conflicts',
    'locking.stale.after-delete',
    'locking.stale.after-delete-all',
    'locking.stale.after-expiry',
  ],
  'ref-timer': ['lifecycle.child-process.exits'],
  'no-sweep': ['cleanup.sweep.on-its-own'],
  'joined-keys': ['identity.joined-keys.distinct', 'identity.joined-keys.listed-apart'],
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
  'prune-live': ['cleanup.prune.boundary'],
  'deferred-delete-all': [
    'concurrency.delete-all.earlier-upserts',
    'locking.stale.after-delete-all',
    'cleanup.count.delete-all-leaves-nothing',
  ],
  'shared-user-expiry': [
    'expiry.never-revived.by-other-upsert',
    'expiry.get-all.omits-expired',
    'cleanup.prune.counts-expired',
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
  ],
  'sync-throws': ['errors.async.rejects-never-throws', 'bad-input.get.session-id'],
  'leaky-errors': ['errors.message.no-secret'],
  'ignores-max-bytes': ['values.size.small-limit', 'values.size.stored-copy-untouched'],
  'ignores-signing': [
    'records.tampered.edited',
    'records.tampered.unsigned-or-foreign',
    'records.signing.rotation',
  ],
  'keeps-references': ['contract.get.returns-a-copy'],
  'mutates-input': ['contract.upsert.input-not-mutated'],
};
