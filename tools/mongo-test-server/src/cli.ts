#!/usr/bin/env node
import { parsePortArgument } from './cli-options.js';
import { startMongoTestServer } from './server.js';

/** Starts a server for manual use, prints its URL, and stops it on Ctrl-C or SIGTERM. */
async function main(): Promise<void> {
  const server = await startMongoTestServer({ port: parsePortArgument(process.argv.slice(2)) });
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
