// The seeded pseudo-random generator: every random choice of a run derives from its seed.
// xoshiro128** (Blackman & Vigna), seeded through splitmix32. Independent streams are
// forked by label, so adding a host or a workload does not shift the others' draws.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any integer; `stream` selects an independent sequence for the same seed. */
  constructor(seed: number, stream = 0) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // Mix in the high part of seeds above 2^32, and the stream, so they do not collide.
    s = (s ^ Math.imul(Math.floor(seed / 0x1_0000_0000) ^ stream, 0x27d4eb2d)) >>> 0;
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [0, n), n <= 2^32, without modulo bias. */
  below(n: number): number {
    if (n <= 0) throw new Error(`Rng.below(${n})`);
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** An independent stream for `label`, a pure function of this generator's seed state. */
  fork(label: string): Rng {
    let h = this.a ^ 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng((h ^ this.c) >>> 0, this.d);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
