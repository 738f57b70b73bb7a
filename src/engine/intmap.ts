// A map from non-negative integer keys (simulated times, incarnation numbers) to values, for
// hot paths: a flat open-addressing table instead of a Map. A V8 Map pays a hash-table
// lookup through a builtin per access, and a Map whose keys come and go (a timer bucket
// per expiry time, a request per connection) is rebuilt every few thousand deletions.
// Linear probing, deletion by backward shift (no tombstones), at most half full. Iteration
// is not offered: nothing that uses it needs an order.

export class IntMap<V> {
  private keys: Float64Array;
  /** undefined marks an empty slot, so a value is never undefined. */
  private vals: (V | undefined)[];
  private mask: number;
  size = 0;

  constructor(capacity = 64) {
    let cap = 16;
    while (cap < 2 * capacity) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get(key: number): V | undefined {
    return this.vals[this.find(key)];
  }

  has(key: number): boolean {
    return this.vals[this.find(key)] !== undefined;
  }

  /** Insert or replace. */
  set(key: number, value: V): void {
    const i = this.find(key);
    const fresh = this.vals[i] === undefined;
    this.keys[i] = key;
    this.vals[i] = value;
    if (fresh && ++this.size * 2 > this.vals.length) this.grow();
  }

  /** Remove `key`; returns whether it was there. */
  delete(key: number): boolean {
    const i = this.find(key);
    if (this.vals[i] === undefined) return false;
    const mask = this.mask;
    const vals = this.vals;
    const keys = this.keys;
    // Backward shift: pull later entries of the run into the hole when their home slot
    // allows, so lookups never need tombstones.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = vals[j];
      if (v === undefined) break;
      const home = slotOf(keys[j]!) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        vals[hole] = v;
        keys[hole] = keys[j]!;
        hole = j;
      }
    }
    vals[hole] = undefined;
    this.size--;
    return true;
  }

  /** The slot holding `key`, or the empty slot where its probe run ends. */
  private find(key: number): number {
    const mask = this.mask;
    const vals = this.vals;
    const keys = this.keys;
    for (let i = slotOf(key) & mask; ; i = (i + 1) & mask) {
      if (vals[i] === undefined || keys[i] === key) return i;
    }
  }

  private grow(): void {
    const { keys, vals } = this;
    const cap = vals.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) this.set(keys[i]!, v);
    }
  }
}

/** A well-mixed slot number for an integer key below 2^53 (murmur3's finalizer over both halves). */
function slotOf(key: number): number {
  let h = (key >>> 0) ^ Math.imul(Math.floor(key / 4294967296) | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
