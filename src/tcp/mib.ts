// MIB counters with nstat's names (/proc/net/snmp "Tcp:" and /proc/net/netstat "TcpExt:"),
// so a simulated host and `nstat` on a real one can be compared line by line.

export const MIB_NAMES = [
  // /proc/net/snmp (include/uapi/linux/snmp.h TCP_MIB_*)
  'TcpActiveOpens', // connect() sent a SYN (tcp_connect)
  'TcpPassiveOpens', // a child socket created from a request socket (tcp_create_openreq_child)
  'TcpAttemptFails', // SYN_SENT/SYN_RECV -> CLOSE, or SYN_RECV -> LISTEN (tcp_set_state, tcp_check_req)
  'TcpEstabResets', // ESTABLISHED/CLOSE_WAIT -> CLOSE (tcp_set_state)
  'TcpInSegs',
  'TcpOutSegs',
  'TcpRetransSegs',
  'TcpOutRsts', // every RST sent
  // /proc/net/netstat TcpExt (include/uapi/linux/snmp.h LINUX_MIB_*)
  'TcpExtTW', // timewait sockets armed for more than 4 s (counted when armed; at expiry on 4.4)
  'TcpExtTWRecycled', // a TIME_WAIT 4-tuple reused by connect() (tcp_twsk_unique)
  'TcpExtTWKilled', // timewait sockets armed for 4 s or less (tcp_tw_recycle, short FIN_WAIT_2)
  'TcpExtPAWSEstab', // segments dropped by PAWS on a full socket
  'TcpExtPAWSTimewait', // segments dropped by PAWS on a TIME_WAIT socket (6.15+)
  'TcpExtPAWSPassive', // SYN refused by tcp_tw_recycle's per-peer timestamp check (4.4 only)
  'TcpExtTCPTimeWaitOverflow', // tcp_max_tw_buckets reached: no TIME_WAIT (inet_twsk_alloc)
  'TcpExtTCPAbortOnData', // RST because of unexpected data, or SO_LINGER 0 (tcp_disconnect)
  'TcpExtTCPAbortOnClose', // RST on close() with unread data (__tcp_close)
  'TcpExtTCPAbortOnMemory', // orphan reset: too many orphans (tcp_check_oom)
  'TcpExtTCPAbortOnTimeout', // gave up retransmitting (tcp_write_timeout)
  'TcpExtTCPAbortOnLinger', // orphaned FIN_WAIT_2 reset because TCP_LINGER2 < 0
  'TcpExtListenOverflows', // accept queue full
  'TcpExtListenDrops',
  'TcpExtSyncookiesSent', // request queue full: a SYN cookie answered (tcp_syn_flood_action)
  'TcpExtTCPChallengeACK', // RFC 5961 challenge ACKs sent
  'TcpExtTCPSYNChallenge', // ... of them, for a SYN in a synchronized state
  'TcpExtTCPSynRetrans', // SYN and SYN-ACK retransmissions
  'TcpExtTCPFastRetrans', // retransmitted before the RTO, on duplicate ACKs
  'TcpExtTCPACKSkippedTimeWait', // out-of-window ACK from TIME_WAIT suppressed by rate limit
  'TcpExtTCPACKSkippedFinWait2',
  'TcpExtTCPACKSkippedSeq', // dupack for an out-of-window segment suppressed by the rate limit
  'TcpExtTCPACKSkippedPAWS', // ... for a PAWS-rejected segment
  'TcpExtTCPACKSkippedChallenge', // challenge ACK suppressed by the rate limit
  'TcpExtPAWSOldAck', // an old pure ACK rejected by PAWS (6.x tcp_disordered_ack_check)
  'TcpExtEmbryonicRsts', // RST received on a request socket
] as const;

export type MibName = (typeof MIB_NAMES)[number];

export type Mib = Record<MibName, number>;

export function emptyMib(): Mib {
  const m = {} as Mib;
  for (const n of MIB_NAMES) m[n] = 0;
  return m;
}

/** Counters the profile's kernel has (nstat shows no others). */
export function mibNamesFor(profile: 'linux-6.18' | 'linux-4.4' | 'rfc9293'): MibName[] {
  // PAWSTimewait appeared in 6.15; PAWSPassive went with tcp_tw_recycle in 4.12.
  const absent: MibName = profile === 'linux-4.4' ? 'TcpExtPAWSTimewait' : 'TcpExtPAWSPassive';
  return MIB_NAMES.filter((n) => n !== absent);
}
