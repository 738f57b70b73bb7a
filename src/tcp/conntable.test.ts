import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../engine/rng.js';
import { ConnTable } from './conntable.js';

describe('ConnTable (the established hash)', () => {
  it('agrees with a Map through random inserts, replacements and deletes, across growth', () => {
    const rng = new Rng(11);
    const t = new ConnTable<{ id: number }>(16);
    const model = new Map<string, { id: number }>();
    // Few addresses and ports, so runs collide and backward-shift deletion is exercised.
    const addrs = [0xc6120001, 0xc6120002, 0x0a000001, 0xffffffff];
    for (let step = 0; step < 40_000; step++) {
      const a = addrs[rng.below(addrs.length)]!;
      const rport = rng.below(4) === 0 ? 80 : 1024 + rng.below(200);
      const lport = 1024 + rng.below(300);
      const key = `${a}:${rport}:${lport}`;
      const op = rng.below(3);
      if (op === 0) {
        const v = { id: step };
        t.set(a, rport, lport, v);
        model.set(key, v);
      } else if (op === 1) {
        const held = model.get(key);
        // Deleting with the wrong value leaves the entry (a newer socket owns the 4-tuple).
        assert.equal(t.delete(a, rport, lport, { id: -1 }), false);
        assert.equal(t.delete(a, rport, lport, held ?? { id: -2 }), held !== undefined);
        model.delete(key);
      }
      assert.equal(t.get(a, rport, lport), model.get(key));
      assert.equal(t.size, model.size);
    }
    assert.deepEqual(new Set(t.values()), new Set(model.values()));
    for (const [key, v] of model) {
      const [a, rport, lport] = key.split(':').map(Number) as [number, number, number];
      assert.equal(t.get(a, rport, lport), v);
    }
  });

  it('lists the local ports connected to one remote endpoint', () => {
    const t = new ConnTable<object>();
    t.set(0xc6120002, 80, 40000, {});
    t.set(0xc6120002, 80, 40001, {});
    t.set(0xc6120002, 81, 40002, {});
    t.set(0xc6120003, 80, 40003, {});
    assert.deepEqual([...t.localPorts(0xc6120002, 80)].sort(), [40000, 40001]);
  });
});
