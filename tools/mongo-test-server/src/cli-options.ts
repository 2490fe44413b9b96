/** Reads `--port N` from command-line arguments; 0 (any free port) when absent. */
export function parsePortArgument(args: readonly string[]): number {
  const flagIndex = args.indexOf('--port');
  if (flagIndex < 0) return 0;

  const value = args[flagIndex + 1];
  const port = value === undefined || value === '' ? Number.NaN : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError('mongo-test-server: --port needs an integer from 0 to 65535.');
  }
  return port;
}
