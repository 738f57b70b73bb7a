// `twlab compare SCENARIO`: the model and the real kernel on the same scenario, side by side,
// each figure judged against a tolerance; exit 1 when one is beyond it. This module is what
// help and the parser need; compare-run.ts does the work.

import { TOLERANCE_CLASSES } from '../../lab/compare.js';
import type { Command } from '../command.js';
import { labCommand } from './lab.js';

export const compareCommand: Command = {
  name: 'compare',
  operands: 'SCENARIO',
  summary: 'run a scenario on the model and on the real kernel and compare them figure by figure',
  about: [
    'Answers "does the model agree with this kernel?": runs twlab simulate and twlab lab on the ' +
      'same scenario and prints one table: each figure (connects, errors, sockets by state at the ' +
      'end and at the snapshots, sampled peaks, lifecycle counters such as TcpExtTW and TcpOutRsts, ' +
      'the port order), the model\'s value, the kernel\'s, the difference, the tolerance and whether ' +
      'it is within. Exits 1 when any figure is beyond its tolerance. Timing figures (connect_ms) ' +
      'are shown but not judged: lab has no link delays.',
    'Tolerances by class: connections exact; states, peaks and counters 2% + 2; ports exact. Peaks ' +
      'are sampled every 100 ms, so only those where the model piles up 10 sockets or more are judged. ' +
      'Where a client host has tcp_rfc1337 = 0 the kernel may connect up to 5% more (race): on 2 CPUs ' +
      'a duplicated final ACK can draw a RST that ends a TIME_WAIT early (docs/fidelity.md C5).',
    `Needs what twlab lab needs (root, iproute2). ${labCommand.about[2] ?? ''}`,
  ],
  flags: [
    {
      name: 'tolerance',
      value: '[CLASS=]SPEC',
      repeatable: true,
      help: `a tolerance: SPEC is exact, N% (of the model's figure), N (absolute) or N%+M; CLASS one of ${TOLERANCE_CLASSES.join(', ')} (all but race when left out)`,
      default: 'connections=exact states=2%+2 peaks=2%+2 counters=2%+2 ports=exact race=5%',
    },
    { name: 'json', help: 'print { agree, rows, notes, model, lab } as one JSON document', default: 'off: a table for people' },
    { name: 'html', value: 'FILE', help: 'also write a self-contained HTML report to FILE.html with the model and the kernel side by side', default: 'none' },
    ...labCommand.flags.filter((f) => f.name === 'approximate' || f.name === 'duration' || f.name === 'set'),
  ],
  examples: [
    ['sudo twlab compare small-range-burst', 'model and kernel on the 100-port burst: 100 connect, 50 EADDRNOTAVAIL on both'],
    ['sudo twlab compare close-wait-leak --tolerance states=5%+3', 'the CLOSE_WAIT leak with a looser tolerance on states'],
    ['sudo twlab compare my.yaml --tolerance race=0 --json', 'no race allowance, as JSON for a CI check'],
  ],
  load: async () => (await import('./compare-run.js')).runCompare,
};
