import { describeError } from './assert.js';
import type { CaseResult, ConformanceResults } from './types.js';

/** Where a reporter writes: `process.stdout` fits. */
export interface ReportStream {
  write(text: string): unknown;
}

/** The report formats of the CLI. */
export type ReporterName = 'pretty' | 'json' | 'junit';

/** The report formats, for argument checks. */
export const REPORTER_NAMES: readonly ReporterName[] = ['pretty', 'json', 'junit'];

/** Receives results as they come and the totals at the end. */
export interface Reporter {
  start(harnessName: string, caseCount: number, seed: number): void;
  result(result: CaseResult): void;
  end(results: ConformanceResults): void;
}

/**
 * Makes a reporter. `pretty` writes one line per case to `out` and ends with the line
 * `N passed, N failed, N skipped`. `json` and `junit` write one whole document to `out`, so
 * it parses, and the summary line to `err`.
 */
export function createReporter(name: ReporterName, out: ReportStream, err: ReportStream): Reporter {
  switch (name) {
    case 'json':
      return documentReporter(out, err, toJson);
    case 'junit':
      return documentReporter(out, err, toJunit);
    default:
      return prettyReporter(out);
  }
}

/** The closing line of every report. */
export function summaryLine(results: ConformanceResults): string {
  return `${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`;
}

function prettyReporter(out: ReportStream): Reporter {
  let seed = 0;
  return {
    start(harnessName, caseCount, runSeed) {
      seed = runSeed;
      out.write(`sessionstore conformance: ${harnessName} (${caseCount} cases, seed ${seed})\n`);
    },
    result(result) {
      out.write(`${prettyLine(result)}\n`);
      if (result.status === 'failed') {
        out.write(`${indent(failureText(result), '      ')}\n`);
      }
    },
    end(results) {
      const failed = results.results.filter((result) => result.status === 'failed');
      if (failed.length > 0) {
        out.write(`\nFailed (seed ${seed}):\n`);
        for (const result of failed) {
          out.write(`  ${result.id}${result.timedOut ? ' (hung)' : ''}\n`);
        }
      }
      out.write(`\n${summaryLine(results)}\n`);
    },
  };
}

function prettyLine(result: CaseResult): string {
  switch (result.status) {
    case 'passed':
      return `  ✓ ${result.id} (${result.durationMs} ms)`;
    case 'skipped':
      return `  - ${result.id} (skipped: ${result.skipReason ?? 'no reason given'})`;
    default:
      return result.timedOut
        ? `  ✗ ${result.id} (hung: no result after ${result.durationMs} ms)`
        : `  ✗ ${result.id} (${result.durationMs} ms)`;
  }
}

function failureText(result: CaseResult): string {
  return [result.title, describeError(result.error), ...result.notes].join('\n');
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

function documentReporter(
  out: ReportStream,
  err: ReportStream,
  render: (results: ConformanceResults, seed: number) => string,
): Reporter {
  let seed = 0;
  return {
    start(_harnessName, _caseCount, runSeed) {
      seed = runSeed;
    },
    result() {},
    end(results) {
      out.write(`${render(results, seed)}\n`);
      err.write(`${summaryLine(results)}\n`);
    },
  };
}

/** A result as plain JSON data: the error reduced to its name, code, message and stack. */
export function resultToJson(result: CaseResult): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: result.id,
    category: result.category,
    title: result.title,
    status: result.status,
    durationMs: result.durationMs,
  };
  if (result.skipReason !== undefined) json.skipReason = result.skipReason;
  if (result.timedOut) json.timedOut = true;
  if (result.status === 'failed') json.error = errorToJson(result.error);
  if (result.notes.length > 0) json.notes = result.notes;
  return json;
}

function errorToJson(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { message: describeError(error) };
  }
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: error.message,
    stack: error.stack,
  };
}

function toJson(results: ConformanceResults, seed: number): string {
  return JSON.stringify(
    {
      harness: results.harness,
      seed,
      passed: results.passed,
      failed: results.failed,
      skipped: results.skipped,
      durationMs: results.durationMs,
      results: results.results.map(resultToJson),
    },
    null,
    2,
  );
}

function toJunit(results: ConformanceResults, seed: number): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sessionstore-conformance" tests="${results.results.length}" ` +
      `failures="${results.failed}" skipped="${results.skipped}" time="${seconds(results.durationMs)}">`,
    `  <testsuite name="${xml(results.harness)}" tests="${results.results.length}" ` +
      `failures="${results.failed}" errors="0" skipped="${results.skipped}" ` +
      `time="${seconds(results.durationMs)}">`,
    '    <properties>',
    `      <property name="seed" value="${seed}"/>`,
    '    </properties>',
  ];

  for (const result of results.results) {
    const open = `    <testcase classname="${xml(result.category)}" name="${xml(result.id)}" time="${seconds(result.durationMs)}"`;
    if (result.status === 'passed') {
      lines.push(`${open}/>`);
    } else if (result.status === 'skipped') {
      lines.push(
        `${open}>`,
        `      <skipped message="${xml(result.skipReason ?? '')}"/>`,
        '    </testcase>',
      );
    } else {
      const type = result.error instanceof Error ? result.error.name : 'Error';
      lines.push(
        `${open}>`,
        `      <failure message="${xml(describeError(result.error))}" type="${xml(type)}">${xml(failureText(result))}</failure>`,
        '    </testcase>',
      );
    }
  }

  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n');
}

/** Escapes text for XML, dropping characters XML 1.0 cannot hold at all. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
