export {
  assert,
  assertDeepEqual,
  assertRejects,
  assertResolves,
  assertSame,
  ConformanceAssertionError,
  deepEqual,
  describeError,
  fail,
  findDifference,
  isSessionStoreError,
  show,
} from './assert.js';
export {
  BAD_LOCK_VERSIONS,
  BAD_SESSION_IDS,
  BAD_SESSIONS,
  BAD_USER_IDS,
  CORRUPT_RECORDS,
  conformanceCases,
  encodedBytes,
  harnessModuleUrl,
  INVALID_TTLS,
  METACHARACTER_SESSION_IDS,
  NEAR_COLLIDING_USER_IDS,
  sessionOfSize,
} from './cases/index.js';
export { ManualClock } from './clock.js';
export {
  expectListed,
  expectNoSession,
  expectSession,
  type LoggedEvent,
  makeSession,
  type RecordingLogger,
  recordingLogger,
  requireMethod,
  SeededRandom,
  sleep,
  storedCopyOf,
  type TestSession,
  waitFor,
} from './fixtures.js';
export type {
  ConformanceHarness,
  HarnessCapabilities,
  HarnessCreateOptions,
  HarnessHooks,
} from './harness.js';
export { HarnessLoadError, loadHarness } from './load.js';
export { type ModelUpsertOutcome, ReferenceModel } from './model.js';
export {
  CaseTimeoutError,
  type ConformanceRun,
  caseTimeout,
  DEFAULT_CASE_TIMEOUT_MS,
  formatFailure,
  prepareRun,
  runCase,
  runConformance,
  selectCases,
  skipReason,
  summarize,
  TEARDOWN_TIMEOUT_MS,
  teardownWithin,
} from './runner.js';
export {
  type CaseContext,
  type CaseResult,
  type CaseStatus,
  CONFORMANCE_NEEDS,
  type ConformanceCase,
  type ConformanceCategory,
  type ConformanceNeed,
  type ConformanceOptions,
  type ConformanceResults,
  type OpenStoreOptions,
} from './types.js';
