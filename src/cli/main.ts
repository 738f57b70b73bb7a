#!/usr/bin/env node
// The twlab binary, and the only module that touches `process` (style.md): it reads argv
// and the environment, lends the commands a progress line and colour, writes their output
// and sets the exit code.

import { writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runCli } from './cli.js';
import { EXIT } from './command.js';
import { createProgress } from './progress.js';

/**
 * The reader went away (`twlab inspect --watch | head -1`): stop quietly, as a C tool killed by
 * SIGPIPE would, with its exit status 141 (128 + SIGPIPE), rather than a Node stack trace.
 * Any other failure to write (`> /dev/full`: ENOSPC) is one line on stderr and exit 1.
 */
function onOutputError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(141);
  try {
    writeSync(2, `twlab: cannot write the output: ${e.message}\n`);
  } finally {
    process.exit(EXIT.failure);
  }
}

async function main(): Promise<void> {
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const env = process.env;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const color = process.stdout.isTTY === true && !noColor && env['TERM'] !== 'dumb';
  const progress = process.stderr.isTTY
    ? createProgress({ write: (text) => process.stderr.write(text), now: () => performance.now(), columns: process.stderr.columns })
    : undefined;

  const context = {
    color,
    cpus: availableParallelism(),
    write: (text: string) => void process.stdout.write(text),
    log: (text: string) => void process.stderr.write(text),
    tty: process.stdout.isTTY === true,
    screen: () => (process.stdout.isTTY ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined),
    stopSignal,
    ...(progress ? { progress } : {}),
  };
  const output = await runCli(process.argv.slice(2), context, { debug: env['TWLAB_DEBUG'] === '1' });
  if (output.stdout) process.stdout.write(output.stdout);
  if (output.stderr) process.stderr.write(output.stderr);
  // Not process.exit(): that could cut off output still queued for a pipe.
  process.exitCode = output.code;
}

let stop: AbortController | undefined;

/** The first Ctrl-C or SIGTERM asks the command to stop; a second Ctrl-C ends the process. */
function stopSignal(): AbortSignal {
  if (stop === undefined) {
    const controller = new AbortController();
    stop = controller;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return stop.signal;
}

main().catch((e: unknown) => {
  // runCli turns every error into an Output; this is the last resort (e.g. a broken stdout).
  process.stderr.write(`twlab: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env['TWLAB_DEBUG'] === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exitCode = EXIT.failure;
});
