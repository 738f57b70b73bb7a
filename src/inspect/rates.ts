// --watch: rates from the difference of two looks at the MIB counters (what `nstat` prints
// between runs). TcpExtTW counts every socket that entered TIME_WAIT with more than 4 s to
// go, when it entered (fidelity.md §5), so its rate is the rate of new TIME_WAIT.

export interface Rates {
  interval_s: number;
  new_time_wait_per_s: number;
  active_opens_per_s: number;
  passive_opens_per_s: number;
  tw_recycled_per_s: number;
  tw_overflow_per_s: number;
}

const RATE_COUNTERS = {
  new_time_wait_per_s: 'TcpExtTW',
  active_opens_per_s: 'TcpActiveOpens',
  passive_opens_per_s: 'TcpPassiveOpens',
  tw_recycled_per_s: 'TcpExtTWRecycled',
  tw_overflow_per_s: 'TcpExtTCPTimeWaitOverflow',
} as const;

/** Rates between two counter readings taken interval_s apart; undefined without both or with no time between. */
export function counterRates(
  before: Readonly<Record<string, number>> | null | undefined,
  after: Readonly<Record<string, number>> | null | undefined,
  intervalS: number,
): Rates | undefined {
  if (!before || !after || !(intervalS > 0)) return undefined;
  const rate = (name: string): number => {
    const d = (after[name] ?? 0) - (before[name] ?? 0);
    // A counter that went down was reset (a new namespace with the same name): no rate.
    return d < 0 ? 0 : Number((d / intervalS).toFixed(1));
  };
  const out = { interval_s: Number(intervalS.toFixed(3)) } as Rates;
  for (const [key, name] of Object.entries(RATE_COUNTERS) as [keyof typeof RATE_COUNTERS, string][]) out[key] = rate(name);
  return out;
}
