// Command-line arguments -> typed records, once, at the edge. A small hand-written parser
// (no dependency): `--flag value`, `--flag=value`, switches, repeatable flags, `--` to end
// the flags, and one short form per flag (`-h`). Anything it does not know is a UsageError
// that names the token and, when it looks like a typo, the flag that was meant.

import { closest } from '../scenario/units.js';

/** One flag of a command. The same record drives parsing and the help text. */
export interface FlagSpec {
  /** Long name without dashes: `seed` for `--seed`. */
  name: string;
  /** One-letter short form without the dash: `h` for `-h`. */
  short?: string;
  /** Placeholder for the value (`N`, `D`); absent for a switch that takes no value. */
  value?: string;
  /** A switch whose setting is the command's operand (`--watch 5s`): `--watch=5s` is then pointed there. */
  operand?: string;
  /** May be given more than once; the values are kept in order. */
  repeatable?: boolean;
  /** What it does, one line. */
  help: string;
  /** The default as help shows it; '' for none (--help). */
  default: string;
}

export interface Args {
  /** Operands, in order. */
  positionals: string[];
  /** Switches that were given, by long name. */
  switches: ReadonlySet<string>;
  /** Values of value flags by long name, in the order given. */
  values: ReadonlyMap<string, readonly string[]>;
}

/** A mistake on the command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';

  constructor(
    message: string,
    /** The command whose help explains the fix, e.g. `simulate`; undefined for twlab itself. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/**
 * Parses the arguments after the command name. `command` only labels messages.
 * Throws UsageError for an unknown flag, a missing or unexpected value, or a flag given
 * twice that is not repeatable.
 */
export function parseArgs(argv: readonly string[], flags: readonly FlagSpec[], command?: string): Args {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short !== undefined).map((f) => [f.short as string, f]));
  const positionals: string[] = [];
  const switches = new Set<string>();
  const values = new Map<string, string[]>();
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!isFlagToken(token)) {
      positionals.push(token);
      continue;
    }

    const long = token.startsWith('--');
    const eq = long ? token.indexOf('=') : -1;
    const written = eq < 0 ? token : token.slice(0, eq);
    const key = long ? written.slice(2) : written.slice(1);
    const spec = long ? byName.get(key) : byShort.get(key);
    if (!spec) fail(unknownFlag(written, flags));
    const flag = spec as FlagSpec;
    const shown = long ? `--${flag.name}` : `-${key}`;

    if (flag.value === undefined) {
      if (eq >= 0) {
        const got = token.slice(eq + 1);
        fail(`${shown} takes no value (got "${got}")${flag.operand !== undefined ? `; ${flag.operand} is an operand: write ${shown} ${got}` : ''}`);
      }
      switches.add(flag.name);
      continue;
    }

    let value: string;
    if (eq >= 0) {
      value = token.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || isFlagToken(next)) fail(`${shown} needs a value: ${shown} ${flag.value}`);
      value = next as string;
      i++;
    }
    if (value === '') fail(`${shown} needs a value: ${shown} ${flag.value}`);
    const seen = values.get(flag.name);
    if (seen && !flag.repeatable) fail(`--${flag.name} is given twice ("${seen[0]}" and "${value}"); give it once`);
    if (seen) seen.push(value);
    else values.set(flag.name, [value]);
  }
  return { positionals, switches, values };
}

/** The single value of a non-repeatable flag, or undefined when it was not given. */
export function valueOf(args: Args, name: string): string | undefined {
  return args.values.get(name)?.[0];
}

/**
 * The value of --html, checked: the file is HTML, so its name must say so (.html or .htm).
 * A report written to `report.pdf` or `report.svg` would open as something it is not.
 */
export function htmlFile(args: Args, command: string): string | undefined {
  const file = args.values.get('html')?.at(-1);
  if (file === undefined || /\.html?$/i.test(file)) return file;
  const ext = /\.[^./]*$/.exec(file)?.[0];
  const problem = ext === undefined ? 'has no .html extension' : `${JSON.stringify(ext)} is not .html`;
  throw new UsageError(`--html ${file}: ${problem}; the report is one HTML file: give FILE.html (or FILE.htm)`, command);
}

/** `--x`, `-x`: flags. `-` alone (stdin by convention) and negative numbers (`-1`) are operands. */
function isFlagToken(token: string): boolean {
  if (token.startsWith('--')) return token.length > 2;
  return /^-[A-Za-z]/.test(token);
}

function unknownFlag(written: string, flags: readonly FlagSpec[]): string {
  const names = flags.map((f) => `--${f.name}`);
  const guess = closest(written.startsWith('--') ? written : `-${written}`, names);
  const hint = guess ? `; did you mean ${guess}?` : names.length > 0 ? `; known flags: ${names.join(' ')}` : '';
  return `unknown flag ${written}${hint}`;
}

/** True when a help flag appears before `--`: help wins over any other mistake on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false;
    if (token === '--help' || token === '-h') return true;
  }
  return false;
}
