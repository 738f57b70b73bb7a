// `twlab sweep SCENARIO --vary KEY=V1,V2 ...`: the scenario run once per point of a grid of
// values, on worker threads, as one table (or one JSON array) in grid order. This module is
// what help and the parser need; sweep-run.ts does the work.

import { SETTING_KEYS_ALLOWED } from '../../scenario/facts.js';
import type { Command } from '../command.js';

export const MAX_JOBS = 64;
/** Worker threads when --jobs is not given: the CPUs, at most this many. */
export const DEFAULT_MAX_JOBS = 4;

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
      'the errors of each upstream, per host its TIME_WAIT peak (and its CLOSE_WAIT and FIN_WAIT_2 ' +
      'peaks where the variants differ), and the integrity counts when a variant has any. Below ' +
      'the table: the --set values every variant shares, and a "Not Linux" line for what_if knobs.',
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
  load: async () => (await import('./sweep-run.js')).runSweepCommand,
};
