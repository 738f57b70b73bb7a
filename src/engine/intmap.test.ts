import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntMap } from './intmap.js';
import { Rng } from './rng.js';

describe('IntMap', () => {
  it('agrees with a Map over random sets, gets and deletes (small key range: long probe runs, growth, backward shift)', () => {
    for (const [seed, range] of [[1, 50], [2, 5000], [3, 2 ** 40]] as const) {
      const rng = new Rng(seed);
      const m = new IntMap<number>(4);
      const ref = new Map<number, number>();
      for (let op = 0; op < 20000; op++) {
        const key = range > 2 ** 31 ? rng.below(1000) * 4294967296 + rng.below(4) * 4000 : rng.below(range);
        const r = rng.below(10);
        if (r < 5) {
          m.set(key, op);
          ref.set(key, op);
        } else if (r < 8) {
          assert.equal(m.delete(key), ref.delete(key), `delete ${key} at op ${op}`);
        } else {
          assert.equal(m.get(key), ref.get(key), `get ${key} at op ${op}`);
          assert.equal(m.has(key), ref.has(key));
        }
        assert.equal(m.size, ref.size);
      }
      for (const [k, v] of ref) assert.equal(m.get(k), v);
    }
  });

  it('keeps 0 as a value, and tells an absent key from it', () => {
    const m = new IntMap<number>();
    m.set(7, 0);
    assert.equal(m.get(7), 0);
    assert.equal(m.has(7), true);
    assert.equal(m.get(8), undefined);
    assert.equal(m.has(8), false);
  });
});
