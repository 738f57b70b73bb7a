// inspect's entry points: look at the live host or read a dump, analyse, advise. The
// commands (src/cli/commands/inspect.ts, advise.ts) and the exporter call these.

import { readFileSync } from 'node:fs';
import { advise, type AdviseOptions, type Advised } from './advice.js';
import { analyze, type Analysis } from './analyze.js';
import { DumpFormatError, parseDump } from './dump.js';
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

/** A dump's text -> an observation (no counters, sysctls or memory figures: only sockets). */
export function observeDump(text: string, path: string, takenAtMs: number): Observation {
  const parsed = parseDump(text, path);
  const notes: string[] = [];
  if (!parsed.hasOwners) notes.push('the dump names no processes: save it with ss -tanp (as root) to see who holds CLOSE_WAIT');
  notes.push('a dump has no counters, sysctls or slab sizes: rates, overflow counts and the real timewait size are not known');
  return {
    origin: { kind: 'file', path, format: parsed.format },
    takenAtMs,
    sockets: parsed.sockets,
    socketSource: `${path} (${parsed.format})`,
    skipped: parsed.skipped,
    skippedExamples: parsed.examples,
    ownersSeen: parsed.hasOwners,
    ownersMissing: 0,
    notes,
  };
}

/** Reads and inspects a dump file. Throws DumpFormatError for an unreadable or unknown file. */
export function inspectDumpFile(path: string, takenAtMs: number, options: AdviseOptions = {}): Inspected {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DumpFormatError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  return inspectObservation(observeDump(text, path, takenAtMs), options);
}
