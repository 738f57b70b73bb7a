// `twlab compare SCENARIO`: the model and the real kernel on the same scenario, side by side,
// each figure judged against a tolerance; exit 1 when one is beyond it.

import { writeFileSync } from 'node:fs';
import { renderHtml } from '../../report/html.js';
import { packageVersion } from '../cli.js';
import { compareResults, parseTolerances, renderComparison, ToleranceError, TOLERANCE_CLASSES, type Tolerances } from '../../lab/compare.js';
import { simulate } from '../../sim/run.js';
import { SEC } from '../../scenario/units.js';
import { UsageError, type Args } from '../args.js';
import { EXIT, type Command, type Context, type Output } from '../command.js';
import { labCommand, labRun, labScenario } from './lab.js';

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
    { name: 'html', value: 'FILE', help: 'also write a self-contained HTML report with the model and the kernel side by side', default: 'none' },
    ...labCommand.flags.filter((f) => f.name === 'approximate' || f.name === 'duration' || f.name === 'set'),
  ],
  examples: [
    ['sudo twlab compare small-range-burst', 'model and kernel on the 100-port burst: 100 connect, 50 EADDRNOTAVAIL on both'],
    ['sudo twlab compare close-wait-leak --tolerance states=5%+3', 'the CLOSE_WAIT leak with a looser tolerance on states'],
    ['sudo twlab compare my.yaml --tolerance race=0 --json', 'no race allowance, as JSON for a CI check'],
  ],
  run: runCompare,
};

async function runCompare(args: Args, context: Context): Promise<Output> {
  let tolerances: Tolerances;
  try {
    tolerances = parseTolerances(args.values.get('tolerance') ?? []);
  } catch (e) {
    if (e instanceof ToleranceError) throw new UsageError(e.message, 'compare');
    throw e;
  }
  const scenario = labScenario(args, 'compare');
  const { progress } = context;
  let model;
  try {
    model = simulate(scenario, progress ? { onProgress: (done, total) => progress.update(`simulating ${scenario.name}: ${(done / SEC).toFixed(1)} s of ${total / SEC} s`) } : {});
  } finally {
    progress?.done();
  }
  const lab = await labRun(scenario, args.switches.has('approximate'), context);
  if ('code' in lab) return lab;
  const comparison = compareResults(model, lab, scenario, tolerances);
  const code = comparison.agree ? EXIT.ok : EXIT.failure;
  let wrote = '';
  const html = args.values.get('html')?.at(-1);
  if (html !== undefined) {
    const text = renderHtml({ model, kernel: lab }, { scenario, version: packageVersion() });
    try {
      writeFileSync(html, text);
    } catch (e) {
      return { code: EXIT.failure, stdout: '', stderr: `twlab: cannot write ${html}: ${(e as Error).message}\n` };
    }
    wrote = `twlab: wrote ${html} (${Math.round(Buffer.byteLength(text) / 1024)} KiB)\n`;
  }
  if (args.switches.has('json')) {
    const doc = { format: 'twlab-compare/1', scenario: scenario.name, agree: comparison.agree, rows: comparison.rows, notes: comparison.notes, model, lab };
    return { code, stdout: JSON.stringify(doc, null, 2) + '\n', stderr: wrote };
  }
  const notes = lab.lab.notes.map((n) => `Lab: ${n}`).join('\n');
  return { code, stdout: renderComparison(comparison, { color: context.color }) + (notes ? `\n${notes}\n` : ''), stderr: wrote };
}
