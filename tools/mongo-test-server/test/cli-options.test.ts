import { expect, it } from 'vitest';
import { parsePortArgument } from '../src/cli-options.js';

it('reads the port after --port', () => {
  expect(parsePortArgument(['--port', '27018'])).toBe(27_018);
});

it('picks any free port when --port is absent', () => {
  expect(parsePortArgument([])).toBe(0);
});

it('rejects a missing, fractional or out-of-range port', () => {
  for (const args of [['--port'], ['--port', '1.5'], ['--port', '70000'], ['--port', 'x']]) {
    expect(() => parsePortArgument(args)).toThrow(RangeError);
  }
});
