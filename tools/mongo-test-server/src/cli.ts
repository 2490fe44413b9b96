#!/usr/bin/env node
import { startMongoTestServer } from './server.js';

/** Reads `--port N` from the arguments; 0 (any free port) when absent. */
function parsePort(args: readonly string[]): number {
  const flagIndex = args.indexOf('--port');
  if (flagIndex < 0) return 0;

  const port = Number(args[flagIndex + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError('mongo-test-server: --port needs an integer from 0 to 65535.');
  }
  return port;
}

async function main(): Promise<void> {
  const server = await startMongoTestServer({ port: parsePort(process.argv.slice(2)) });
  console.log(server.url);

  const shutDown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutDown);
  process.once('SIGTERM', shutDown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
