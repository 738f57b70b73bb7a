// The TCP states with the names netstat/ss print (underscored), RFC 9293 section 3.3.2, in
// the kernel's order (include/net/tcp_states.h numbers them from 1; /proc/net/tcp relies on it).

export const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
] as const;

export type TcpState = (typeof TCP_STATES)[number];

/** Per-state socket counts; the order of TCP_STATES. */
export type StateCounts = Record<TcpState, number>;

export function emptyStateCounts(): StateCounts {
  const c = {} as StateCounts;
  for (const s of TCP_STATES) c[s] = 0;
  return c;
}

/**
 * counts[state] += delta, returning the new count. A switch of named properties instead of
 * counts[state]: the model changes state millions of times a run, and a keyed store with a
 * variable name is a megamorphic (slow) property access in V8.
 */
export function addState(counts: StateCounts, state: TcpState, delta: number): number {
  switch (state) {
    case 'ESTABLISHED':
      return (counts.ESTABLISHED += delta);
    case 'SYN_SENT':
      return (counts.SYN_SENT += delta);
    case 'SYN_RECV':
      return (counts.SYN_RECV += delta);
    case 'FIN_WAIT_1':
      return (counts.FIN_WAIT_1 += delta);
    case 'FIN_WAIT_2':
      return (counts.FIN_WAIT_2 += delta);
    case 'TIME_WAIT':
      return (counts.TIME_WAIT += delta);
    case 'CLOSE':
      return (counts.CLOSE += delta);
    case 'CLOSE_WAIT':
      return (counts.CLOSE_WAIT += delta);
    case 'LAST_ACK':
      return (counts.LAST_ACK += delta);
    case 'LISTEN':
      return (counts.LISTEN += delta);
    case 'CLOSING':
      return (counts.CLOSING += delta);
  }
}

