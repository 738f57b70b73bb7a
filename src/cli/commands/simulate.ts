// `twlab simulate [SCENARIO]`: load a scenario (a file or a built-in), apply --seed and
// --duration, run the model, print the report or the result JSON.

import { statSync } from 'node:fs';
import { renderText } from '../../report/text.js';
import { builtinNames, DEFAULT_SCENARIO, isBuiltin, loadBuiltin } from '../../scenario/builtin.js';
import { ScenarioError } from '../../scenario/errors.js';
import { loadScenarioFile } from '../../scenario/load.js';
import type { Micros, Scenario } from '../../scenario/types.js';
import { closest, DURATION_ALLOWED, formatDuration, LIMITS, parseDuration, parseInteger, SEC } from '../../scenario/units.js';
import type { Result } from '../../sim/result.js';
import { simulate } from '../../sim/run.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { ok, type Command, type Context, type Output } from '../command.js';

export const simulateCommand: Command = {
  name: 'simulate',
  operands: '[SCENARIO]',
  summary: 'run a scenario on a deterministic model of the Linux TCP stack',
  about: [
    'Answers what a set of hosts does under a connection workload: how many TIME_WAIT and ' +
      'CLOSE_WAIT sockets each host holds at the end and at the peak, whether clients run out ' +
      'of ephemeral ports (EADDRNOTAVAIL), how long connect() takes and how many ports its ' +
      'search probes, and which kernel counters (nstat names) move.',
    'SCENARIO is a scenario file (format: scenario v1, docs/scenario-v1.md in the twlab repository) or the name ' +
      `of a built-in scenario (twlab scenarios lists them). Without one: ${DEFAULT_SCENARIO}, ` +
      'the client -> load balancer -> web -> database topology of the article.',
    'The run is deterministic: the same file, seed and twlab version give byte-identical output.',
  ],
  flags: [
    { name: 'json', help: 'print the result as one JSON document (format twlab-result/1)', default: 'off: a report for people' },
    { name: 'seed', value: 'N', help: `seed for every random choice, an integer from 0 to ${LIMITS.maxSeed}`, default: "the scenario's seed (1 when it sets none)" },
    { name: 'duration', value: 'D', help: 'simulated time to run, a number with a unit us, ms, s or m (e.g. 30s, 2m)', default: "the scenario's duration" },
  ],
  examples: [
    ['twlab simulate', `the built-in ${DEFAULT_SCENARIO}: 1000 requests/s through a load balancer for 90 s`],
    ['twlab simulate small-range-burst', '150 connections through 100 ports: 50 fail with EADDRNOTAVAIL'],
    ['twlab simulate close-wait-leak --duration 30s', 'the CLOSE_WAIT leak, run for 30 s instead of 8 s'],
    ['twlab simulate my-scenario.yaml --seed 2 --json > result.json', 'your own scenario, another seed, JSON for scripts'],
  ],
  run: runSimulate,
};

function runSimulate(args: Args, context: Context): Output {
  if (args.positionals.length > 1) {
    throw new UsageError(`simulate takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, 'simulate');
  }
  const seed = seedFlag(valueOf(args, 'seed'));
  const durationText = valueOf(args, 'duration');
  const duration = durationFlag(durationText);

  let scenario = resolveScenario(args.positionals[0] ?? DEFAULT_SCENARIO);
  if (seed !== undefined) scenario = { ...scenario, seed };
  if (duration !== undefined) scenario = withDuration(scenario, duration, durationText as string);

  const { progress } = context;
  const name = scenario.name;
  let result: Result;
  try {
    result = simulate(
      scenario,
      progress ? { onProgress: (done, total) => progress.update(`simulating ${name}: ${(done / SEC).toFixed(1)} s of ${total / SEC} s`) } : {},
    );
  } finally {
    progress?.done();
  }
  return ok(args.switches.has('json') ? JSON.stringify(result, null, 2) + '\n' : renderText(result, { color: context.color }));
}

/**
 * A path to a file, else a built-in name. An existing path that is not a regular file (a
 * directory, say) is still read as a file unless it is also a built-in name, so that the
 * loader says what is wrong with it.
 */
export function resolveScenario(target: string): Scenario {
  const kind = pathKind(target);
  if (kind === 'file') return loadScenarioFile(target);
  if (isBuiltin(target)) return loadBuiltin(target);
  if (kind === 'other') return loadScenarioFile(target);
  const names = builtinNames();
  const guess = closest(target, names);
  throw new ScenarioError(
    target,
    undefined,
    '(scenario)',
    `no such file, and no built-in scenario of that name${guess ? ` (did you mean ${guess}?)` : ''}`,
    `a scenario file, or a built-in name: ${names.join(', ')} (twlab scenarios describes them)`,
  );
}

function pathKind(path: string): 'file' | 'other' | 'missing' {
  try {
    return statSync(path).isFile() ? 'file' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'other';
  }
}

function seedFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const allowed = `an integer from 0 to ${LIMITS.maxSeed}`;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--seed: "${raw}" is not an integer; allowed: ${allowed}`, 'simulate');
  const parsed = parseInteger(Number(raw), 0, LIMITS.maxSeed);
  if (!parsed.ok) throw new UsageError(`--seed: ${parsed.problem}; allowed: ${parsed.allowed}`, 'simulate');
  return parsed.value;
}

function durationFlag(raw: string | undefined): Micros | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseDuration(raw);
  if (!parsed.ok) throw new UsageError(`--duration: ${parsed.problem}; allowed: ${parsed.allowed}`, 'simulate');
  if (parsed.value === 0) throw new UsageError(`--duration: "${raw}" is zero; allowed: ${DURATION_ALLOWED.replace('a number', 'a number above 0')}`, 'simulate');
  return parsed.value;
}

/**
 * The scenario with another run length. The checks are the loader's (load.ts readScenario)
 * for the keys that depend on the duration: a file cannot break them, a flag can.
 */
function withDuration(scenario: Scenario, duration: Micros, raw: string): Scenario {
  const fail = (what: string, fix: string): never => {
    throw new UsageError(`--duration ${raw}: ${what}; ${fix}`, 'simulate');
  };
  scenario.clients.forEach((client, i) => {
    if (client.start >= duration) {
      fail(`clients[${i}] starts at ${formatDuration(client.start)}, not before the end of the run`, `give a duration above ${formatDuration(client.start)}`);
    }
  });
  const lastSnapshot = scenario.snapshots.at(-1);
  if (lastSnapshot !== undefined && lastSnapshot > duration) {
    fail(`the scenario takes a snapshot at ${formatDuration(lastSnapshot)}, after the end of the run`, `give at least ${formatDuration(lastSnapshot)}`);
  }
  const samples = Math.floor(duration / scenario.series) + 1;
  if (samples > LIMITS.maxSamples) {
    fail(`gives ${samples} time-series samples at ${formatDuration(scenario.series)} each`, `at most ${LIMITS.maxSamples}: a shorter duration`);
  }
  return { ...scenario, duration };
}
