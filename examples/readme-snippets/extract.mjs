// Copies every ```ts block of the repository's READMEs into generated/, one module per
// block, so that `tsc` checks the documentation against the packages as they are built.
// A block whose info string says `ts no-check` is an excerpt, not a program, and is left out;
// one that says `ts with-harness` uses a `harness` defined elsewhere, which is declared for it.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const output = join(here, 'generated');

const readmes = [
  'README.md',
  ...['packages', 'tools', 'examples'].flatMap((folder) =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'readme-snippets')
      .map((entry) => join(folder, entry.name, 'README.md')),
  ),
  'conformance/README.md',
  'bench/README.md',
];

rmSync(output, { recursive: true, force: true });
mkdirSync(output, { recursive: true });

const HARNESS_DECLARATION =
  "declare const harness: import('@sessionstore/conformance').ConformanceHarness;";

let count = 0;
for (const readme of readmes) {
  let text;
  try {
    text = readFileSync(join(root, readme), 'utf8');
  } catch {
    continue;
  }
  const blocks = text.matchAll(/^```ts( with-harness)?[ \t]*\n([\s\S]*?)^```\s*$/gm);
  let index = 0;
  for (const [, withHarness, body] of blocks) {
    index++;
    const code = withHarness ? `${HARNESS_DECLARATION}\n${body}` : body;
    const name = `${relative(root, join(root, readme)).replace(/[/\\.]/g, '_')}_${index}.ts`;
    writeFileSync(join(output, name), `// From ${readme}, block ${index}.\n${code}export {};\n`);
    count++;
  }
}

console.log(`readme-snippets: ${count} TypeScript blocks extracted from the READMEs.`);
