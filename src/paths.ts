// Where the package lives on disk: the folder holding package.json, found from this module
// (dist/src/paths.js in a build, the same in an installed package).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above twlab');
    dir = up;
  }
  return dir;
}
