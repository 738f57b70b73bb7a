// inspect --watch on a terminal: each refresh fits the screen, with the rates at the top;
// the sysctls and the advice, which do not move, are left to inspect and advise.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inspectDumpFile } from '../../src/inspect/dump.js';
import { renderInspection, renderWatch } from '../../src/inspect/render.js';
import { MAIN, repoRoot } from '../cli-helpers.js';

const FIXTURES = join(repoRoot(), 'test/fixtures/inspect');
const RATES = { interval_s: 2, new_time_wait_per_s: 150, active_opens_per_s: 151, passive_opens_per_s: 0, tw_recycled_per_s: 0, tw_overflow_per_s: 0 };

describe('inspect --watch on a terminal', () => {
  const ins = inspectDumpFile(join(FIXTURES, 'ss-tanp.txt'), 0).analysis.inspection;

  it('a refresh: rates second, one line per finding, no sysctls or advice', () => {
    const text = renderWatch(ins, { rates: RATES, footer: '(footer)\n' });
    const blocks = text.split('\n\n');
    assert.match(blocks[1] ?? '', /^Rates over the last 2\.0 s: new TIME_WAIT 150\/s/);
    assert.doesNotMatch(text, /^Sysctls|^Advice/m);
    const findings = text.slice(text.indexOf('\nFindings\n')).split('\n').filter((l) => l.startsWith('  ['));
    assert.equal(findings.length, ins.findings.length);
    assert.ok(text.endsWith('(footer)\n'));
    // The full report is much longer: that is what scrolled the rates off the screen.
    assert.ok(renderInspection(ins).split('\n').length > 2 * text.split('\n').length);
  });

  it('cut to the terminal height, saying how much was left out', () => {
    const text = renderWatch(ins, { rates: RATES, rows: 20, footer: '(footer)\n' });
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 19);
    assert.match(lines[17] ?? '', /^\.\.\. \d+ more lines: a taller terminal, or a smaller --top, shows them$/);
    assert.match(text, /^Rates over/m);
  });

  it('end to end in a pseudo-terminal of 24 rows: every refresh fits', { skip: spawnSync('script', ['--version']).status !== 0 ? 'no script(1)' : false }, () => {
    const r = spawnSync('script', ['-qfec', `stty rows 24 cols 100; '${process.execPath}' '${MAIN}' inspect --watch 0.2 --count 2`, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const refreshes = r.stdout.split('\x1b[H\x1b[2J').slice(1);
    assert.equal(refreshes.length, 2);
    for (const screen of refreshes) assert.ok(screen.trimEnd().split('\n').length <= 23, screen);
    assert.match(refreshes[1] ?? '', /Rates over the last 0\.\d+ s/);
  });
});
