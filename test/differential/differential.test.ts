// The differential suite: every scenario in test/differential/ runs on the model and on
// this machine's kernel (`twlab compare`), and must agree within the default tolerances.
// Root only; skipped with the reason otherwise. A disagreement fails with the table.
// A scenario whose kernel figures vary from run to run says so in a leading comment
// `# compare: FLAGS` (e.g. wider --tolerance for one class), followed by why.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../cli-helpers.js';
import { labSkipReason, twlabLong } from '../lab/lab-helpers.js';

const DIR = join(repoRoot(), 'test/differential');

const skip = labSkipReason();

/** The flags of a `# compare: ...` line at the top of the file. */
function flagsOf(file: string): string[] {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('# compare:'));
  return line === undefined ? [] : line.slice('# compare:'.length).trim().split(/\s+/);
}

function compare(file: string): void {
  const r = twlabLong(['compare', file, ...flagsOf(file)]);
  assert.equal(r.stderr.replace(/^Lab: .*\n/gm, ''), '', 'no error');
  assert.equal(r.code, 0, `model and kernel disagree on ${file}:\n${r.stdout}`);
  assert.match(r.stdout, /^Agree: all \d+ judged figures are within tolerance\.$/m);
}

describe('differential: model vs kernel (twlab compare)', { skip }, () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  it('has at least ten scenarios', () => assert.ok(files.length >= 10, files.join(', ')));
  for (const f of files) it(f.replace(/\.yaml$/, ''), () => compare(join(DIR, f)));
});
