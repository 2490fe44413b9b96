import type { SoakResult } from './runner.js';
import { EXPECTED_CODES, totalCalls } from './stats.js';
import { showUserId } from './users.js';

/** Memory and backend figures taken before and after a run, and what the store reported. */
export interface Measurements {
  /** Logger events by type, and the first few messages. */
  readonly storeEvents: Readonly<Record<string, number>>;
  readonly storeEventMessages: readonly string[];
  readonly heapUsedBytesStart: number;
  readonly heapUsedBytesEnd: number;
  readonly backendStart: Record<string, number>;
  readonly backendEnd: Record<string, number>;
}

/**
 * Whether a run passed: no divergence, no unexpected error, a complete audit, and (when
 * given) nothing reported through the store's logger.
 */
export function passed(
  result: SoakResult,
  storeEvents: Readonly<Record<string, number>> = {},
): boolean {
  const { stats } = result;
  const quiet = Object.values(storeEvents).every((count) => count === 0);
  return (
    stats.divergenceCount === 0 && stats.unexpectedErrors === 0 && result.auditComplete && quiet
  );
}

/** The report of one adapter's run, as lines of text. */
export function formatReport(
  adapter: string,
  where: string,
  seconds: number,
  result: SoakResult,
  measurements: Measurements,
): string {
  const { stats } = result;
  const lines = [
    `soak ${adapter}: ${where}`,
    `  seed ${result.seed} (replay: pnpm soak --adapter ${adapter} --seed ${result.seed} --seconds ${seconds})`,
    `  ran ${(result.elapsedMs / 1000).toFixed(1)} s: ${stats.rounds} rounds, ` +
      `${totalCalls(stats)} calls, ${Math.round(result.callsPerSecond)} calls/s; ` +
      `store clock moved ${(result.clockAdvancedMs / 1000).toFixed(1)} s ` +
      `(${result.clockCatchUps} rounds outlasted their step)`,
    `  actions: ${pairs(stats.actions)}`,
    `  calls:   ${pairs(stats.calls)}`,
    `  errors by code: ${errorCodes(stats.storeErrorsByCode)}`,
    `  unexpected errors: ${stats.unexpectedErrors}`,
    `  store logger events: ${pairs(measurements.storeEvents) || 'none'}`,
    ...measurements.storeEventMessages.map((message) => `    ${message}`),
    `  prune: store removed ${stats.prunedByStore}, model removed ${stats.prunedByModel}`,
    `  live sessions at end: ${result.liveSessions} in the model, ` +
      `${result.storedAfterPrune ?? 'n/a'} stored after prune()`,
    `  memory: heap ${mebibytes(measurements.heapUsedBytesStart)} -> ` +
      `${mebibytes(measurements.heapUsedBytesEnd)}; ` +
      `backend ${figures(measurements.backendStart)} -> ${figures(measurements.backendEnd)}`,
    `  audit: ${result.auditComplete ? 'every user listed and compared' : 'INCOMPLETE (time ran out)'}`,
    `  divergences: ${stats.divergenceCount}` +
      (stats.quarantinedUsers > 0 ? ` (${stats.quarantinedUsers} users quarantined)` : ''),
    ...stats.divergences.flatMap((divergence, index) => [
      `    #${index + 1} round ${divergence.round}, user ${showUserId(divergence.user)}, ` +
        `${divergence.action}: ${divergence.call}`,
      `       store: ${divergence.store}`,
      `       model: ${divergence.model}`,
      ...(divergence.difference === '' ? [] : [`       where: ${divergence.difference}`]),
    ]),
    ...(stats.divergenceCount > stats.divergences.length
      ? [`    ... ${stats.divergenceCount - stats.divergences.length} more not shown`]
      : []),
    `  result: ${passed(result, measurements.storeEvents) ? 'PASS' : 'FAIL'}`,
  ];
  return `${lines.join('\n')}\n`;
}

function pairs(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

function errorCodes(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) {
    return 'none';
  }
  return entries
    .map(([code, count]) => `${code} ${count}${EXPECTED_CODES.includes(code) ? ' (provoked)' : ''}`)
    .join(', ');
}

function figures(values: Readonly<Record<string, number>>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
