// `twlab inspect`, the work: read the host (or the --from dump), analyse, print; --watch
// refreshes. Loaded only when inspect or advise runs (inspect.ts is the help and flags).
// The dump parsers, the text report and --watch's timer are imported where they are used:
// `inspect --json` on a busy host is timed against ss (docs/inspect.md), and loading
// modules is a good part of its time.

import type { AdviseOptions } from '../../inspect/advice.js';
import type { Inspection } from '../../inspect/analyze.js';
import { SOCKET_SOURCES, type SocketSource } from '../../inspect/host.js';
import { inspectHost, type Inspected } from '../../inspect/inspect.js';
import { ROLES, type Role } from '../../inspect/options.js';
import type { Rates } from '../../inspect/rates.js';
import { parseDuration, SEC } from '../../scenario/units.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { EXIT, ok, type Context, type Output } from '../command.js';

// ---------------------------------------------------------------------------------------
// Shared with advise: --role and --behind-nat as options, the host or a bad dump as exit 2.

export function adviseOptions(args: Args, command: string): AdviseOptions {
  const role = valueOf(args, 'role');
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role ${role}: expected one of ${ROLES.join(', ')}`, command);
  }
  return { ...(role ? { role: role as Role } : {}), behindNat: args.switches.has('behind-nat') };
}

/** The host, or the --from dump. A dump that cannot be used is a usage error (exit 2). */
export async function inspectFromArgs(args: Args, command: string, options: AdviseOptions): Promise<Inspected | Output> {
  const from = valueOf(args, 'from');
  const sockets = socketSourceOf(args, command);
  if (from === undefined) return inspectHost({ now: Date.now, sockets }, options);
  if (valueOf(args, 'sockets') !== undefined) throw new UsageError('--sockets chooses how this host is read; a --from file is read as it was saved', command);
  const { DumpFormatError, inspectDumpFile } = await import('../../inspect/dump.js');
  try {
    return inspectDumpFile(from, Date.now(), options);
  } catch (e) {
    if (!(e instanceof DumpFormatError)) throw e;
    return {
      code: EXIT.usage,
      stdout: '',
      stderr: `twlab: ${e.message}\nSave one with e.g. \`ss -tanpe > sockets.txt\` on the host, then: twlab ${command} --from sockets.txt\n`,
    };
  }
}

/** --sockets SOURCE (inspect only; advise reads the host the default way). */
function socketSourceOf(args: Args, command: string): SocketSource {
  const text = valueOf(args, 'sockets') ?? 'netlink';
  if (!(SOCKET_SOURCES as readonly string[]).includes(text)) throw new UsageError(`--sockets ${text}: expected ${SOCKET_SOURCES.join(' or ')}`, command);
  return text as SocketSource;
}

export function isOutput(x: Inspected | Output): x is Output {
  return 'code' in x;
}

// ---------------------------------------------------------------------------------------

/** --watch without an interval. */
const DEFAULT_INTERVAL_S = 2;
/** Shortest --watch interval: reading /proc on a busy host takes a good part of a second. */
const MIN_INTERVAL_S = 0.2;
/** Clear the screen and go home (refresh in place on a terminal). */
const CLEAR = '\x1b[H\x1b[2J';

function positiveInt(args: Args, name: string, fallback: number): number {
  const text = valueOf(args, name);
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new UsageError(`--${name} ${text}: expected a whole number from 1`, 'inspect');
  return Number(text);
}

function intervalOf(args: Args): number {
  const [text, ...rest] = args.positionals;
  if (rest.length > 0) throw new UsageError(`inspect takes at most one INTERVAL, got ${args.positionals.join(' ')}`, 'inspect');
  if (text === undefined) return DEFAULT_INTERVAL_S;
  if (!args.switches.has('watch')) throw new UsageError(`"${text}": an INTERVAL goes with --watch (twlab inspect --watch ${text})`, 'inspect');
  const parsed = parseDuration(/^\d+(\.\d+)?$/.test(text) ? `${text}s` : text);
  if (!parsed.ok) throw new UsageError(`--watch ${text}: ${parsed.problem}; expected ${parsed.allowed}`, 'inspect');
  const s = parsed.value / SEC;
  if (s < MIN_INTERVAL_S) throw new UsageError(`--watch ${text}: at least ${MIN_INTERVAL_S}s`, 'inspect');
  return s;
}

export async function runInspect(args: Args, context: Context): Promise<Output> {
  const options = adviseOptions(args, 'inspect');
  const top = positiveInt(args, 'top', 10);
  const topGiven = valueOf(args, 'top') !== undefined;
  const json = args.switches.has('json');
  const interval = intervalOf(args);
  if (!args.switches.has('watch')) {
    if (valueOf(args, 'count') !== undefined) throw new UsageError('--count goes with --watch', 'inspect');
    const r = await inspectFromArgs(args, 'inspect', options);
    if (isOutput(r)) return r;
    const ins = r.analysis.inspection;
    if (json) return ok(JSON.stringify(ins, null, 2) + '\n');
    const { renderInspection } = await import('../../inspect/render.js');
    return ok(renderInspection(ins, { color: context.color, top }));
  }

  if (valueOf(args, 'from') !== undefined) throw new UsageError('--watch looks at this host; it cannot watch a --from file', 'inspect');
  const count = valueOf(args, 'count') === undefined ? undefined : positiveInt(args, 'count', 1);
  const buffered: string[] = [];
  const write = context.write ?? ((text: string) => buffered.push(text));
  if (context.write === undefined && count === undefined) throw new UsageError('--watch needs --count here (no terminal to refresh)', 'inspect');

  const [{ setTimeout: sleep }, { counterRates }, { renderInspection, renderWatch }] = await Promise.all([
    import('node:timers/promises'),
    import('../../inspect/rates.js'),
    import('../../inspect/render.js'),
  ]);
  const signal = context.stopSignal?.();
  let previous: { counters: Inspection['counters']; atMs: number } | undefined;
  for (let i = 0; count === undefined || i < count; i++) {
    if (i > 0) {
      try {
        await sleep(interval * 1000, undefined, signal ? { signal } : {});
      } catch {
        break; // Ctrl-C
      }
    }
    if (signal?.aborted) break;
    const atMs = performance.now();
    const ins = inspectHost({ now: Date.now, sockets: socketSourceOf(args, 'inspect') }, options).analysis.inspection;
    const rates: Rates | undefined = previous ? counterRates(previous.counters, ins.counters, (atMs - previous.atMs) / 1000) : undefined;
    previous = { counters: ins.counters, atMs };
    if (json) {
      write(JSON.stringify({ ...ins, rates: rates ?? null }) + '\n');
    } else if (context.tty) {
      const footer = `(every ${interval} s; Ctrl-C to stop; the sysctls and the advice: twlab inspect, twlab advise)\n`;
      const screen = context.screen?.();
      write(CLEAR + renderWatch(ins, { color: context.color, ...(topGiven ? { top } : {}), ...(rates ? { rates } : {}), ...(screen ? { screen } : {}), footer }));
    } else {
      write(renderInspection(ins, { color: context.color, top, ...(rates ? { rates } : {}) }) + '\n');
    }
  }
  return ok(buffered.join(''));
}
