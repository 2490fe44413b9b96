// The report formats, on results made up to hold everything awkward.
import { describe, expect, it } from 'vitest';
import { createReporter } from '../src/reporters.js';
import { summarize } from '../src/runner.js';
import type { CaseResult } from '../src/types.js';

const awkward = 'a "quoted" <tag> & \u0000 nul, \ud800 lone, emoji 😀';

const results: CaseResult[] = [
  { id: 'a.passes', category: 'a', title: 'passes', status: 'passed', durationMs: 3, notes: [] },
  {
    id: 'a.fails',
    category: 'a',
    title: awkward,
    status: 'failed',
    durationMs: 5,
    error: new Error(awkward),
    notes: ['seed 42'],
  },
  {
    id: 'a.skipped',
    category: 'a',
    title: 'skipped',
    status: 'skipped',
    durationMs: 0,
    skipReason: `needs ${awkward}`,
    notes: [],
  },
];

function render(name: 'pretty' | 'json' | 'junit'): { out: string; err: string } {
  let out = '';
  let err = '';
  const reporter = createReporter(
    name,
    { write: (text: string) => (out += text) },
    { write: (text: string) => (err += text) },
  );
  reporter.start('awkward <harness>', results.length, 42);
  for (const result of results) reporter.result(result);
  reporter.end(summarize('awkward <harness>', results, 10));
  return { out, err };
}

describe('reporters', () => {
  it('pretty: one line per case, the failure under it, the summary last', () => {
    const { out, err } = render('pretty');

    expect(err).toBe('');
    expect(out).toContain('  ✓ a.passes (3 ms)');
    expect(out).toContain('  ✗ a.fails (5 ms)');
    expect(out).toContain('      seed 42');
    expect(out).toContain('  - a.skipped (skipped: needs a "quoted"');
    expect(out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed, 1 skipped');
  });

  it('json: one document that parses, the summary on the other stream', () => {
    const { out, err } = render('json');
    const report = JSON.parse(out) as { seed: number; results: Record<string, unknown>[] };

    expect(report.seed).toBe(42);
    expect(report.results[1]).toMatchObject({
      id: 'a.fails',
      status: 'failed',
      notes: ['seed 42'],
    });
    expect(report.results[2]).toMatchObject({ skipReason: `needs ${awkward}` });
    expect(err).toBe('1 passed, 1 failed, 1 skipped\n');
  });

  it('junit: escapes markup and drops characters XML cannot hold', () => {
    const { out } = render('junit');

    expect(out.includes('\u0000')).toBe(false);
    expect(out.includes('\ud800')).toBe(false);
    expect(out).toContain('name="awkward &lt;harness&gt;"');
    expect(out).toContain('a &quot;quoted&quot; &lt;tag&gt; &amp; \ufffd nul');
    expect(out).toContain('<skipped message="needs a &quot;quoted&quot;');
    expect(out.match(/<testcase /g)).toHaveLength(3);
    expect(out.match(/<failure /g)).toHaveLength(1);
  });
});
