// `twlab simulate [SCENARIO]`, the work: resolve the scenario, apply the changes, run the
// model, print the report or JSON, write the HTML report and ladders.

import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { bytes } from '../../report/format.js';
import { renderHtml } from '../../report/html.js';
import { chooseLadders, NO_LADDER, NO_TRACED_LADDER, tracedLadders, type ChosenLadder } from '../../report/ladder.js';
import { laddersSvgFile } from '../../report/ladder-svg.js';
import { renderLaddersText } from '../../report/ladder-text.js';
import { renderText } from '../../report/text.js';
import { DEFAULT_SCENARIO } from '../../scenario/facts.js';
import { runSettings } from '../../scenario/overrides.js';
import type { Scenario } from '../../scenario/types.js';
import { SEC } from '../../scenario/units.js';
import { run, type Run } from '../../sim/run.js';
import { parseTraceMatch, TraceSpecError, type TraceMatch, type TraceSpec } from '../../sim/trace.js';
import { packageVersion } from '../cli.js';
import { htmlFile, UsageError, valueOf, type Args } from '../args.js';
import { EXIT, type Context, type Output } from '../command.js';
import { onceEach, resolveScenario, settingsOf, withSettings } from '../scenario-arg.js';
import { tuneV8ForSimulation } from '../v8-tuning.js';

export function runSimulate(args: Args, context: Context): Output {
  tuneV8ForSimulation();
  if (args.positionals.length > 1) {
    throw new UsageError(`simulate takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, 'simulate');
  }
  const html = htmlFile(args, 'simulate');
  const ladder = valueOf(args, 'ladder');
  const traces = args.values.get('trace') ?? [];
  if (traces.length > 0 && html === undefined && ladder === undefined) {
    throw new UsageError('--trace chooses the connections that --html and --ladder draw; add --html FILE or --ladder FILE|-', 'simulate');
  }
  if (ladder !== undefined) ladderFormat(ladder);
  if (ladder === '-' && args.switches.has('json')) {
    throw new UsageError('--ladder - and --json would both print on stdout; write the ladder to a file instead: --ladder FILE.svg or FILE.txt', 'simulate');
  }
  const settings = onceEach([...runSettings(valueOf(args, 'seed'), valueOf(args, 'duration')), ...settingsOf('--set', args.values.get('set') ?? [], 'simulate')], 'simulate');
  const settingNotes: string[] = [];
  const scenario = withSettings(resolveScenario(args.positionals[0] ?? DEFAULT_SCENARIO), settings, 'simulate', settingNotes);
  const match = traces.map((t) => traceMatch(t, scenario));
  // Ladders cost memory and time: recorded only when something will draw them.
  const trace: TraceSpec | undefined = html !== undefined || ladder !== undefined ? (match.length > 0 ? { first: 0, troubled: 0, match } : {}) : undefined;

  const { progress } = context;
  const name = scenario.name;
  let done: Run;
  try {
    done = run(scenario, {
      ...(progress ? { onProgress: (d, total) => progress.update(`simulating ${name}: ${(d / SEC).toFixed(1)} s of ${total / SEC} s`) } : {}),
      ...(trace !== undefined ? { trace } : {}),
    });
  } finally {
    progress?.done();
  }
  const result = done.result;
  const changed = settings.filter((s) => s.key !== 'seed').map((s) => `${s.key}=${s.value}`);
  const chosen = match.length > 0 ? tracedLadders(done.ladders) : chooseLadders(done.ladders);
  const notes = settingNotes.map((note) => `twlab: ${note}\n`);
  const matched = done.ladders.filter((l) => l.traced).length;
  if (match.length > 0 && matched === 0) notes.push(`twlab: --trace ${traces.join(' ')} matched no connection in this run\n`);
  if (matched > chosen.length) notes.push(`twlab: --trace matched ${matched} connections; drawing the first ${chosen.length} (give a port to narrow it)\n`);

  const none = match.length > 0 ? NO_TRACED_LADDER : NO_LADDER;
  const files: [string, string][] = [];
  if (html !== undefined) {
    const traced = { ...(done.opens !== undefined ? { opens: done.opens } : {}), unrecorded: done.unrecorded ?? [] };
    files.push([html, renderHtml({ model: result }, { scenario, changed, ladders: chosen, noLadder: none, ...traced, version: packageVersion() })]);
  }
  if (ladder !== undefined && ladder !== '-') {
    files.push([ladder, ladderFormat(ladder) === 'text' ? renderLaddersText(chosen, { none }, done.unrecorded) : laddersSvgFile(chosen, ladderHeading(scenario, chosen), none)]);
  }
  for (const [path, text] of files) {
    try {
      writeFileSync(path, text);
    } catch (e) {
      return { code: EXIT.failure, stdout: '', stderr: `${notes.join('')}twlab: cannot write ${path}: ${(e as Error).message}\n` };
    }
    notes.push(`twlab: wrote ${path} (${bytes(Buffer.byteLength(text))})\n`);
  }

  let stdout: string;
  if (ladder === '-') stdout = renderLaddersText(chosen, { color: context.color, none }, done.unrecorded);
  else if (args.switches.has('json')) stdout = JSON.stringify(result, null, 2) + '\n';
  else stdout = renderText(result, { color: context.color, scenario, changed });
  return { code: EXIT.ok, stdout, stderr: notes.join('') };
}

/** --ladder FILE.svg, FILE.txt or -: the extension says the format, and nothing else is written. */
function ladderFormat(ladder: string): 'svg' | 'text' {
  const ext = extname(ladder).toLowerCase();
  if (ladder === '-' || ext === '.txt') return 'text';
  if (ext === '.svg') return 'svg';
  const problem = ext === '' ? 'has no .svg or .txt extension' : `${JSON.stringify(ext)} is not a ladder format`;
  throw new UsageError(`--ladder ${ladder}: ${problem}; allowed: FILE.svg (SVG), FILE.txt (text) or - (text on stdout)`, 'simulate');
}

function traceMatch(text: string, scenario: Scenario): TraceMatch {
  try {
    return parseTraceMatch(text, scenario);
  } catch (e) {
    if (e instanceof TraceSpecError) throw new UsageError(`--trace ${e.message}`, 'simulate');
    throw e;
  }
}

function ladderHeading(scenario: Scenario, chosen: readonly ChosenLadder[]): string {
  return `twlab simulate ${scenario.name}, seed ${scenario.seed}: ${chosen.length === 1 ? '1 packet ladder' : `${chosen.length} packet ladders`}`;
}
