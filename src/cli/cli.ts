// `twlab ARGS...` -> what to print and the exit code (a promise: sweep waits on workers). Dispatches to a command, turns the
// errors a user can fix (UsageError, ScenarioError) into one `twlab: ` line and exit 2,
// and anything else into a short message and exit 1. No process access: main.ts calls it.

import { readFileSync } from 'node:fs';
import { ScenarioError } from '../scenario/errors.js';
import { closest } from '../scenario/units.js';
import { parseArgs, UsageError, wantsHelp } from './args.js';
import { EXIT, HELP_FLAG, ok, type Command, type Context, type Output } from './command.js';
import { commandHelp, overviewHelp, PLANNED_COMMANDS } from './commands/help.js';

/** A command by name; its module (help, flags) is loaded only when it is asked for. */
export interface CommandEntry {
  name: string;
  command(): Promise<Command>;
}

/**
 * Every command, in the order help lists them. Nothing of a command is loaded until it is
 * named: `twlab inspect` loads inspect's modules and no other command's (some help texts
 * name values from the scenario modules, which load the YAML parser).
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'simulate', command: async () => (await import('./commands/simulate.js')).simulateCommand },
  { name: 'sweep', command: async () => (await import('./commands/sweep.js')).sweepCommand },
  { name: 'lab', command: async () => (await import('./commands/lab.js')).labCommand },
  { name: 'compare', command: async () => (await import('./commands/compare.js')).compareCommand },
  { name: 'inspect', command: async () => (await import('./commands/inspect.js')).inspectCommand },
  { name: 'advise', command: async () => (await import('./commands/advise.js')).adviseCommand },
  { name: 'exporter', command: async () => (await import('./commands/exporter.js')).exporterCommand },
  { name: 'packetdrill', command: async () => (await import('./commands/packetdrill.js')).packetdrillCommand },
  { name: 'scenarios', command: async () => (await import('./commands/scenarios.js')).scenariosCommand },
  { name: 'schema', command: async () => (await import('./commands/schema.js')).schemaCommand },
];

export interface CliOptions {
  /** TWLAB_DEBUG=1: unexpected errors come with their stack. */
  debug?: boolean;
}

export async function runCli(argv: readonly string[], context: Context, options: CliOptions = {}): Promise<Output> {
  try {
    return await dispatch(argv, context);
  } catch (e) {
    return failure(e, options.debug ?? false);
  }
}

async function dispatch(argv: readonly string[], context: Context): Promise<Output> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return ok(overviewHelp(await allCommands(), packageVersion()));
  if (first === '--version' || first === '-V') {
    if (rest.length > 0) throw new UsageError(`${first} takes nothing after it, got ${rest.join(' ')}`);
    return ok(`${packageVersion()}\n`);
  }
  if (first.startsWith('-')) {
    const guess = closest(first, ['--help', '--version']);
    throw new UsageError(
      guess ? `unknown flag ${first}; did you mean ${guess}?` : `unknown flag ${first}; a command comes first, its flags after it (twlab simulate --json)`,
    );
  }
  if (first === 'help') return help(rest);
  const command = await findCommand(first).command();
  if (wantsHelp(rest)) return ok(commandHelp(command));
  const args = parseArgs(rest, [...command.flags, HELP_FLAG], command.name);
  // A command without operands in its usage takes none: a stray word is a mistake, not ignored.
  if (command.operands === '' && args.positionals.length > 0) {
    throw new UsageError(`${command.name} takes no operands, got ${args.positionals.join(' ')}`, command.name);
  }
  const run = await command.load();
  return run(args, context);
}

/** `twlab help`, `twlab help COMMAND`. */
async function help(operands: readonly string[]): Promise<Output> {
  if (operands.length > 1) throw new UsageError(`help takes one command, got ${operands.join(' ')}`);
  const [name] = operands;
  if (name === undefined || name === 'help') return ok(overviewHelp(await allCommands(), packageVersion()));
  return ok(commandHelp(await findCommand(name).command()));
}

function allCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.command()));
}

function findCommand(name: string): CommandEntry {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const names = COMMANDS.map((c) => c.name);
  if ((PLANNED_COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`${name} is planned but not in this version of twlab; commands: ${names.join(', ')}`);
  }
  const guess = closest(name, [...names, 'help']);
  throw new UsageError(`unknown command "${name}"${guess ? `; did you mean ${guess}?` : ''}; commands: ${names.join(', ')}`);
}

function failure(e: unknown, debug: boolean): Output {
  if (e instanceof UsageError) {
    const helpLine = e.command ? `twlab ${e.command} --help` : 'twlab --help';
    return { code: EXIT.usage, stdout: '', stderr: `twlab: ${e.message}\n(${helpLine} explains the usage)\n` };
  }
  if (e instanceof ScenarioError) return { code: EXIT.usage, stdout: '', stderr: `twlab: ${e.message}\n` };
  const message = e instanceof Error ? e.message : String(e);
  const detail = debug && e instanceof Error && e.stack ? `${e.stack}\n` : 'Set TWLAB_DEBUG=1 to see where it happened, and please report it.\n';
  return { code: EXIT.failure, stdout: '', stderr: `twlab: unexpected error: ${message}\n${detail}` };
}

/** The version in the package's package.json: this module runs from dist/src/cli/. */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
