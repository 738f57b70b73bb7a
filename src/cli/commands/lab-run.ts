// `twlab lab SCENARIO`, the work: the scenario in namespaces on this kernel, or --cleanup.

import { renderText } from '../../report/text.js';
import { runSettings } from '../../scenario/overrides.js';
import type { Scenario } from '../../scenario/types.js';
import { AgentError } from '../../lab/agents.js';
import { cleanupStale, LabSetupError } from '../../lab/netns.js';
import { LabRefusal } from '../../lab/plan.js';
import { LabInterrupted, runLab, type LabResult } from '../../lab/run.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { EXIT, ok, type Context, type Output } from '../command.js';
import { resolveScenario, settingsOf, withSettings } from '../scenario-arg.js';

export async function runLabCommand(args: Args, context: Context): Promise<Output> {
  if (args.switches.has('cleanup')) {
    if (args.positionals.length > 0) throw new UsageError('--cleanup takes no scenario', 'lab');
    return cleanup();
  }
  const scenario = labScenario(args, 'lab');
  const outcome = await labRun(scenario, args.switches.has('approximate'), context);
  if ('code' in outcome) return outcome;
  if (args.switches.has('json')) return ok(JSON.stringify(outcome, null, 2) + '\n');
  return ok(renderText(outcome, { color: context.color, scenario }) + labNotes(outcome));
}

/** The SCENARIO operand with --duration and --set applied (shared with compare). */
export function labScenario(args: Args, command: string): Scenario {
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw new UsageError(`${command} needs a scenario: twlab ${command} SCENARIO (twlab scenarios lists the built-ins)`, command);
  if (extra.length > 0) throw new UsageError(`${command} takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, command);
  const settings = [...runSettings(undefined, valueOf(args, 'duration')), ...settingsOf('--set', args.values.get('set') ?? [], command)];
  return withSettings(resolveScenario(target), settings, command);
}

/**
 * Runs lab with a progress line; what can go wrong on this machine becomes an Output that
 * says what to do. A refusal is a usage error (change the scenario or add --approximate).
 */
export async function labRun(scenario: Scenario, approximate: boolean, context: Context): Promise<LabResult | Output> {
  const { progress } = context;
  try {
    return await runLab(scenario, { approximate, ...(progress ? { onProgress: (t: string) => progress.update(t) } : {}) });
  } catch (e) {
    if (e instanceof LabRefusal) return { code: EXIT.usage, stdout: '', stderr: `twlab: ${e.message}\n` };
    if (e instanceof LabSetupError || e instanceof AgentError || e instanceof LabInterrupted) {
      return { code: EXIT.failure, stdout: '', stderr: `twlab lab: ${e.message}\n` };
    }
    throw e;
  } finally {
    progress?.done();
  }
}

function cleanup(): Output {
  let report;
  try {
    report = cleanupStale();
  } catch (e) {
    return { code: EXIT.failure, stdout: '', stderr: `twlab lab --cleanup: ${(e as Error).message}\n` };
  }
  const lines = [
    report.removed.length === 0 ? 'No leftover twlab namespaces.' : `Removed ${report.removed.length} namespaces: ${report.removed.join(', ')}`,
    ...(report.inUse.length > 0 ? [`Left alone (their run is still going): ${report.inUse.join(', ')}`] : []),
  ];
  if (report.failed.length > 0) {
    return { code: EXIT.failure, stdout: lines.join('\n') + '\n', stderr: `twlab lab --cleanup: could not remove ${report.failed.join(', ')} (are you root?)\n` };
  }
  return ok(lines.join('\n') + '\n');
}

function labNotes(r: LabResult): string {
  const items = [...r.lab.notes, `${r.lab.peak_samples} looks at the sockets, at most ${r.lab.peak_max_gap_s} s apart.`];
  return ['', 'Lab notes:', ...items.flatMap((n) => wrap(n, NOTE_WIDTH).map((line, i) => (i === 0 ? `  - ${line}` : `    ${line}`)))].join('\n') + '\n';
}

/** Notes are wrapped to this width, as the report's sentences are. */
const NOTE_WIDTH = 96;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
