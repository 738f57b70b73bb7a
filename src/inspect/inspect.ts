// inspect's entry points: look at the live host, analyse, advise. The commands
// (src/cli/commands/inspect-run.ts, advise-run.ts) and the exporter call these; a saved
// dump comes in through dump.ts (inspectDumpFile), loaded only for --from.

import { advise, type AdviseOptions, type Advised } from './advice.js';
import { analyze, type Analysis } from './analyze.js';
import { readHost, type ReadHostOptions } from './host.js';
import type { Observation } from './observation.js';

export interface Inspected {
  analysis: Analysis;
  advised: Advised;
}

/** Analysis with its findings and advice filled in. */
export function inspectObservation(obs: Observation, options: AdviseOptions = {}): Inspected {
  const analysis = analyze(obs);
  const advised = advise(analysis, options);
  analysis.inspection.findings = advised.findings;
  analysis.inspection.advice = advised.advice;
  return { analysis, advised };
}

export function inspectHost(read: ReadHostOptions, options: AdviseOptions = {}): Inspected {
  return inspectObservation(readHost(read), options);
}
