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
