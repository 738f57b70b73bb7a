// `twlab simulate [SCENARIO]`: load a scenario (a file or a built-in), apply --seed,
// --duration and --set, run the model, print the report or the result JSON; with --html
// and --ladder, also write the HTML report and packet ladders (traced connections). This
// module is what help and the parser need; simulate-run.ts does the work.

import { DEFAULT_SCENARIO } from '../../scenario/facts.js';
import { LIMITS } from '../../scenario/units.js';
import type { Command } from '../command.js';

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
      'proxies[N].upstream_close, keepalive), or seed and duration (as --seed and --duration do). ' +
      "Values are checked as in a file, for the scenario's kernel. Each key may be given once: " +
      '--seed 3 with --set seed=5, or the same key in two --set, is an error. A shorter ' +
      "--duration drops the scenario's snapshots after the new end (a note on stderr says " +
      'which), but may not end the run before a client starts. To compare several values side ' +
      'by side, use twlab sweep.',
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
      help: "change one value of the scenario, e.g. --set lb.sysctl.net.ipv4.tcp_tw_reuse=1, --set 'clients[0].rate=500/s' (quote [ ] for the shell) or --set seed=2; repeat for more keys, each once",
      default: 'the values in the scenario',
    },
    {
      name: 'html',
      value: 'FILE',
      help: 'also write a self-contained HTML report to FILE.html: the verdict, charts over time per host, connect() figures and packet ladders; opens offline',
      default: 'none',
    },
    {
      name: 'ladder',
      value: 'FILE|-',
      help: 'write packet ladders of chosen connections: FILE.svg as SVG, FILE.txt as text, - as text on stdout instead of the report',
      default: 'none',
    },
    {
      name: 'trace',
      value: 'HOST[:PORT]->HOST[:PORT]',
      repeatable: true,
      help: "the connections --html and --ladder draw, e.g. --trace 'client:40312->server:80' (quote > for the shell; PORT * or left out: any); repeat for more",
      default: 'the first, the first with trouble, any with a stale segment',
    },
  ],
  examples: [
    ['twlab simulate', `the built-in ${DEFAULT_SCENARIO}: 1000 requests/s through a load balancer for 90 s`],
    ['twlab simulate small-range-burst', '150 connections through 100 ports: 50 fail with EADDRNOTAVAIL'],
    ['twlab simulate small-range-burst --set client.sysctl.net.ipv4.tcp_tw_reuse=1', 'does tcp_tw_reuse=1 save the 50 connections?'],
    ["twlab simulate --set 'lb.sysctl.net.ipv4.ip_local_port_range=1024 65535'", 'the article\'s load balancer with a wider port range'],
    ['twlab simulate close-wait-leak --duration 30s', 'the CLOSE_WAIT leak, run for 30 s instead of 8 s'],
    ['twlab simulate my-scenario.yaml --seed 2 --json > result.json', 'your own scenario, another seed, JSON for scripts'],
    ['twlab simulate --html report.html', 'the article-lb report with charts and packet ladders, one file to attach to a ticket'],
    ['twlab simulate stale-segment --ladder -', "the article's figure one as a packet ladder in the terminal"],
    ["twlab simulate lost-last-ack --ladder fig2.svg --trace 'client:45678->server:80'", "the article's figure two as an SVG"],
  ],
  load: async () => (await import('./simulate-run.js')).runSimulate,
};
