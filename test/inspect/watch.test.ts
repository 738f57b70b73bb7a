// inspect --watch on a terminal: each refresh fits the screen, with the rates at the top;
// the sysctls and the advice, which do not move, are left to inspect and advise.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inspectDumpFile } from '../../src/inspect/dump.js';
import { renderInspection, renderWatch } from '../../src/inspect/render.js';
import { visibleLength } from '../../src/report/format.js';
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
    const text = renderWatch(ins, { rates: RATES, screen: { rows: 20, columns: 200 }, footer: '(footer)\n' });
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 19);
    assert.match(lines[17] ?? '', /^\.\.\. \d+ more lines: a taller terminal, or a smaller --top, shows them$/);
    assert.match(text, /^Rates over/m);
  });

  it('cut to the terminal width: a long line would wrap onto the rows the rates need', () => {
    const wide = renderWatch(ins, { rates: RATES, screen: { rows: 100, columns: 200 }, footer: '(footer)\n' });
    assert.ok(wide.split('\n').some((l) => l.length > 60), 'some lines are wider than 60');
    const text = renderWatch(ins, { rates: RATES, screen: { rows: 100, columns: 60 }, footer: '(footer)\n' });
    const lines = text.trimEnd().split('\n');
    const afterRates = (t: string): number => t.slice(t.indexOf('Sockets by state')).split('\n').length;
    assert.equal(afterRates(text), afterRates(wide), 'no line is dropped for its width');
    assert.ok(lines.every((l) => l.length <= 60), lines.find((l) => l.length > 60));
    assert.ok(lines.some((l) => l.length === 60 && l.endsWith('~')), 'a cut line ends in ~');
    // The rates, what --watch is for, are wrapped to the width rather than cut.
    const rates = text.slice(text.indexOf('Rates over'), text.indexOf('\n\n', text.indexOf('Rates over')));
    assert.ok(!rates.includes('~'), rates);
    assert.match(rates.replace(/\n\s*/g, ' '), /connect 151\/s, accept 0\.0\/s, TIME_WAIT reused 0\.0\/s, skipped \(overflow\) 0\.0\/s$/);
    // Colour codes take no room: a styled line is cut by what shows, and its style reset.
    const coloured = renderWatch(ins, { rates: RATES, color: true, screen: { rows: 100, columns: 30 }, footer: '' });
    const title = coloured.split('\n')[0] ?? '';
    assert.equal(visibleLength(title), 30);
    assert.ok(title.endsWith('~\x1b[0m'), JSON.stringify(title));
  });

  it('end to end in a pseudo-terminal of 24 rows and 80 columns: every refresh fits the screen', { skip: spawnSync('script', ['--version']).status !== 0 ? 'no script(1)' : false }, () => {
    const r = spawnSync('script', ['-qfec', `stty rows 24 cols 80; '${process.execPath}' '${MAIN}' inspect --watch 0.2 --count 2`, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const refreshes = r.stdout.split('\x1b[H\x1b[2J').slice(1);
    assert.equal(refreshes.length, 2);
    for (const screen of refreshes) {
      const lines = screen.replace(/\r/g, '').trimEnd().split('\n');
      // Rows on screen: a line wider than the terminal would take more than one.
      const rows = lines.reduce((sum, l) => sum + Math.max(1, Math.ceil(visibleLength(l) / 80)), 0);
      assert.ok(rows <= 23, `${rows} rows:\n${screen}`);
    }
    assert.match(refreshes[1] ?? '', /Rates over the last 0\.\d+ s/);
  });
});
