#!/usr/bin/env node
// The soak's command line: `pnpm soak [--adapter NAME] [--seconds N] [--seed N] ...`.
// It prints through process.stdout/stderr, since the project's lint keeps `console` out
// of src.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ManualClock } from './clock.js';
import { EventCounter } from './events.js';
import { randomSeed } from './random.js';
import { formatReport, type Measurements, passed } from './report.js';
import { runSoak } from './runner.js';
import {
  ADAPTER_NAMES,
  type AdapterName,
  DEFAULT_ADAPTERS,
  openTarget,
  type SoakTarget,
} from './targets.js';

const USAGE = `Usage: pnpm soak [options]

  --adapter NAME        sqlite, postgres, redis, mongodb or redis-cluster (repeatable);
                        default the first four
  --seconds N           how long the workload runs per adapter, 1 to 3600; default 30
  --seed N              fixes the workload (1 to 4294967295); default random, always printed
  --users N             users in the workload, 1 to 100000; default 200
  --parallel N          users acting at once, 1 to 1000; default 24
  --max-calls N         store calls per adapter at most; default 5000000
  --call-timeout-ms N   one call's time bound before it counts as TIMEOUT; default 5000
  --signed              sign every stored record (the signingSecret option) with a random key
  --help                this text

Services: SESSIONSTORE_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
SESSIONSTORE_REDIS_URL (default redis://127.0.0.1:6379), SESSIONSTORE_MONGODB_URL (default:
the in-repo MongoDB test server). Only loopback hosts are accepted.
`;

/** The command line, checked. */
interface CliOptions {
  adapters: AdapterName[];
  seconds: number;
  seed: number;
  users: number;
  parallelUsers: number;
  maxCalls: number;
  callTimeoutMs: number;
  signed: boolean;
}

/** How far ahead of real time the store clock starts: a margin for the absolute bound. */
const CLOCK_LEAD_MS = 60_000;

/** Time a run may take beyond its workload: opening, audit, cleanup. */
const GRACE_MS = 90_000;

async function main(argv: string[]): Promise<number> {
  const options = parseCli(argv);
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }

  armHardCap(options);
  const interrupted = stopOnSignals();
  let failures = 0;
  for (const adapter of options.adapters) {
    if (interrupted.aborted) {
      break;
    }
    failures += (await soakOne(adapter, options, interrupted)) ? 0 : 1;
  }

  if (interrupted.aborted) {
    process.stdout.write(`soak: interrupted; not a complete run (seed ${options.seed}).\n`);
    return 130;
  }
  const summary = failures === 0 ? 'every adapter passed' : `${failures} adapter(s) FAILED`;
  process.stdout.write(`soak: ${summary} (seed ${options.seed}).\n`);
  return failures === 0 ? 0 : 1;
}

async function soakOne(
  adapter: AdapterName,
  options: CliOptions,
  signal: AbortSignal,
): Promise<boolean> {
  const clock = new ManualClock(Date.now() + CLOCK_LEAD_MS, Date.now());
  const events = new EventCounter();
  let target: SoakTarget;
  try {
    const signingSecret = options.signed ? randomBytes(32) : undefined;
    target = await bounded(
      openTarget(adapter, { clock: clock.now, signingSecret, logger: events }),
      `opening ${adapter}`,
    );
  } catch (error) {
    return reportFailure(adapter, error);
  }

  const runPassed = await runAgainst(target, { clock, events, signal }, options).catch(
    (error: unknown) => reportFailure(adapter, error),
  );
  const cleanedUp = await bounded(target.close(), `closing ${adapter} and removing its data`).then(
    () => true,
    (error: unknown) => reportFailure(adapter, error),
  );
  return runPassed && cleanedUp;
}

function reportFailure(adapter: AdapterName, error: unknown): false {
  process.stderr.write(`soak ${adapter}: FAIL: ${(error as Error).message}\n`);
  return false;
}

/** What one adapter's run shares with the store it soaks. */
interface RunContext {
  readonly clock: ManualClock;
  readonly events: EventCounter;
  readonly signal: AbortSignal;
}

