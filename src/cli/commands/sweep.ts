// `twlab sweep SCENARIO --vary KEY=V1,V2 ...`: the scenario run once per point of a grid of
// values, on worker threads, as one table (or one JSON array) in grid order.

import { renderSweep } from '../../report/sweep.js';
import { OverrideError, SETTING_KEYS_ALLOWED } from '../../scenario/overrides.js';
import { parseInteger } from '../../scenario/units.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { ok, type Command, type Context, type Output } from '../command.js';
import { resolveScenario, settingsOf, withSettings } from '../scenario-arg.js';
import { DEFAULT_MAX_JOBS, grid, MAX_VARIANTS, parseAxis, runSweep, type Axis } from '../sweep.js';

const MAX_JOBS = 64;

export const sweepCommand: Command = {
  name: 'sweep',
  operands: 'SCENARIO',
  summary: 'run a scenario over a grid of values and compare the variants in one table',
  about: [
    'Answers "which setting fixes it, and what does it cost?": does tcp_tw_reuse=1 stop the ' +
      'EADDRNOTAVAIL errors, how many TIME_WAIT sockets does a 200/s, 400/s or 800/s client leave, ' +
      'does the answer hold for other seeds? Each --vary KEY=V1,V2,... is one axis; twlab runs ' +
      'every combination (the cartesian product) and prints one row per variant: the varied ' +
      'values, then per client connected/attempted, errors and connect() probes at p99, per proxy ' +
      'the errors of each upstream, and per host its TIME_WAIT peak.',
    `KEY is what --set on twlab simulate takes: ${SETTING_KEYS_ALLOWED}. ` +
      'Values are separated by commas and checked for the scenario before anything runs. ' +
      '--set applies the same change to every variant.',
    'The variants run in parallel on worker threads; the rows come in grid order (the first ' +
      '--vary changes slowest), so the output is the same whatever --jobs is. --json prints an ' +
      'array of { vary, result } with each full result document.',
  ],
  flags: [
    {
      name: 'vary',
      value: 'KEY=V1,V2',
      repeatable: true,
      help: 'one axis of the grid (at least one): a key and the values to try, e.g. --vary client.sysctl.net.ipv4.tcp_tw_reuse=0,1; repeat for more axes',
      default: '',
    },
    { name: 'set', value: 'KEY=VALUE', repeatable: true, help: 'change one value in every variant (as on twlab simulate)', default: 'the values in the scenario' },
    { name: 'jobs', value: 'N', help: `worker threads, 1 to ${MAX_JOBS}`, default: `the number of CPUs, at most ${DEFAULT_MAX_JOBS}` },
    { name: 'json', help: 'print a JSON array of { vary, result }, one per variant, in grid order', default: 'off: a table for people' },
  ],
  examples: [
    ['twlab sweep small-range-burst --vary client.sysctl.net.ipv4.tcp_tw_reuse=0,1 --vary seed=1,2,3', 'does tw_reuse help, for three seeds?'],
    ["twlab sweep close-wait-leak --vary 'servers[0].close=never,after-peer'", 'the leak, and the fix'],
    ["twlab sweep article-lb --vary 'clients[0].rate=500/s,800/s,1000/s' --vary 'lb.sysctl.net.ipv4.ip_local_port_range=32768 60999,1024 65535'", 'at which rate does the load balancer run out of ports, with the default and a wide range?'],
    ['twlab sweep my.yaml --vary lb.what_if.timewait_len=0s,60s --json > sweep.json', 'a what-if (simulator only), as JSON'],
  ],
  run: runSweepCommand,
};

async function runSweepCommand(args: Args, context: Context): Promise<Output> {
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw new UsageError('sweep needs a scenario: twlab sweep SCENARIO --vary KEY=V1,V2', 'sweep');
  if (extra.length > 0) throw new UsageError(`sweep takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, 'sweep');
  const axes = axesOf(args.values.get('vary') ?? []);
  const sets = settingsOf('--set', args.values.get('set') ?? [], 'sweep');
  for (const s of sets) {
    if (axes.some((a) => a.key === s.key)) throw new UsageError(`${s.key} is given with both --set and --vary; give it once`, 'sweep');
  }
  const jobs = jobsOf(valueOf(args, 'jobs'), context.cpus ?? 1);

  // Every variant is checked here, before any worker starts: a bad value is a usage error.
  const base = resolveScenario(target);
  const variants = grid(axes);
  for (const v of variants) withSettings(base, [...sets, ...v.settings], 'sweep');

  const { progress } = context;
  let results;
  try {
    results = await runSweep(
      target,
      variants.map((v) => [...sets, ...v.settings]),
      { jobs, ...(progress ? { onDone: (done, total) => progress.update(`sweep ${base.name}: ${done} of ${total} variants done`) } : {}) },
    );
  } finally {
    progress?.done();
  }
  const rows = variants.map((v, i) => ({ vary: v.vary, result: results[i]! }));
  return ok(args.switches.has('json') ? JSON.stringify(rows, null, 2) + '\n' : renderSweep(rows, { color: context.color }));
}

function axesOf(texts: readonly string[]): Axis[] {
  if (texts.length === 0) throw new UsageError('sweep needs at least one --vary KEY=V1,V2 (twlab simulate runs a single variant)', 'sweep');
  const axes: Axis[] = [];
  for (const text of texts) {
    let axis: Axis;
    try {
      axis = parseAxis(text);
    } catch (e) {
      if (e instanceof OverrideError) throw new UsageError(e.message, 'sweep');
      throw e;
    }
    if (axes.some((a) => a.key === axis.key)) throw new UsageError(`--vary ${axis.key} is given twice; give all its values in one --vary ${axis.key}=V1,V2`, 'sweep');
    axes.push(axis);
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_VARIANTS) {
    throw new UsageError(`the grid has ${count} variants (${axes.map((a) => a.values.length).join(' x ')}); at most ${MAX_VARIANTS}: fewer values`, 'sweep');
  }
  return axes;
}

function jobsOf(raw: string | undefined, cpus: number): number {
  if (raw === undefined) return Math.max(1, Math.min(cpus, DEFAULT_MAX_JOBS));
  const parsed = /^-?\d+$/.test(raw) ? parseInteger(Number(raw), 1, MAX_JOBS) : { ok: false as const, problem: `"${raw}" is not an integer`, allowed: `an integer from 1 to ${MAX_JOBS}` };
  if (!parsed.ok) throw new UsageError(`--jobs: ${parsed.problem}; allowed: ${parsed.allowed}`, 'sweep');
  return parsed.value;
}
