// The SCENARIO operand of simulate and sweep: a file or a built-in name, with command-line
// changes (--seed, --duration, --set, --vary) applied through scenario/overrides.ts.

import { statSync } from 'node:fs';
import { builtinNames, isBuiltin, loadBuiltin } from '../scenario/builtin.js';
import { ScenarioError } from '../scenario/errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import { applySettings, checkOnce, OverrideError, parseSetting, type Setting } from '../scenario/overrides.js';
import type { Scenario } from '../scenario/types.js';
import { closest } from '../scenario/units.js';
import { UsageError } from './args.js';

/**
 * A path to a file, else a built-in name. An existing path that is not a regular file (a
 * directory, say) is still read as a file unless it is also a built-in name, so that the
 * loader says what is wrong with it.
 */
export function resolveScenario(target: string): Scenario {
  const kind = pathKind(target);
  if (kind === 'file') return loadScenarioFile(target);
  if (isBuiltin(target)) return loadBuiltin(target);
  if (kind === 'other') return loadScenarioFile(target);
  const names = builtinNames();
  const guess = closest(target, names);
  throw new ScenarioError(
    target,
    undefined,
    '(scenario)',
    `no such file, and no built-in scenario of that name${guess ? ` (did you mean ${guess}?)` : ''}`,
    `a scenario file, or a built-in name: ${names.join(', ')} (twlab scenarios describes them)`,
  );
}

function pathKind(path: string): 'file' | 'other' | 'missing' {
  try {
    return statSync(path).isFile() ? 'file' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'other';
  }
}

/** `--set KEY=VALUE` values -> Settings; a malformed one is a usage error of `command`. */
export function settingsOf(flag: string, texts: readonly string[], command: string): Setting[] {
  return usage(() => texts.map((text) => parseSetting(flag, text)), command);
}

/** The settings, refused (usage error of `command`) when two of them change one key. */
export function onceEach(settings: Setting[], command: string): Setting[] {
  usage(() => checkOnce(settings), command);
  return settings;
}

/**
 * The scenario with the settings applied; a setting it cannot take is a usage error of
 * `command`. What a setting changed besides its key is added to `notes`.
 */
export function withSettings(scenario: Scenario, settings: readonly Setting[], command: string, notes: string[] = []): Scenario {
  return usage(() => applySettings(scenario, settings, notes), command);
}

function usage<T>(fn: () => T, command: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OverrideError) throw new UsageError(e.message, command);
    throw e;
  }
}
