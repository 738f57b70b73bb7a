// Simulated time: integer microseconds from the start of a run.

/** A simulated instant or duration in microseconds (an integer). */
export type Micros = number;

export const US = 1;
export const MS = 1_000;
export const SEC = 1_000_000;

export function ms(n: number): Micros {
  return Math.round(n * MS);
}
export function sec(n: number): Micros {
  return Math.round(n * SEC);
}
/** Seconds as a float, for output. */
export function toSeconds(t: Micros): number {
  return t / SEC;
}
