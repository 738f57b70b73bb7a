import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../engine/rng.js';
import { Samples } from './apps.js';
import { percentiles } from './run.js';

/** The nearest-rank percentiles the result reports, by sorting: the definition. */
function bySorting(values: number[]): { p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const rank = (p: number): number => s[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: r3(rank(50)), p99: r3(rank(99)), max: r3(s[n - 1]!) };
}

describe('percentiles (nearest rank, by selection)', () => {
  it('equal what sorting gives: random, few distinct values, sorted, reversed, constant, tiny', () => {
    const rng = new Rng(5);
    const shapes: number[][] = [];
    for (const n of [1, 2, 3, 7, 100, 101, 1000, 5000]) {
      shapes.push(Array.from({ length: n }, () => rng.below(1_000_000) / 1000));
      shapes.push(Array.from({ length: n }, () => rng.below(3)));
      shapes.push(Array.from({ length: n }, (_, i) => i));
      shapes.push(Array.from({ length: n }, (_, i) => n - i));
      shapes.push(Array.from({ length: n }, () => 30));
    }
    for (const values of shapes) {
      const s = new Samples();
      for (const v of values) s.push(v);
      assert.deepEqual(percentiles(s), bySorting(values), `${values.length} values: ${values.slice(0, 8).join(', ')}...`);
    }
    assert.deepEqual(percentiles(new Samples()), { p50: 0, p99: 0, max: 0 });
  });
});
