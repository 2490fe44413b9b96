import type { ConformanceCase } from '../types.js';
import { badInputCases } from './bad-input.js';
import { cleanupCases } from './cleanup.js';
import { concurrencyCases } from './concurrency.js';
import { contractCases } from './contract.js';
import { errorCases } from './errors.js';
import { expiryCases } from './expiry.js';
import { identityCases } from './identity.js';
import { lifecycleCases } from './lifecycle.js';
import { lockingCases } from './locking.js';
import { modelCases } from './model.js';
import { realTimeCases } from './real-time.js';
import { recordCases } from './records.js';
import { sessionIdCases } from './session-ids.js';
import { ttlCases } from './ttl.js';
import { upsertCases } from './upsert.js';
import { userIdCases } from './user-ids.js';
import { valueCases } from './values.js';

/** Every case of the suite, in the order they run. Ids are stable across releases. */
export const conformanceCases: readonly ConformanceCase[] = Object.freeze([
  ...contractCases,
  ...upsertCases,
  ...identityCases,
  ...userIdCases,
  ...sessionIdCases,
  ...expiryCases,
  ...ttlCases,
  ...lockingCases,
  ...valueCases,
  ...badInputCases,
  ...errorCases,
  ...concurrencyCases,
  ...modelCases,
  ...cleanupCases,
  ...lifecycleCases,
  ...recordCases,
  ...realTimeCases,
]);

export {
  BAD_LOCK_VERSIONS,
  BAD_SESSION_IDS,
  BAD_SESSIONS,
  BAD_USER_IDS,
} from './bad-input.js';
export { NEAR_COLLIDING_USER_IDS, PROTOTYPE_NAMES } from './identity.js';
export { harnessModuleUrl } from './lifecycle.js';
export { CORRUPT_RECORDS } from './records.js';
export { METACHARACTER_SESSION_IDS } from './session-ids.js';
export { INVALID_TTLS } from './ttl.js';
export { encodedBytes, sessionOfSize } from './values.js';
