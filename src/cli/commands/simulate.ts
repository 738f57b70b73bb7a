// `twlab simulate [SCENARIO]`: load a scenario (a file or a built-in), apply --seed,
// --duration and --set, run the model, print the report or the result JSON.

import { renderText } from '../../report/text.js';
import { DEFAULT_SCENARIO } from '../../scenario/builtin.js';
import { runSettings } from '../../scenario/overrides.js';
import { LIMITS, SEC } from '../../scenario/units.js';
import type { Result } from '../../sim/result.js';
import { simulate } from '../../sim/run.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { ok, type Command, type Context, type Output } from '../command.js';
import { resolveScenario, settingsOf, withSettings } from '../scenario-arg.js';

export const simulateCommand: Command = {
  name: 'simulate',
  operands: '[SCENARIO]',
  summary: 'run a scenario on a deterministic model of the Linux TCP stack',
  about: [
    'Answers what a set of hosts does under a connection workload: how many TIME_WAIT and ' +
      'CLOSE_WAIT sockets each host holds at the end and at the peak, whether clients run out ' +
      'of ephemeral ports (EADDRNOTAVAIL), how long connect() takes and how many ports its ' +
      'search probes, and which kernel counters (nstat names) move. The report starts with ' +
      '"What happened": a few sentences on what went wrong and why, worked out from the figures.',
    'SCENARIO is a scenario file (format: scenario v1, docs/scenario-v1.md in the twlab repository) or the name ' +
      `of a built-in scenario (twlab scenarios lists them). Without one: ${DEFAULT_SCENARIO}, ` +
      'the client -> load balancer -> web -> database topology of the article.',
    'To try a what-if without editing the file, --set changes one value: a sysctl of a host ' +
      '(HOST.sysctl.NAME with the full sysctl name), the simulator-only TIME_WAIT length ' +
      '(HOST.what_if.timewait_len), or a workload key (clients[N].rate, count, close, hold, ' +
      'request_bytes, linger; servers[N].close, linger, response_bytes, backlog; ' +
      'proxies[N].upstream_close, keepalive). Values are checked as in a file, for the ' +
      "scenario's kernel. To compare several values side by side, use twlab sweep.",
    'The run is deterministic: the same file, seed and twlab version give byte-identical output.',
  ],
  flags: [
    { name: 'json', help: 'print the result as one JSON document (format twlab-result/1)', default: 'off: a report for people' },
    { name: 'seed', value: 'N', help: `seed for every random choice, an integer from 0 to ${LIMITS.maxSeed}`, default: "the scenario's seed (1 when it sets none)" },
    { name: 'duration', value: 'D', help: 'simulated time to run, a number with a unit us, ms, s or m (e.g. 30s, 2m)', default: "the scenario's duration" },
    {
      name: 'set',
      value: 'KEY=VALUE',
      repeatable: true,
      help: "change one value of the scenario, e.g. --set lb.sysctl.net.ipv4.tcp_tw_reuse=1 or --set 'clients[0].rate=500/s' (quote [ ] for the shell); repeat for more",
      default: 'the values in the scenario',
    },
  ],
  examples: [
    ['twlab simulate', `the built-in ${DEFAULT_SCENARIO}: 1000 requests/s through a load balancer for 90 s`],
    ['twlab simulate small-range-burst', '150 connections through 100 ports: 50 fail with EADDRNOTAVAIL'],
    ['twlab simulate small-range-burst --set client.sysctl.net.ipv4.tcp_tw_reuse=1', 'does tcp_tw_reuse=1 save the 50 connections?'],
    ["twlab simulate --set 'lb.sysctl.net.ipv4.ip_local_port_range=1024 65535'", 'the article\'s load balancer with a wider port range'],
    ['twlab simulate close-wait-leak --duration 30s', 'the CLOSE_WAIT leak, run for 30 s instead of 8 s'],
    ['twlab simulate my-scenario.yaml --seed 2 --json > result.json', 'your own scenario, another seed, JSON for scripts'],
  ],
  run: runSimulate,
};

function runSimulate(args: Args, context: Context): Output {
  if (args.positionals.length > 1) {
    throw new UsageError(`simulate takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, 'simulate');
  }
  const settings = [...runSettings(valueOf(args, 'seed'), valueOf(args, 'duration')), ...settingsOf('--set', args.values.get('set') ?? [], 'simulate')];
  const scenario = withSettings(resolveScenario(args.positionals[0] ?? DEFAULT_SCENARIO), settings, 'simulate');

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
  if (args.switches.has('json')) return ok(JSON.stringify(result, null, 2) + '\n');
  const changed = settings.filter((s) => s.key !== 'seed').map((s) => `${s.key}=${s.value}`);
  return ok(renderText(result, { color: context.color, scenario, changed }));
}
