// Runs the built twlab binary as a user would: a child process, its exit code and output.

import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { repoRoot } from '../src/paths.js';
import { repoRoot } from '../src/paths.js';

export const MAIN = join(repoRoot(), 'dist/src/cli/main.js');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `twlab ARGS` with colour off and no debug stack, from a neutral directory. */
export function twlab(...args: string[]): Ran {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['TWLAB_DEBUG'];
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env, cwd: tmpdir(), timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
