import { MongoClient, type MongoClientOptions } from 'mongodb';
import {
  type CommandEvent,
  type MongoTestServer,
  type MongoTestServerOptions,
  startMongoTestServer,
} from '../src/index.js';

/** A server, a connected client and every command the server saw, for one test file. */
export interface Harness {
  readonly server: MongoTestServer;
  readonly client: MongoClient;
  readonly commands: CommandEvent[];
  /** Stops the client and the server. */
  close(): Promise<void>;
}

/** Starts a server and connects a client that fails fast instead of waiting 30 s. */
export async function startHarness(
  options: MongoTestServerOptions = {},
  clientOptions: MongoClientOptions = {},
): Promise<Harness> {
  const server = await startMongoTestServer(options);
  const commands: CommandEvent[] = [];
  server.onCommand((event) => commands.push(event));
  const client = new MongoClient(server.url, {
    serverSelectionTimeoutMS: 2_000,
    ...clientOptions,
  });
  await client.connect();
  return {
    server,
    client,
    commands,
    async close() {
      await client.close();
      await server.stop();
    },
  };
}

/** How many commands with this name the server saw since `fromIndex`. */
export function countCommands(commands: CommandEvent[], name: string, fromIndex = 0): number {
  return commands.slice(fromIndex).filter((event) => event.name === name).length;
}
