import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OverrideError } from '../scenario/overrides.js';
import { grid, parseAxis, runSweep } from './sweep.js';

describe('sweep grid', () => {
  it('--vary KEY=V1,V2: the values in order', () => {
    assert.deepEqual(parseAxis('client.sysctl.net.ipv4.ip_local_port_range=50000 50099,40000 40099'), {
      key: 'client.sysctl.net.ipv4.ip_local_port_range',
      values: ['50000 50099', '40000 40099'],
    });
  });

  it('empty and repeated values are refused', () => {
    assert.throws(() => parseAxis('seed=1,,2'), (e) => e instanceof OverrideError && /^--vary seed=1,,2: has an empty value/.test(e.message));
    assert.throws(() => parseAxis('seed=1,2,1'), /gives 1 twice/);
    assert.throws(() => parseAxis('seed'), /has no "=VALUE"/);
  });

  it('the cartesian product, the first axis slowest, with a setting per axis', () => {
    const variants = grid([parseAxis('a.sysctl.x=0,1'), parseAxis('seed=1,2')]);
    assert.deepEqual(variants.map((v) => v.vary), [
      { 'a.sysctl.x': '0', seed: '1' },
      { 'a.sysctl.x': '0', seed: '2' },
      { 'a.sysctl.x': '1', seed: '1' },
      { 'a.sysctl.x': '1', seed: '2' },
    ]);
    assert.deepEqual(variants[3]?.settings.map((s) => s.label), ['--vary a.sysctl.x=1', '--vary seed=2']);
  });
});

describe('runSweep: variants on worker threads', () => {
  const variants = grid([parseAxis('client.sysctl.net.ipv4.tcp_tw_reuse=0,1'), parseAxis('seed=1,2')]).map((v) => v.settings);

  it('one result per variant, in grid order, whatever the number of workers', async () => {
    const done: number[] = [];
    const parallel = await runSweep('small-range-burst', variants, { jobs: 3, onDone: (n) => done.push(n) });
    assert.deepEqual(parallel.map((r) => r.seed), [1, 2, 1, 2]);
    assert.deepEqual(done, [1, 2, 3, 4]);
    const serial = await runSweep('small-range-burst', variants, { jobs: 1 });
    assert.deepEqual(serial, parallel);
  });

  it('a failing variant rejects with its number', async () => {
    await assert.rejects(runSweep('small-range-burst', [[{ key: 'seed', value: 'x', label: '--vary seed=x' }]], { jobs: 1 }), /^Error: variant 1 of 1: --vary seed=x: "x" is not an integer/);
  });
});
