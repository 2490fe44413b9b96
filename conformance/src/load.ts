import type { StoredSession } from '@sessionstore/core';
import { harnessModuleUrl } from './cases/lifecycle.js';
import type { ConformanceHarness } from './harness.js';

/** What loading a harness module failed on; the CLI prints its message. */
export class HarnessLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessLoadError';
  }
}

/**
 * Imports a harness module and returns its harness. The module exports the harness as
 * `harness` or `default`; either may be the harness itself, a promise of one, or a function
 * (sync or async) that returns one.
 *
 * @param specifier - a path (relative to `cwd`) or a `file:` URL.
 * @throws {@link HarnessLoadError} when the module cannot be imported or exports no harness.
 */
export async function loadHarness(
  specifier: string,
  cwd = process.cwd(),
): Promise<ConformanceHarness<StoredSession>> {
  const url = harnessModuleUrl(specifier, cwd);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new HarnessLoadError(
      `Could not import the harness module ${specifier}: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }

  let candidate: unknown = loaded.harness ?? loaded.default;
  try {
    if (typeof candidate === 'function') {
      candidate = await (candidate as () => unknown)();
    }
    candidate = await candidate;
  } catch (error) {
    throw new HarnessLoadError(
      `The harness factory of ${specifier} failed: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }

  if (!isHarness(candidate)) {
    throw new HarnessLoadError(
      `The module ${specifier} exports no harness: export \`harness\` or \`default\` as an ` +
        'object with a name and a create() function (or a function that returns one).',
    );
  }
  return candidate;
}

function isHarness(value: unknown): value is ConformanceHarness<StoredSession> {
  const candidate = value as Partial<ConformanceHarness<StoredSession>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.create === 'function'
  );
}
