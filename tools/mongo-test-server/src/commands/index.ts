import { adminCommands } from './admin.js';
import type { CommandHandler } from './context.js';
import { handshakeCommands } from './handshake.js';
import { readCommands } from './read.js';
import { writeCommands } from './write.js';

export type { CommandContext, CommandHandler } from './context.js';

/** A command the server knows, under the name MongoDB documents it by. */
export interface KnownCommand {
  readonly name: string;
  readonly run: CommandHandler;
  /** True for the commands a failure set with `failNextWrite` can hit. */
  readonly isWrite: boolean;
}

const byLowerCaseName = new Map<string, KnownCommand>();
for (const [table, isWrite] of [
  [handshakeCommands, false],
  [readCommands, false],
  [writeCommands, true],
  [adminCommands, false],
] as const) {
  for (const [name, run] of Object.entries(table)) {
    byLowerCaseName.set(name.toLowerCase(), { name, run, isWrite });
  }
}

/** Looks a command up by name, ignoring case (`ismaster`, `isMaster` and `ISMASTER` match). */
export function lookupCommand(name: string): KnownCommand | undefined {
  return byLowerCaseName.get(name.toLowerCase());
}
