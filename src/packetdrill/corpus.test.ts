// The corpus: every script in test/packetdrill/ runs against the model and must pass. Each one
// was also run against a real Linux 6.18 kernel with packetdrill (docs/fidelity.md, "packetdrill
// corpus"), so together they hold the model to what the kernel does at teardown, in its ACK
// policy and in the RTT a handshake leaves.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from './runner.js';
import { repoRoot } from '../paths.js';

const DIR = join(repoRoot(), 'test/packetdrill');

describe('packetdrill corpus (test/packetdrill) against the model', () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.pkt'))
    .sort();

  it('has at least 30 scripts, each saying what it checks', () => {
    assert.ok(files.length >= 30, `${files.length} scripts`);
    for (const f of files) assert.match(readFileSync(join(DIR, f), 'utf8'), /^\/\/ /, `${f} starts with a comment`);
  });

  for (const f of files) {
    it(f.replace(/\.pkt$/, ''), () => {
      const path = join(DIR, f);
      const r = runScript(readFileSync(path, 'utf8'), { path: f, dir: DIR, readFile: (p) => readFileSync(p, 'utf8') });
      assert.equal(r.error, null);
      assert.deepEqual(r.notes, []);
    });
  }
});
