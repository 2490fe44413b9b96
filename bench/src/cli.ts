import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, parseOptions, UsageError } from './options.js';
import { Progress } from './progress.js';
import {
  type AdapterReport,
  markdownPeerTable,
  markdownTable,
  ratioText,
  summarise,
} from './report.js';
import { type Budgets, runSuite } from './runner.js';
import { runScale, type ScaleReport } from './scale.js';
import { sessionBytes } from './session.js';
import type { AdapterName, OpenSuite } from './suite.js';
import { openMongoSuite } from './suites/mongodb.js';
import { openPostgresSuite } from './suites/postgres.js';
import { openRedisSuite } from './suites/redis.js';
import { openSqliteSuite } from './suites/sqlite.js';
import { checkTargets, type TargetResult } from './targets.js';

const RESULTS_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results');

const OPENERS: Record<AdapterName, () => Promise<OpenSuite>> = {
  sqlite: openSqliteSuite,
  postgres: openPostgresSuite,
  redis: openRedisSuite,
  mongodb: openMongoSuite,
};

/** Calls and milliseconds per measured cell; deletes need one stored session per call. */
function budgets(quick: boolean): Budgets {
  const maxMs = quick ? 30 : 500;
  const calls = quick ? 600 : 20_000;
  return {
    getHit: { maxCalls: calls, maxMs },
    getMiss: { maxCalls: calls, maxMs },
    upsertNew: { maxCalls: calls, maxMs },
    upsertCas: { maxCalls: calls, maxMs },
    delete: { maxCalls: quick ? 300 : 4000, maxMs },
    getAll10: { maxCalls: calls, maxMs },
    deleteAll10: { maxCalls: quick ? 60 : 400, maxMs },
  };
}

interface AdapterResult extends AdapterReport {
  targets: TargetResult[];
}

async function benchAdapter(
  adapter: AdapterName,
  options: BenchOptions,
  progress: Progress,
): Promise<AdapterResult> {
  progress.update(`${adapter}: opening`);
  const suite = await OPENERS[adapter]();
  try {
    const series = await runSuite(suite, {
      rounds: options.rounds,
      budgets: budgets(options.quick),
      warmUpBudget: { maxCalls: options.quick ? 64 : 1000, maxMs: options.quick ? 30 : 300 },
      hotSessions: options.quick ? 64 : 256,
      getAllUsers: options.quick ? 8 : 32,
      collectGarbage: !options.quick,
      progress,
    });
    const report = summarise(suite, series);
    return { ...report, targets: checkTargets(report) };
  } finally {
    await suite.close();
  }
}

function machine() {
  const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { load1, load5, load15 },
  };
}

function printAdapter(result: AdapterResult): void {
  console.log(`\n## ${result.adapter}\n\n${result.setting}\n`);
  console.log(markdownTable(result));
  const peers = markdownPeerTable(result);
  if (peers !== '') {
    console.log(`\nPeers:\n\n${peers}`);
  }
  for (const skipped of result.skipped) {
    console.log(`\nNot run: ${skipped.name}: ${skipped.reason}`);
  }
  console.log('\nTargets:\n');
  for (const target of result.targets) {
    const verdict = target.met ? 'met' : 'MISSED';
    console.log(
      `- ${target.operation} ×${target.concurrency} vs ${target.versus}: ` +
        `${ratioText(target.ratio)} (target ≥ ${target.minimum}x) ${verdict}`,
    );
  }
}

function writeJson(options: BenchOptions, document: object): string {
  const fileName = options.scale
    ? 'latest-scale.json'
    : options.quick
      ? 'latest-quick.json'
      : 'latest.json';
  const path = resolve(options.jsonPath ?? resolve(RESULTS_DIRECTORY, fileName));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

function printHeader(options: BenchOptions, startedAt: string): void {
  const { cpu, cores, node, loadAverage } = machine();
  const mode = options.scale
    ? 'scale runs'
    : `${options.rounds} rounds${options.quick ? ' (quick)' : ''}`;
  console.log(`# sessionstore benchmark, ${startedAt}`);
  console.log(
    `\n${cpu}, ${cores} cores, Node ${node}; load average at start ` +
      `${loadAverage.load1.toFixed(2)}; ${mode}; session ${sessionBytes()} bytes encoded.`,
  );
}

/** Samples the 1-minute load average every 10 s, so a report says how busy the machine was. */
function sampleLoad(): { samples: number[]; stop: () => void } {
  const samples = [loadavg()[0] ?? 0];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), 10_000);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

function loadSummary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number) =>
    (sorted[Math.floor(fraction * (sorted.length - 1))] ?? 0).toFixed(1);
  return `1-minute load average during the run: min ${at(0)}, median ${at(0.5)}, max ${at(1)}`;
}

/** Prints each adapter's tables as soon as it is done, and writes the JSON at the end. */
async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const progress = new Progress();
  const startedAt = new Date().toISOString();
  const machineBefore = machine();
  const adapters: AdapterResult[] = [];
  let scale: ScaleReport[] = [];
  printHeader(options, startedAt);
  const load = sampleLoad();

  try {
    if (options.scale) {
      scale = await runScale(options.adapters, progress);
    } else {
      for (const adapter of options.adapters) {
        const result = await benchAdapter(adapter, options, progress);
        progress.done();
        printAdapter(result);
        adapters.push(result);
      }
    }
  } finally {
    progress.done();
  }

  for (const report of scale) {
    console.log(`\n${report.markdown}`);
  }
  load.stop();
  console.log(`\n${loadSummary(load.samples)} (on ${machineBefore.cores} cores).`);
  const path = writeJson(options, {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { ...machineBefore, loadAverageSamples: load.samples },
    options,
    sessionBytes: sessionBytes(),
    adapters,
    scale,
  });
  console.log(`Results written to ${path}`);
}

main().then(
  // A peer (better-sqlite3-session-store) leaves an interval running that nothing can clear.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
