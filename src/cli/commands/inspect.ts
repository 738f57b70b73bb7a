// `twlab inspect`: this host's TCP sockets explained. Reads /proc (or a saved dump with
// --from), prints the figures, findings and advice; --json for scripts; --watch refreshes.

import { setTimeout as sleep } from 'node:timers/promises';
import { ROLES, type AdviseOptions, type Role } from '../../inspect/advice.js';
import type { Inspection } from '../../inspect/analyze.js';
import { DumpFormatError, DUMP_FORMATS_TEXT } from '../../inspect/dump.js';
import { inspectDumpFile, inspectHost, type Inspected } from '../../inspect/inspect.js';
import { counterRates, type Rates } from '../../inspect/rates.js';
import { renderInspection } from '../../inspect/render.js';
import { parseDuration, SEC } from '../../scenario/units.js';
import { UsageError, valueOf, type Args, type FlagSpec } from '../args.js';
import { EXIT, ok, type Command, type Context, type Output } from '../command.js';

// ---------------------------------------------------------------------------------------
// Shared with advise (and exporter): the --from / --role / --behind-nat flags, a bad dump as
// exit 2, and what main.ts lends commands that keep running.

export const FROM_FLAG: FlagSpec = {
  name: 'from',
  value: 'FILE',
  help: `read a saved socket list instead of this host: ${DUMP_FORMATS_TEXT} (format detected)`,
  default: 'this host, live',
};
export const ROLE_FLAG: FlagSpec = {
  name: 'role',
  value: 'ROLE',
  help: `what the host does, for the advice: ${ROLES.join(', ')}`,
  default: 'inferred from its sockets',
};
export const BEHIND_NAT_FLAG: FlagSpec = { name: 'behind-nat', help: 'the host, or its clients, sit behind NAT (many hosts share one address)', default: 'off' };

export function adviseOptions(args: Args, command: string): AdviseOptions {
  const role = valueOf(args, 'role');
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role ${role}: expected one of ${ROLES.join(', ')}`, command);
  }
  return { ...(role ? { role: role as Role } : {}), behindNat: args.switches.has('behind-nat') };
}

/** The host, or the --from dump. A dump that cannot be used is a usage error (exit 2). */
export function inspectFromArgs(args: Args, command: string, options: AdviseOptions): Inspected | Output {
  const from = valueOf(args, 'from');
  if (from === undefined) return inspectHost({ now: Date.now }, options);
  try {
    return inspectDumpFile(from, Date.now(), options);
  } catch (e) {
    if (!(e instanceof DumpFormatError)) throw e;
    return {
      code: EXIT.usage,
      stdout: '',
      stderr: `twlab: ${e.message}\nSave one with e.g. \`ss -tanp > sockets.txt\` on the host, then: twlab ${command} --from sockets.txt\n`,
    };
  }
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

export const inspectCommand: Command = {
  name: 'inspect',
  operands: '[INTERVAL]',
  summary: "explain this host's TIME_WAIT, CLOSE_WAIT and ephemeral ports",
  about: [
    'Looks at this Linux host (or network namespace: ip netns exec NS twlab inspect): TCP sockets ' +
      'by state for IPv4 and IPv6; TIME_WAIT and CLOSE_WAIT by local port and by destination; for ' +
      'each destination the ephemeral ports in use against ip_local_port_range and the new-connection ' +
      'rate the range sustains (free ports / 60 s of TIME_WAIT, or / tcp_tw_reuse_delay when ' +
      'tcp_tw_reuse applies); the processes holding CLOSE_WAIT and FIN_WAIT_2; timewait memory; ' +
      'the relevant sysctls next to their defaults; then findings and advice for this kernel.',
    'Sockets come from /proc/net/tcp and /proc/net/tcp6, owners from /proc/PID/fd, counters from ' +
      '/proc/net/snmp and /proc/net/netstat, timewait size from /proc/slabinfo. It works ' +
      'unprivileged; what it could not see is listed at the end (root sees every owner and slabinfo).',
    '--watch refreshes every INTERVAL (default 2s) with rates from counter deltas (new TIME_WAIT/s ' +
      'from TcpExtTW, connects/s, accepts/s); with --json it prints one JSON document per line.',
  ],
  flags: [
    { name: 'json', help: 'print one JSON document (format twlab-inspect/1)', default: 'off: a report for people' },
    FROM_FLAG,
    { name: 'watch', help: 'refresh every INTERVAL (the operand, e.g. 5s) until Ctrl-C, with rates', default: 'off; INTERVAL 2s' },
    { name: 'count', value: 'N', help: 'with --watch: stop after N refreshes', default: 'until Ctrl-C' },
    { name: 'top', value: 'N', help: 'rows per table in the report (--json lists up to 1000)', default: '10' },
    ROLE_FLAG,
    BEHIND_NAT_FLAG,
  ],
  examples: [
    ['twlab inspect', 'this host, explained'],
    ['sudo twlab inspect', 'the same, with every CLOSE_WAIT owner and the real timewait size'],
    ['twlab inspect --json | jq .destinations', 'port use per destination, for scripts'],
    ['twlab inspect --watch 5s', 'refresh every 5 s with new TIME_WAIT/s'],
    ['ss -tanp > s.txt; twlab inspect --from s.txt', 'a socket list saved on another host'],
    ['ip netns exec NS twlab inspect', 'one network namespace'],
  ],
  run: runInspect,
};

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

async function runInspect(args: Args, context: Context): Promise<Output> {
  const options = adviseOptions(args, 'inspect');
  const top = positiveInt(args, 'top', 10);
  const json = args.switches.has('json');
  const interval = intervalOf(args);
  if (!args.switches.has('watch')) {
    if (valueOf(args, 'count') !== undefined) throw new UsageError('--count goes with --watch', 'inspect');
    const r = inspectFromArgs(args, 'inspect', options);
    if (isOutput(r)) return r;
    const ins = r.analysis.inspection;
    return ok(json ? JSON.stringify(ins, null, 2) + '\n' : renderInspection(ins, { color: context.color, top }));
  }

  if (valueOf(args, 'from') !== undefined) throw new UsageError('--watch looks at this host; it cannot watch a --from file', 'inspect');
  const count = valueOf(args, 'count') === undefined ? undefined : positiveInt(args, 'count', 1);
  const buffered: string[] = [];
  const write = context.write ?? ((text: string) => buffered.push(text));
  if (context.write === undefined && count === undefined) throw new UsageError('--watch needs --count here (no terminal to refresh)', 'inspect');

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
    const ins = inspectHost({ now: Date.now }, options).analysis.inspection;
    const rates: Rates | undefined = previous ? counterRates(previous.counters, ins.counters, (atMs - previous.atMs) / 1000) : undefined;
    previous = { counters: ins.counters, atMs };
    if (json) {
      write(JSON.stringify({ ...ins, rates: rates ?? null }) + '\n');
    } else {
      const text = renderInspection(ins, { color: context.color, top, ...(rates ? { rates } : {}) });
      const footer = `(every ${interval} s; Ctrl-C to stop)\n`;
      write(context.tty ? CLEAR + text + footer : text + '\n');
    }
  }
  return ok(buffered.join(''));
}
