// `twlab compare SCENARIO`, the work: simulate, run the lab, compare, print.

import { writeFileSync } from 'node:fs';
import { renderHtml } from '../../report/html.js';
import { packageVersion } from '../cli.js';
import { compareResults, parseTolerances, renderComparison, ToleranceError, type Tolerances } from '../../lab/compare.js';
import { simulate } from '../../sim/run.js';
import { SEC } from '../../scenario/units.js';
import { htmlFile, UsageError, type Args } from '../args.js';
import { EXIT, type Context, type Output } from '../command.js';
import { labRun, labScenario } from './lab-run.js';
import { tuneV8ForSimulation } from '../v8-tuning.js';

export async function runCompare(args: Args, context: Context): Promise<Output> {
  tuneV8ForSimulation();
  let tolerances: Tolerances;
  try {
    tolerances = parseTolerances(args.values.get('tolerance') ?? []);
  } catch (e) {
    if (e instanceof ToleranceError) throw new UsageError(e.message, 'compare');
    throw e;
  }
  const scenario = labScenario(args, 'compare');
  const html = htmlFile(args, 'compare');
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
