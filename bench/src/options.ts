import { parseArgs } from 'node:util';
import { ADAPTERS, type AdapterName } from './suite.js';

/** What the command line asked for. */
export interface BenchOptions {
  adapters: AdapterName[];
  quick: boolean;
  scale: boolean;
  rounds: number;
  jsonPath: string | undefined;
}

const USAGE = `Usage: pnpm bench [--adapter NAME]... [--quick] [--rounds N] [--scale] [--json PATH]

  --adapter NAME  one of ${ADAPTERS.join(', ')}; repeat for several (default: all)
  --quick         a short smoke run (under a minute for all adapters)
  --rounds N      rounds to take medians over (default 5, quick 2)
  --scale         measure cost against table size and sessions per user instead (slow)
  --json PATH     where to write the results (default bench/results/latest[-quick].json)`;

/** Parses the arguments; throws with the usage text on anything it does not know. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      adapter: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    throw new UsageError('');
  }

  return {
    adapters: checkAdapters(values.adapter),
    quick: values.quick,
    scale: values.scale,
    rounds: checkRounds(values.rounds, values.quick ? 2 : 5),
    jsonPath: values.json,
  };
}

/** A command line the benchmark does not understand; its message ends with the usage. */
export class UsageError extends Error {
  constructor(problem: string) {
    super(problem === '' ? USAGE : `${problem}\n\n${USAGE}`);
  }
}

function checkAdapters(names: string[] | undefined): AdapterName[] {
  if (names === undefined || names.length === 0) {
    return [...ADAPTERS];
  }

  for (const name of names) {
    if (!(ADAPTERS as readonly string[]).includes(name)) {
      throw new UsageError(`Unknown adapter "${name}".`);
    }
  }
  return ADAPTERS.filter((adapter) => names.includes(adapter));
}

function checkRounds(text: string | undefined, fallback: number): number {
  if (text === undefined) {
    return fallback;
  }

  const rounds = Number(text);
  if (!Number.isSafeInteger(rounds) || rounds < 1 || rounds > 50) {
    throw new UsageError('--rounds must be an integer from 1 to 50.');
  }
  return rounds;
}
