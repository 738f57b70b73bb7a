// What every command is: a name, its help, its flags, and the function that runs it: it
// takes parsed arguments and returns what to print and the exit code. The function lives in
// its own module (commands/NAME-run.ts), loaded only when the command runs, so that help and
// the other commands do not load its imports. Commands never touch `process`; main.ts does
// (style.md: only main touches process).

import type { Args, FlagSpec } from './args.js';
import type { Progress } from './progress.js';

/** product.md: 0 success, 1 failure, 2 usage error (scenario errors count as usage). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface Output {
  code: ExitCode;
  /** Text for stdout, newline-terminated, or ''. */
  stdout: string;
  /** Text for stderr (errors, warnings), newline-terminated, or ''. */
  stderr: string;
}

/** What the outside world lends a command. */
export interface Context {
  /** Colour on stdout: a terminal and NO_COLOR unset. */
  color: boolean;
  /** An updating status line on stderr; absent when stderr is not a terminal. */
  progress?: Progress;
  /** CPUs this process may use (os.availableParallelism); sweep sizes its worker pool by it. */
  cpus?: number;
  /** Writes to stdout now, for commands that keep running (inspect --watch, exporter). */
  write?: (text: string) => void;
  /** Writes a log line to stderr now (exporter: where it listens). */
  log?: (text: string) => void;
  /** stdout is a terminal (inspect --watch refreshes in place). */
  tty?: boolean;
  /** The terminal's size now, when stdout is one (inspect --watch fits its refresh to it). */
  screen?: () => { rows: number; columns: number } | undefined;
  /** For commands that run until stopped: a signal aborted on Ctrl-C (SIGINT) or SIGTERM.
   *  Calling it takes those signals over; commands that never call it keep their default. */
  stopSignal?: () => AbortSignal;
}

export interface Command {
  name: string;
  /** Operands as usage shows them, e.g. `[SCENARIO]`. */
  operands: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs: what question the command answers and what it needs. */
  about: string[];
  /** Flags besides --help, which every command has. */
  flags: FlagSpec[];
  /** [command line, what it shows]. */
  examples: [string, string][];
  /** Loads the module that does the work, and returns its run function. */
  load(): Promise<RunCommand>;
}

/** Synchronous, or a promise for commands that wait (sweep on workers, lab on the kernel). */
export type RunCommand = (args: Args, context: Context) => Output | Promise<Output>;

/** Every command's -h/--help. */
export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', help: 'show this help and exit', default: '' };

export function ok(stdout: string): Output {
  return { code: EXIT.ok, stdout, stderr: '' };
}
