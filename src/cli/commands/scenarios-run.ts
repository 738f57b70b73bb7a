// `twlab scenarios`, the work: load each built-in scenario and print its line.

import { builtinNames, loadBuiltin } from '../../scenario/builtin.js';
import { formatDuration } from '../../scenario/units.js';
import { ok, type Output } from '../command.js';

export function runScenarios(): Output {
  const rows = builtinNames().map((name) => {
    const scenario = loadBuiltin(name);
    return { name, duration: formatDuration(scenario.duration), about: firstSentence(scenario.description ?? '') };
  });
  const nameWidth = Math.max(0, ...rows.map((r) => r.name.length));
  const durationWidth = Math.max(0, ...rows.map((r) => r.duration.length));
  const lines = rows.map((r) => `${r.name.padEnd(nameWidth)}  ${r.duration.padStart(durationWidth)}  ${r.about}`.trimEnd());
  return ok(lines.map((l) => l + '\n').join(''));
}

/** Up to the first `.`, `!` or `?` followed by a space or the end; whitespace collapsed. */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const m = /^.*?[.!?](?=\s|$)/.exec(flat);
  return m ? m[0] : flat;
}
