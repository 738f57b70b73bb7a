// MIB counters with nstat's names (/proc/net/snmp "Tcp:" and /proc/net/netstat "TcpExt:"),
// so a simulated host and `nstat` on a real one can be compared line by line.

/**
 * A host's counters, all zero. Written as one object literal so that V8 keeps it in fast mode:
 * the model bumps several counters per segment, and an object filled property by property
 * from a list of names (`m[name] = 0`) turns into a dictionary after a dozen, making every
 * `mib.TcpInSegs++` a hash lookup. The names, their order and the type all come from here.
 */
export function emptyMib() {
  return {
    // /proc/net/snmp (include/uapi/linux/snmp.h TCP_MIB_*)
    TcpActiveOpens: 0, // connect() sent a SYN (tcp_connect)
    TcpPassiveOpens: 0, // a child socket created from a request socket (tcp_create_openreq_child)
    TcpAttemptFails: 0, // SYN_SENT/SYN_RECV -> CLOSE, or SYN_RECV -> LISTEN (tcp_set_state, tcp_check_req)
    TcpEstabResets: 0, // ESTABLISHED/CLOSE_WAIT -> CLOSE (tcp_set_state)
    TcpInSegs: 0,
    TcpOutSegs: 0,
    TcpRetransSegs: 0,
    TcpOutRsts: 0, // every RST sent
    // /proc/net/netstat TcpExt (include/uapi/linux/snmp.h LINUX_MIB_*)
    TcpExtTW: 0, // timewait sockets armed for more than 4 s (counted when armed; at expiry on 4.4)
    TcpExtTWRecycled: 0, // a TIME_WAIT 4-tuple reused by connect() (tcp_twsk_unique)
    TcpExtTWKilled: 0, // timewait sockets armed for 4 s or less (tcp_tw_recycle, short FIN_WAIT_2)
    TcpExtPAWSEstab: 0, // segments dropped by PAWS on a full socket
    TcpExtPAWSTimewait: 0, // segments dropped by PAWS on a TIME_WAIT socket (6.15+)
    TcpExtPAWSPassive: 0, // SYN refused by tcp_tw_recycle's per-peer timestamp check (4.4 only)
    TcpExtTCPTimeWaitOverflow: 0, // tcp_max_tw_buckets reached: no TIME_WAIT (inet_twsk_alloc)
    TcpExtTCPAbortOnData: 0, // RST because of unexpected data, or SO_LINGER 0 (tcp_disconnect)
    TcpExtTCPAbortOnClose: 0, // RST on close() with unread data (__tcp_close)
    TcpExtTCPAbortOnMemory: 0, // orphan reset: too many orphans (tcp_check_oom)
    TcpExtTCPAbortOnTimeout: 0, // gave up retransmitting (tcp_write_timeout)
    TcpExtTCPAbortOnLinger: 0, // orphaned FIN_WAIT_2 reset because TCP_LINGER2 < 0
    TcpExtListenOverflows: 0, // accept queue full
    TcpExtListenDrops: 0,
    TcpExtSyncookiesSent: 0, // request queue full: a SYN cookie answered (tcp_syn_flood_action)
    TcpExtTCPChallengeACK: 0, // RFC 5961 challenge ACKs sent
    TcpExtTCPSYNChallenge: 0, // ... of them, for a SYN in a synchronized state
    TcpExtTCPSynRetrans: 0, // SYN and SYN-ACK retransmissions
    TcpExtTCPFastRetrans: 0, // retransmitted before the RTO, on duplicate ACKs
    TcpExtTCPACKSkippedTimeWait: 0, // out-of-window ACK from TIME_WAIT suppressed by rate limit
    TcpExtTCPACKSkippedFinWait2: 0,
    TcpExtTCPACKSkippedSeq: 0, // dupack for an out-of-window segment suppressed by the rate limit
    TcpExtTCPACKSkippedPAWS: 0, // ... for a PAWS-rejected segment
    TcpExtTCPACKSkippedChallenge: 0, // challenge ACK suppressed by the rate limit
    TcpExtPAWSOldAck: 0, // an old pure ACK rejected by PAWS (6.x tcp_disordered_ack_check)
    TcpExtEmbryonicRsts: 0, // RST received on a request socket
  };
}

export type Mib = ReturnType<typeof emptyMib>;

export type MibName = keyof Mib;

/** Every counter's name, in the order above. */
export const MIB_NAMES = Object.keys(emptyMib()) as readonly MibName[];

/** Counters the profile's kernel has (nstat shows no others). */
export function mibNamesFor(profile: 'linux-6.18' | 'linux-4.4' | 'rfc9293'): MibName[] {
  // PAWSTimewait appeared in 6.15; PAWSPassive went with tcp_tw_recycle in 4.12.
  const absent: MibName = profile === 'linux-4.4' ? 'TcpExtPAWSTimewait' : 'TcpExtPAWSPassive';
  return MIB_NAMES.filter((n) => n !== absent);
}
