/** Exhaustiveness check for closed unions: a compile error when a case is missing. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
