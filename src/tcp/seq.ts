// Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4; include/net/tcp.h before/after).

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** a - b as a signed 32-bit distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
/** a comes before b in sequence space. */
export function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** a comes after b in sequence space. */
export function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
