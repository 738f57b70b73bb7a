// `twlab sweep SCENARIO --vary KEY=V1,V2 ...`, the work: check every variant, run the grid
// on worker threads, print the table or JSON.

import { renderSweep } from '../../report/sweep.js';
import { canonicalKey, OverrideError } from '../../scenario/overrides.js';
import { parseInteger } from '../../scenario/units.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { ok, type Context, type Output } from '../command.js';
import { onceEach, resolveScenario, settingsOf, withSettings } from '../scenario-arg.js';
import { grid, MAX_VARIANTS, parseAxis, runSweep, type Axis } from '../sweep.js';
import { DEFAULT_MAX_JOBS, MAX_JOBS } from './sweep.js';
import { tuneV8ForSimulation } from '../v8-tuning.js';

export async function runSweepCommand(args: Args, context: Context): Promise<Output> {
  tuneV8ForSimulation();
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw new UsageError('sweep needs a scenario: twlab sweep SCENARIO --vary KEY=V1,V2', 'sweep');
  if (extra.length > 0) throw new UsageError(`sweep takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, 'sweep');
  const axes = axesOf(args.values.get('vary') ?? []);
  const sets = onceEach(settingsOf('--set', args.values.get('set') ?? [], 'sweep'), 'sweep');
  for (const s of sets) {
    const key = canonicalKey(s.key);
    if (axes.some((a) => canonicalKey(a.key) === key)) throw new UsageError(`${key} is given with both --set and --vary; give it once`, 'sweep');
  }
  const jobs = jobsOf(valueOf(args, 'jobs'), context.cpus ?? 1);

  // Every variant is checked here, before any worker starts: a bad value is a usage error.
  const base = resolveScenario(target);
  const variants = grid(axes);
  const notes: string[] = [];
  for (const v of variants) withSettings(base, [...sets, ...v.settings], 'sweep', notes);

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
  const stdout = args.switches.has('json') ? JSON.stringify(rows, null, 2) + '\n' : renderSweep(rows, { color: context.color, settings: sets.map((x) => `${x.key}=${x.value}`) });
  return { ...ok(stdout), stderr: [...new Set(notes)].map((note) => `twlab: ${note}\n`).join('') };
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
    if (axes.some((a) => canonicalKey(a.key) === canonicalKey(axis.key))) throw new UsageError(`--vary ${axis.key} is given twice; give all its values in one --vary ${axis.key}=V1,V2`, 'sweep');
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
