// Runs the built twlab binary as a user would: a child process, its exit code and output.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding package.json: this file runs from dist/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

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
