// The built-in scenarios: the YAML files in the package's `scenarios/` folder, named by
// their file name without `.yaml`. The folder sits at the package root, beside `dist/`,
// both in a clone of the repository and in an installed package (package.json "files").

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from './load.js';
import type { Scenario } from './types.js';

/** This module runs from dist/src/scenario/; three levels up is the package root. */
export const BUILTIN_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

const EXTENSION = '.yaml';

/** Names of the built-in scenarios, sorted. */
export function builtinNames(): string[] {
  let files: string[];
  try {
    files = readdirSync(BUILTIN_DIR);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith(EXTENSION))
    .map((f) => f.slice(0, -EXTENSION.length))
    .sort();
}

export function isBuiltin(name: string): boolean {
  return builtinNames().includes(name);
}

/**
 * Parses a built-in scenario; its source (in messages and `Scenario.source`) is
 * `builtin:NAME`. The caller checks the name with isBuiltin first.
 */
export function loadBuiltin(name: string): Scenario {
  const text = readFileSync(join(BUILTIN_DIR, name + EXTENSION), 'utf8');
  return parseScenario(text, `builtin:${name}`);
}