async function runAgainst(
  target: SoakTarget,
  { clock, events, signal }: RunContext,
  options: CliOptions,
): Promise<boolean> {
  const signed = options.signed ? ', records signed' : '';
  process.stdout.write(
    `soak ${target.name}: seed ${options.seed}, ${options.seconds} s${signed} ...\n`,
  );
  const heapUsedBytesStart = heapUsedBytes();
  const backendStart = await bounded(target.figures(), 'measuring the backend');

  const result = await runSoak({
    store: target.store,
    clock,
    seed: options.seed,
    seconds: options.seconds,
    maxCalls: options.maxCalls,
    users: options.users,
    parallelUsers: options.parallelUsers,
    callTimeoutMs: options.callTimeoutMs,
    signal,
    countStored: () => target.countStored(),
    onProgress: ({ elapsedMs, calls, divergences }) =>
      process.stdout.write(
        `  ${target.name} ${(elapsedMs / 1000).toFixed(0)} s: ${calls} calls, ` +
          `${divergences} divergences\n`,
      ),
  });

  const measurements: Measurements = {
    storeEvents: events.counts,
    storeEventMessages: events.messages,
    heapUsedBytesStart,
    heapUsedBytesEnd: heapUsedBytes(),
    backendStart,
    backendEnd: await bounded(target.figures(), 'measuring the backend'),
  };
  process.stdout.write(
    formatReport(target.name, target.where, options.seconds, result, measurements),
  );
  return passed(result, events.counts);
}

/** How long opening, measuring or closing a target may take. */
const SETUP_TIMEOUT_MS = 30_000;

/** Rejects when `work` takes longer than {@link SETUP_TIMEOUT_MS}. */
async function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`soak: ${what} took more than ${SETUP_TIMEOUT_MS} ms.`)),
      SETUP_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first Ctrl-C (or SIGTERM) ends the workload after the current round, so the audit
 * and the clean-up of schemas, keys and files still run; a second one exits at once.
 */
function stopOnSignals(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.exit(130);
    }
    process.stderr.write(`soak: ${signal}: stopping after this round and cleaning up.\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** The heap in use, after a full collection when node runs with --expose-gc. */
function heapUsedBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * Ends the process if the whole run overstays its bound, even when a store hangs in a way
 * the per-call timeout cannot cut short (opening or closing, for instance).
 */
function armHardCap(options: CliOptions): void {
  const capMs = options.adapters.length * (options.seconds * 2_000 + GRACE_MS);
  const timer = setTimeout(() => {
    process.stderr.write(`soak: FAIL: the run exceeded its hard time cap of ${capMs} ms.\n`);
    process.exit(3);
  }, capMs);
  timer.unref();
}

function parseCli(argv: string[]): CliOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      adapter: { type: 'string', multiple: true },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      parallel: { type: 'string' },
      'max-calls': { type: 'string' },
      'call-timeout-ms': { type: 'string' },
      signed: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    return undefined;
  }

  return {
    adapters: checkAdapters(values.adapter),
    seconds: integerOption('--seconds', values.seconds, 30, 1, 3600),
    seed: integerOption('--seed', values.seed, randomSeed(), 1, 2 ** 32 - 1),
    users: integerOption('--users', values.users, 200, 1, 100_000),
    parallelUsers: integerOption('--parallel', values.parallel, 24, 1, 1000),
    maxCalls: integerOption('--max-calls', values['max-calls'], 5_000_000, 1, 1e9),
    callTimeoutMs: integerOption('--call-timeout-ms', values['call-timeout-ms'], 5000, 1, 600_000),
    signed: values.signed === true,
  };
}

function checkAdapters(names: string[] | undefined): AdapterName[] {
  if (names === undefined || names.length === 0) {
    return [...DEFAULT_ADAPTERS];
  }
  for (const name of names) {
    if (!(ADAPTER_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--adapter must be one of ${ADAPTER_NAMES.join(', ')}, not "${name}".`);
    }
  }
  return names as AdapterName[];
}

function integerOption(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) {
    return fallback;
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${text}".`);
  }
  return value;
}

class UsageError extends Error {}

// `pnpm soak -- --adapter x` from the root passes the `--` through; it separates nothing here.
const argv = process.argv.slice(2);
main(argv[0] === '--' ? argv.slice(1) : argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`soak: ${usage ? (error as Error).message : (error as Error).stack}\n`);
    if (usage) {
      process.stderr.write(USAGE);
    }
    process.exitCode = usage ? 2 : 1;
  },
);
