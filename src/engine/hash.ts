// A keyed 32-bit hash for the kernel's "secret hash" choices (ISNs, port offsets,
// timestamp offsets). Linux uses siphash with a boot-time secret; the model needs only a
// well-mixed, deterministic function of a key drawn from the seed.

/** Hash up to four 32-bit words under a 64-bit key (two words). Result: unsigned 32-bit. */
export function keyedHash(k0: number, k1: number, a: number, b = 0, c = 0, d = 0): number {
  let h = (k0 ^ 0x9e3779b9) >>> 0;
  h = mix(h, a);
  h = mix(h, b ^ k1);
  h = mix(h, c);
  h = mix(h, d);
  return fmix(h ^ k1);
}

function mix(h: number, v: number): number {
  let k = Math.imul(v >>> 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
