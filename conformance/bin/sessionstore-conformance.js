#!/usr/bin/env node
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));

// The report is written. A store under test may still hold the event loop open (a case that
// hung, a timer that is not unref()ed); that must not keep the command from ending. The timer
// is unref()ed itself, so a process with nothing left open exits at once without it.
setTimeout(() => process.exit(), 2_000).unref();
