import type { OperationName } from './operations.js';
import type { AdapterReport, SummaryRow } from './report.js';
import type { AdapterName } from './suite.js';

/** One speed target: ours / (raw or a named peer) in ops/s must reach `minimum`. */
interface Target {
  operation: OperationName;
  concurrency: number;
  /** `'raw'`, or the name of the peer compared against. */
  versus: string;
  minimum: number;
}

/** A target and what this run measured for it. */
export interface TargetResult extends Target {
  ratio: number | undefined;
  met: boolean;
}

const BOTH = [1, 32];

function targets(
  operations: OperationName[],
  concurrencies: number[],
  versus: string,
  minimum: number,
): Target[] {
  return operations.flatMap((operation) =>
    concurrencies.map((concurrency) => ({ operation, concurrency, versus, minimum })),
  );
}

/**
 * The targets of the issue that asked for these benchmarks. "get" is the hit; "upsert" is
 * the unconditional write of a new session, compared with the raw write of the same job.
 */
const TARGETS: Record<AdapterName, Target[]> = {
  redis: [
    ...targets(['getHit'], [1], 'raw', 0.9),
    ...targets(['getHit'], [32], 'raw', 0.85),
    ...targets(['upsertNew'], BOTH, 'raw', 0.9),
    ...targets(['getAll10'], BOTH, 'raw', 1.8),
  ],
  postgres: targets(['getHit', 'upsertNew', 'delete'], BOTH, 'raw', 0.9),
  sqlite: [
    ...targets(['getHit', 'upsertNew'], BOTH, 'raw', 0.5),
    ...targets(['getHit', 'upsertNew'], BOTH, 'better-sqlite3-session-store', 2),
  ],
  mongodb: targets(['getHit', 'upsertNew'], BOTH, 'raw', 0.9),
};

/** Checks an adapter's targets against its rows. */
export function checkTargets(report: AdapterReport): TargetResult[] {
  return TARGETS[report.adapter].map((target) => {
    const row = report.rows.find(
      (candidate) =>
        candidate.operation === target.operation && candidate.concurrency === target.concurrency,
    );
    const ratio = row === undefined ? undefined : ratioVersus(row, target.versus);
    return { ...target, ratio, met: ratio !== undefined && ratio >= target.minimum };
  });
}

function ratioVersus(row: SummaryRow, versus: string): number | undefined {
  if (versus === 'raw') {
    return row.oursOverRaw;
  }

  const peer = row.peers.find((cell) => cell.contender === versus);
  if (row.ours === undefined || peer === undefined || peer.opsPerSec === 0) {
    return undefined;
  }
  return row.ours.opsPerSec / peer.opsPerSec;
}
