// The established hash of one host (inet_ehash): remote address, remote port and local port
// -> the connection on that 4-tuple (the local address is the host's one address).
//
// Every segment looks up here and every connection enters and leaves, so it is a flat
// open-addressing table on typed arrays rather than Maps of Maps: no allocation per
// connection, one probe sequence per lookup. Linear probing, deletion by backward shift (no
// tombstones), at most half full.

/** A table of connections by (raddr, rport, lport). */
export class ConnTable<V extends object> {
  /** Per slot i: keys[2i] = raddr, keys[2i+1] = rport << 16 | lport (one cache line for both). */
  private keys: Int32Array;
  private vals: (V | undefined)[];
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.keys = new Int32Array(2 * cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get(raddr: number, rport: number, lport: number): V | undefined {
    return this.vals[this.find(raddr | 0, (rport << 16) | lport)];
  }

  /** Insert or replace. */
  set(raddr: number, rport: number, lport: number, value: V): void {
    const a = raddr | 0;
    const p = (rport << 16) | lport;
    const i = this.find(a, p);
    const fresh = this.vals[i] === undefined;
    this.keys[2 * i] = a;
    this.keys[2 * i + 1] = p;
    this.vals[i] = value;
    if (fresh && ++this.size * 2 > this.vals.length) this.grow();
  }

  /** Remove the entry for the 4-tuple if it holds `value`; returns whether it did. */
  delete(raddr: number, rport: number, lport: number, value: V): boolean {
    const i = this.find(raddr | 0, (rport << 16) | lport);
    if (this.vals[i] !== value) return false; // absent, or another socket owns the 4-tuple
    const mask = this.mask;
    // Backward shift: pull later entries of the run into the hole when their home slot
    // allows, so lookups never need tombstones.
    const vals = this.vals;
    const keys = this.keys;
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = vals[j];
      if (v === undefined) break;
      const home = slot(keys[2 * j]!, keys[2 * j + 1]!) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        vals[hole] = v;
        keys[2 * hole] = keys[2 * j]!;
        keys[2 * hole + 1] = keys[2 * j + 1]!;
        hole = j;
      }
    }
    vals[hole] = undefined;
    this.size--;
    return true;
  }

  /** The slot holding key (a, p), or the empty slot where its probe run ends. */
  private find(a: number, p: number): number {
    const mask = this.mask;
    for (let i = slot(a, p) & mask; ; i = (i + 1) & mask) {
      if (this.vals[i] === undefined || (this.keys[2 * i] === a && this.keys[2 * i + 1] === p)) return i;
    }
  }

  /** Every value, in table order (deterministic for a given history). */
  *values(): IterableIterator<V> {
    const vals = this.vals.slice();
    for (const v of vals) if (v !== undefined) yield v;
  }

  /** Local ports connected to (raddr, rport), in table order. */
  *localPorts(raddr: number, rport: number): IterableIterator<number> {
    const a = raddr | 0;
    for (let i = 0; i < this.vals.length; i++) {
      if (this.vals[i] !== undefined && this.keys[2 * i] === a && this.keys[2 * i + 1]! >>> 16 === rport) yield this.keys[2 * i + 1]! & 0xffff;
    }
  }

  private grow(): void {
    const { keys, vals } = this;
    const cap = vals.length * 2;
    this.keys = new Int32Array(2 * cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) this.set(keys[2 * i]!, keys[2 * i + 1]! >>> 16, keys[2 * i + 1]! & 0xffff, v);
    }
  }
}

/** A well-mixed slot number for (address, ports) (murmur3's finalizer). */
function slot(a: number, p: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ p;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
