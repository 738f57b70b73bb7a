// `twlab advise`, the work: inspect the host (or the --from dump) and print the findings
// and advice alone.

import { renderAdvised } from '../../inspect/render.js';
import type { Args } from '../args.js';
import { ok, type Context, type Output } from '../command.js';
import { adviseOptions, inspectFromArgs, isOutput } from './inspect-run.js';

export async function runAdvise(args: Args, context: Context): Promise<Output> {
  const r = await inspectFromArgs(args, 'advise', adviseOptions(args, 'advise'));
  if (isOutput(r)) return r;
  const ins = r.analysis.inspection;
  const { advised } = r;
  if (args.switches.has('json')) {
    const doc = {
      twlab_advise: 1,
      role: advised.role,
      role_inferred: advised.roleInferred,
      source: ins.source,
      kernel: ins.kernel,
      findings: advised.findings,
      advice: advised.advice,
      notes: ins.notes,
    };
    return ok(JSON.stringify(doc, null, 2) + '\n');
  }
  return ok(renderAdvised(ins, advised, { color: context.color }));
}
