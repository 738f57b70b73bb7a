// `twlab simulate` end to end: these need the simulation runner (src/sim/run.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { twlab } from './cli-helpers.js';

describe('twlab simulate', () => {
  it('small-range-burst --json: one result document, format twlab-result/1', () => {
    const r = twlab('simulate', 'small-range-burst', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const result = JSON.parse(r.stdout) as { format: string; scenario: string; seed: number };
    assert.equal(result.format, 'twlab-result/1');
    assert.equal(result.scenario, 'small-range-burst');
    assert.equal(result.seed, 7);
  });

  it('the same command twice: byte-identical stdout', () => {
    const first = twlab('simulate', 'small-range-burst', '--json');
    const second = twlab('simulate', 'small-range-burst', '--json');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.stdout, first.stdout);
  });

  it('--seed and --duration reach the result', () => {
    const r = twlab('simulate', 'small-range-burst', '--json', '--seed', '42', '--duration=1500ms');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { seed: number; simulated_seconds: number };
    assert.equal(result.seed, 42);
    assert.equal(result.simulated_seconds, 1.5);
  });

  it('a --duration before the last snapshot drops it with a note; the run is the file\'s otherwise', () => {
    const r = twlab('simulate', 'close-wait-leak', '--duration', '2s', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'twlab: --duration: dropped the snapshot at 7s, after the end of the run (2s)\n');
    const result = JSON.parse(r.stdout) as { simulated_seconds: number; snapshots: { t: number }[] };
    assert.equal(result.simulated_seconds, 2);
    assert.deepEqual(result.snapshots.map((s) => s.t), [1]);
  });

  it('the report: header, client line, no colour and no progress off a terminal', () => {
    const r = twlab('simulate', 'small-range-burst');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Scenario small-range-burst: 2 s simulated on the linux-6.18 model, seed 7$/m);
    assert.match(r.stdout, /^Client client → 198\.18\.0\.2:9000$/m);
    assert.ok(!r.stdout.includes('\x1b['), 'no ANSI escape');
    assert.equal(r.stderr, '');
  });
});
