import { parseArgs } from 'node:util';
import { describeError } from './assert.js';
import { conformanceCases } from './cases/index.js';
import { HarnessLoadError, loadHarness } from './load.js';
import {
  createReporter,
  REPORTER_NAMES,
  type ReporterName,
  type ReportStream,
} from './reporters.js';
import { prepareRun, runCase, selectCases, summarize, teardownWithin } from './runner.js';
import type { CaseResult } from './types.js';

const USAGE = `Usage: sessionstore-conformance <harness module> [options]

Runs the sessionstore conformance suite against the store a harness module opens.

The module (a path relative to the current directory, or a file: URL) exports the harness
as \`harness\` or \`default\`: an object { name, create({ clock }), teardown?, capabilities?,
hooks? }, a promise of one, or a function returning either.

Options:
  --reporter pretty|json|junit  How to report (default pretty). json and junit write one
                                document to stdout and the summary line to stderr.
  --grep TEXT                   Run only cases whose id or title contains TEXT.
  --timeout MS                  How long a case may run before it is reported as hanging
                                (default 15000).
  --seed N                      Seed for the random cases and the model cases (default:
                                SESSIONSTORE_CONFORMANCE_SEED, else a fixed seed when CI
                                is set, else random; always printed).
  -h, --help                    Show this help.

Exit code: 0 when no case failed, 1 when one did, 2 for a usage error or a bad module.`;

/** Where the CLI writes; the process's streams by default. */
export interface CliStreams {
  out: ReportStream;
  err: ReportStream;
}

interface CliOptions {
  module: string;
  reporter: ReporterName;
  grep: string | undefined;
  timeoutMs: number | undefined;
  seed: number | undefined;
}

class UsageError extends Error {}

/**
 * Runs the CLI.
 *
 * @param argv - the arguments after the program name.
 * @returns the exit code: 0 when every selected case passed or was skipped, 1 when any
 *   failed, 2 for a usage error, a `--grep` that matches no case, or a module that exports
 *   no harness.
 */
export async function main(
  argv: readonly string[],
  streams: CliStreams = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseCli(argv);
  } catch (error) {
    streams.err.write(`sessionstore-conformance: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    streams.out.write(`${USAGE}\n`);
    return 0;
  }

  try {
    return await runCli(options, streams);
  } catch (error) {
    const message = error instanceof HarnessLoadError ? error.message : describeError(error);
    streams.err.write(`sessionstore-conformance: ${message}\n`);
    return 2;
  }
}

async function runCli(options: CliOptions, streams: CliStreams): Promise<number> {
  const cases = selectCases(conformanceCases, options.grep);
  if (cases.length === 0) {
    // A filter that matches nothing would otherwise pass a run that tested nothing.
    streams.err.write(
      `sessionstore-conformance: no case matches --grep ${JSON.stringify(options.grep)}.\n`,
    );
    return 2;
  }

  const harness = await loadHarness(options.module);
  const reporter = createReporter(options.reporter, streams.out, streams.err);
  const startedMs = performance.now();
  const results: CaseResult[] = [];
  let teardownFailed = false;

  try {
    const run = await prepareRun(harness, {
      ...(options.timeoutMs === undefined ? {} : { caseTimeoutMs: options.timeoutMs }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    reporter.start(harness.name, cases.length, run.seed);
    for (const item of cases) {
      const result = await runCase(run, item);
      results.push(result);
      reporter.result(result);
    }
  } finally {
    try {
      await teardownWithin(harness);
    } catch (error) {
      teardownFailed = true;
      streams.err.write(`sessionstore-conformance: teardown() failed: ${describeError(error)}\n`);
    }
  }

  const summary = summarize(harness.name, results, performance.now() - startedMs);
  reporter.end(summary);
  return summary.failed > 0 || teardownFailed ? 1 : 0;
}

function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      reporter: { type: 'string' },
      grep: { type: 'string' },
      timeout: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

  if (values.help) {
    return 'help';
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError(
      positionals.length === 0
        ? 'a harness module is required.'
        : `one harness module is expected, not ${positionals.length}.`,
    );
  }

  const reporter = values.reporter ?? 'pretty';
  if (!REPORTER_NAMES.includes(reporter as ReporterName)) {
    throw new UsageError(
      `--reporter must be one of ${REPORTER_NAMES.join(', ')}, not "${reporter}".`,
    );
  }

  return {
    module: positionals[0],
    reporter: reporter as ReporterName,
    grep: values.grep,
    timeoutMs: positiveInteger(values.timeout, '--timeout'),
    seed: positiveInteger(values.seed, '--seed', true),
  };
}

function positiveInteger(text: string | undefined, name: string, zero = false): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || (!zero && value === 0)) {
    throw new UsageError(
      `${name} must be a ${zero ? 'non-negative' : 'positive'} integer, not "${text}".`,
    );
  }
  return value;
}
