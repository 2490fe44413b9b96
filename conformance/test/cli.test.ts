// The CLI and the node:test binding, run as a user runs them: in a child process, on the
// built package (`pnpm build` runs before `pnpm test`).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/sessionstore-conformance.js', import.meta.url));
const fixture = (name: string) => `test/fixtures/${name}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const cli = (args: string[], env?: Record<string, string>) => run([bin, ...args], env);

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

/** A minimal well-formedness check: every element closes, in order, and entities are known. */
function parseXml(text: string): { name: string; attributes: Record<string, string> }[] {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const elements: { name: string; attributes: Record<string, string> }[] = [];
  const open: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let position = 0;
  while (position < body.length) {
    tag.lastIndex = position;
    match = tag.exec(body);
    if (match === null)
      throw new Error(`Malformed XML at ${position}: ${body.slice(position, position + 40)}`);
    position = tag.lastIndex;
    const [, closing, name, attributeText, selfClosing, textNode] = match;
    const entity = /&(?!(amp|lt|gt|quot|apos);)/;
    if (textNode !== undefined) {
      if (entity.test(textNode)) throw new Error('An unknown entity in text.');
      continue;
    }
    if (closing) {
      if (open.pop() !== name) throw new Error(`</${name}> closes the wrong element.`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of (attributeText ?? '').matchAll(/([\w-]+)="([^"]*)"/g)) {
      if (entity.test(value ?? '')) throw new Error('An unknown entity in an attribute.');
      attributes[key ?? ''] = value ?? '';
    }
    elements.push({ name: name ?? '', attributes });
    if (!selfClosing) open.push(name ?? '');
  }
  if (open.length > 0) throw new Error(`Unclosed elements: ${open.join(', ')}`);
  return elements;
}

describe('sessionstore-conformance', () => {
  it('passes on the memory harness: exit 0, one line per case, the summary line last', async () => {
    const result = await cli([fixture('memory.harness.js')]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
    expect(result.stdout).toContain('✓ expiry.boundary.at-expiry');
    expect(result.stdout).toMatch(
      /- records\.corrupt\.get-skips \(skipped: needs the harness hook/,
    );
  }, 60_000);

  it('fails on a broken store: exit 1, the failing cases named, and every case still run', async () => {
    const result = await cli([fixture('reference.harness.js'), '--seed', '1'], {
      SESSIONSTORE_TEST_VARIANT: 'no-lock-check',
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ locking.stale.after-delete');
    expect(result.stdout).toContain('✓ values.size.default-limit');
    const [passed, failed] = (lastLine(result.stdout).match(/\d+/g) ?? []).map(Number);
    expect(failed).toBeGreaterThan(5);
    expect(passed).toBeGreaterThan(100);
  }, 60_000);

  it('loads a harness exported as an async factory under default, from a file URL', async () => {
    const url = pathToFileURL(`${root}/${fixture('factory.harness.js')}`).href;
    const result = await cli([url, '--grep', 'identity.']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('memory (from a factory)');
    expect(lastLine(result.stdout)).toMatch(/^\d+ passed, 0 failed, 0 skipped$/);
  }, 30_000);

  it('writes a JSON document that parses, with the summary line on stderr', async () => {
    const result = await cli(
      [fixture('reference.harness.js'), '--reporter', 'json', '--seed', '7'],
      {
        SESSIONSTORE_TEST_VARIANT: 'merge-upsert',
      },
    );
    const report = JSON.parse(result.stdout) as {
      harness: string;
      seed: number;
      failed: number;
      results: { id: string; status: string; error?: { message: string } }[];
    };

    expect(result.code).toBe(1);
    expect(report.harness).toBe('reference (merge-upsert)');
    expect(report.seed).toBe(7);
    const whole = report.results.find((item) => item.id === 'upsert.replaces.whole-object');
    expect(whole?.status).toBe('failed');
    expect(whole?.error?.message).toContain('unexpected property');
    expect(lastLine(result.stderr)).toBe(
      `${report.results.length - report.failed - 1} passed, ${report.failed} failed, 1 skipped`,
    );
  }, 60_000);

  it('writes a JUnit document that parses, with failures and skips marked', async () => {
    const result = await cli([fixture('memory.harness.js'), '--reporter', 'junit']);
    const elements = parseXml(result.stdout);

    expect(result.code).toBe(0);
    const cases = elements.filter((element) => element.name === 'testcase');
    expect(cases.length).toBeGreaterThan(100);
    expect(elements.filter((element) => element.name === 'skipped').length).toBeGreaterThan(0);
    const suite = elements.find((element) => element.name === 'testsuite');
    expect(suite?.attributes.tests).toBe(String(cases.length));
    expect(lastLine(result.stderr)).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
  }, 60_000);

  it('marks failures in JUnit', async () => {
    const result = await cli(
      [fixture('reference.harness.js'), '--reporter', 'junit', '--grep', 'locking.'],
      { SESSIONSTORE_TEST_VARIANT: 'stale-revives' },
    );
    const elements = parseXml(result.stdout);

    expect(result.code).toBe(1);
    expect(elements.filter((element) => element.name === 'failure').length).toBeGreaterThan(2);
  }, 30_000);

  it('reports a hanging case by its id, goes on, and exits', async () => {
    const result = await cli([
      fixture('hanging.harness.js'),
      '--grep',
      'contract.get.',
      '--timeout',
      '300',
    ]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ contract\.get\.unknown-is-null \(hung/);
    expect(result.stdout).toContain('The case contract.get.unknown-is-null hangs');
    expect(result.stdout).toMatch(/✗ contract\.get\.returns-a-copy/);
    expect(lastLine(result.stdout)).toBe('0 passed, 2 failed, 0 skipped');
  }, 30_000);

  it('exits 2 with a clear message for a module without a harness, or none at all', async () => {
    const wrong = await cli([fixture('not-a-harness.js')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('exports no harness');

    const missing = await cli([fixture('does-not-exist.js')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Could not import the harness module');

    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('a harness module is required');

    const badReporter = await cli([fixture('memory.harness.js'), '--reporter', 'tap']);
    expect(badReporter.code).toBe(2);

    const noMatch = await cli([fixture('memory.harness.js'), '--grep', 'no-such-case-zzz']);
    expect(noMatch.code).toBe(2);
    expect(noMatch.stderr).toContain('no case matches --grep "no-such-case-zzz"');
  }, 30_000);

  it('prints its usage for --help', async () => {
    const result = await cli(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: sessionstore-conformance <harness module>');
  });
});

describe('the node:test binding', () => {
  it('runs the cases as node tests, skips with reasons, and passes on the reference store', async () => {
    const result = await run(['--test', fixture('node-test-entry.js')], {
      SESSIONSTORE_TEST_GREP: 'expiry.',
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/# fail 0/);
    expect(result.stdout).toMatch(/# SKIP needs capabilities\.realTimeExpiry/);
  }, 60_000);

  it('fails the node run on a broken store', async () => {
    const result = await run(['--test', fixture('node-test-entry.js')], {
      SESSIONSTORE_TEST_GREP: 'expiry.boundary',
      SESSIONSTORE_TEST_VARIANT: 'seconds-expiry',
    });

    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/not ok \d+ - expiry\.boundary\.at-expiry/);
  }, 60_000);
});
