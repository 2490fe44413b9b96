import { median } from './measure.js';
import { OPERATION_LABELS, OPERATIONS, type OperationName } from './operations.js';
import { type CellSeries, CONCURRENCIES } from './runner.js';
import type { AdapterName, Contender, OpenSuite } from './suite.js';

/** Medians over the rounds of one contender in one cell. */
export interface CellMedian {
  contender: string;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** One line of an adapter's table. */
export interface SummaryRow {
  operation: OperationName;
  concurrency: number;
  ours: CellMedian | undefined;
  raw: CellMedian | undefined;
  bestPeer: CellMedian | undefined;
  peers: CellMedian[];
  /** ours / raw in ops/s; `undefined` when either is missing. */
  oursOverRaw: number | undefined;
  /** ours / best peer in ops/s. */
  oursOverBestPeer: number | undefined;
}

/** One adapter's results. */
export interface AdapterReport {
  adapter: AdapterName;
  setting: string;
  contenders: { name: string; role: Contender['role'] }[];
  skipped: OpenSuite['skipped'];
  rows: SummaryRow[];
  series: CellSeries[];
}

/** Builds an adapter's rows from every round of every cell. */
export function summarise(suite: OpenSuite, series: CellSeries[]): AdapterReport {
  const rows: SummaryRow[] = [];
  for (const operation of OPERATIONS) {
    for (const concurrency of CONCURRENCIES) {
      const cells = series.filter(
        (entry) => entry.operation === operation && entry.concurrency === concurrency,
      );
      if (cells.length > 0) {
        rows.push(summaryRow(suite.contenders, operation, concurrency, cells));
      }
    }
  }

  return {
    adapter: suite.adapter,
    setting: suite.setting,
    contenders: suite.contenders.map(({ name, role }) => ({ name, role })),
    skipped: suite.skipped,
    rows,
    series,
  };
}

function summaryRow(
  contenders: Contender[],
  operation: OperationName,
  concurrency: number,
  cells: CellSeries[],
): SummaryRow {
  const medians = cells.map(cellMedian);
  const byRole = (role: Contender['role']) =>
    medians.filter((cell) => contenders.find((c) => c.name === cell.contender)?.role === role);
  const ours = byRole('ours')[0];
  const raw = byRole('raw')[0];
  const peers = byRole('peer');
  const bestPeer = peers.reduce<CellMedian | undefined>(
    (best, cell) => (best === undefined || cell.opsPerSec > best.opsPerSec ? cell : best),
    undefined,
  );

  return {
    operation,
    concurrency,
    ours,
    raw,
    bestPeer,
    peers,
    oursOverRaw: ratio(ours, raw),
    oursOverBestPeer: ratio(ours, bestPeer),
  };
}

function cellMedian(cell: CellSeries): CellMedian {
  return {
    contender: cell.contender,
    opsPerSec: median(cell.rounds.map((round) => round.opsPerSec)),
    p50Us: median(cell.rounds.map((round) => round.p50Us)),
    p99Us: median(cell.rounds.map((round) => round.p99Us)),
  };
}

function ratio(
  numerator: CellMedian | undefined,
  denominator: CellMedian | undefined,
): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator.opsPerSec === 0) {
    return undefined;
  }
  return numerator.opsPerSec / denominator.opsPerSec;
}

/** An adapter's main table in Markdown: medians of ours, raw and the best peer, and ratios. */
export function markdownTable(report: AdapterReport): string {
  const header =
    '| operation | in flight | ours ops/s | ours p50 µs | ours p99 µs | raw ops/s | ours/raw ' +
    '| best peer | peer ops/s | ours/peer |\n|---|--:|--:|--:|--:|--:|--:|---|--:|--:|';
  const lines = report.rows.map((row) =>
    [
      OPERATION_LABELS[row.operation],
      row.concurrency,
      opsText(row.ours),
      microseconds(row.ours?.p50Us),
      microseconds(row.ours?.p99Us),
      opsText(row.raw),
      ratioText(row.oursOverRaw),
      row.bestPeer?.contender ?? '—',
      opsText(row.bestPeer),
      ratioText(row.oursOverBestPeer),
    ].join(' | '),
  );
  return [header, ...lines.map((line) => `| ${line} |`)].join('\n');
}

/** Every peer's ops/s per cell, for the cells peers run. */
export function markdownPeerTable(report: AdapterReport): string {
  const peers = report.contenders.filter((contender) => contender.role === 'peer');
  if (peers.length === 0) {
    return '';
  }

  const header =
    `| operation | in flight | ${peers.map((peer) => `${peer.name} ops/s`).join(' | ')} |\n` +
    `|---|--:|${peers.map(() => '--:').join('|')}|`;
  const lines = report.rows
    .filter((row) => row.peers.length > 0)
    .map((row) => {
      const figures = peers.map((peer) =>
        opsText(row.peers.find((cell) => cell.contender === peer.name)),
      );
      return `| ${OPERATION_LABELS[row.operation]} | ${row.concurrency} | ${figures.join(' | ')} |`;
    });
  return [header, ...lines].join('\n');
}

function opsText(cell: CellMedian | undefined): string {
  if (cell === undefined) {
    return '—';
  }
  return Math.round(cell.opsPerSec).toLocaleString('en-US');
}

function microseconds(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(0);
}

/** A ratio with two decimals and an "x"; a dash when there is none. */
export function ratioText(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}x`;
}
