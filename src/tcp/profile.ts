// Kernel behaviour profiles: the constants that differ between the kernels twlab models.

import type { Micros } from '../engine/time.js';
import { MS, SEC } from '../engine/time.js';
import type { KernelProfileName } from './sysctl.js';

export interface KernelProfile {
  readonly name: KernelProfileName;
  /** TIME_WAIT length. include/net/tcp.h TCP_TIMEWAIT_LEN = 60 s; RFC 9293: 2*MSL = 240 s. */
  readonly timewaitLen: Micros;
  /** Initial retransmission timeout. include/net/tcp.h TCP_TIMEOUT_INIT = 1 s (RFC 6298). */
  readonly rtoInit: Micros;
  /** include/net/tcp.h TCP_RTO_MIN = 200 ms (RFC 6298 says 1 s; Linux uses 200 ms). */
  readonly rtoMin: Micros;
  /** include/net/tcp.h TCP_RTO_MAX = 120 s. */
  readonly rtoMax: Micros;
  /** Whether the Linux TIME_WAIT extensions (tw_reuse, SYN reopen with ISN + 65537) apply. */
  readonly linuxExtensions: boolean;
  /**
   * The connect() port search: 'even-first' (4.6+: per-destination offset plus perturbation
   * table, low's parity first, step 2) or 'sequential' (before 4.6: one global hint, step 1).
   */
  readonly portSearch: 'even-first' | 'sequential';
  /** Random per-connection TSval offsets (4.10+); without them every connection of a host
   *  shows the host's own clock. */
  readonly tsOffsets: boolean;
  /** tcp_twsk_unique's age test: tcp_tw_reuse_delay ms since entering TIME_WAIT (6.14+), or
   *  more than one whole second since the peer's last timestamp (older kernels). */
  readonly twReuseAge: 'entry-delay' | 'stamp-seconds';
  /** tcp_tw_recycle exists (removed in 4.12). */
  readonly twRecycle: boolean;
  /** When TcpExtTW/TWKilled count: when the timer is first armed (4.x later kernels), or when
   *  it fires (4.4 tw_timer_handler). */
  readonly twCountedAt: 'schedule' | 'expiry';
  /**
   * CONFIG_HZ: kernel timers run on a jiffies timer wheel that rounds expiries up
   * (kernel/time/timer.c calc_wheel_index), so a 60 s TIME_WAIT lasts 60-62 s at HZ=250.
   * 250 is what this project's 6.18 host (and Debian/Ubuntu kernels) use. 0 = exact timers.
   */
  readonly hz: number;
  /** tcp_syn_linear_timeouts (6.5+, default 4): that many SYN retransmissions at the initial
   *  RTO before exponential backoff, and that many more before giving up. */
  readonly synLinearTimeouts: number;
  /** How long ts_recent is trusted for PAWS: TCP_PAWS_WRAP 2147 s (6.7+, usec TS), 24 days before. */
  readonly pawsTrustS: number;
  /** tcp_rfc1337=1 still restarted the TIME_WAIT timer on an RST before 5.9. */
  readonly rfc1337RstRearms: boolean;
  /** An unacceptable ACK in SYN_SENT re-sends the SYN after 2 jiffies (since ~4.20), not the RTO. */
  readonly synFastRetry: boolean;
  /** An old ACK (below snd_una) in a closing state is ignored but its FIN/data processed, and an
   *  ACK beyond snd_nxt gets a challenge ACK (6.9+; in ESTABLISHED too on 6.18.44); before,
   *  both dropped the segment. */
  readonly lenientOldAck: boolean;
  /** inet_twsk_alloc compares the timewait count with tcp_max_tw_buckets as unsigned (5.17+,
   *  refcount_read of tw_refcount), so a negative value means no limit; before, as int, so a
   *  negative value refuses every TIME_WAIT. */
  readonly twBucketsUnsigned: boolean;
}

/** include/net/tcp.h TCP_PAWS_24DAYS: before 6.7, ts_recent older than this is not trusted for PAWS. */
export const TCP_PAWS_24DAYS_S = 60 * 60 * 24 * 24;

const linux: Omit<KernelProfile, 'name'> = {
  timewaitLen: 60 * SEC,
  rtoInit: 1 * SEC,
  rtoMin: 200 * MS,
  rtoMax: 120 * SEC,
  linuxExtensions: true,
  portSearch: 'even-first',
  tsOffsets: true,
  twReuseAge: 'entry-delay',
  twRecycle: false,
  twCountedAt: 'schedule',
  hz: 250,
  synLinearTimeouts: 4,
  pawsTrustS: 2147,
  rfc1337RstRearms: false,
  synFastRetry: true,
  lenientOldAck: true,
  twBucketsUnsigned: true,
};

export const PROFILES: Readonly<Record<KernelProfileName, KernelProfile>> = {
  'linux-6.18': { name: 'linux-6.18', ...linux },
  'linux-4.4': {
    name: 'linux-4.4',
    ...linux,
    portSearch: 'sequential',
    tsOffsets: false,
    twReuseAge: 'stamp-seconds',
    twRecycle: true,
    twCountedAt: 'expiry',
    synLinearTimeouts: 0,
    pawsTrustS: TCP_PAWS_24DAYS_S,
    rfc1337RstRearms: true,
    synFastRetry: false,
    lenientOldAck: false,
    twBucketsUnsigned: false,
  },
  // RFC 9293 section 3.10.7.4: TIME-WAIT lasts 2*MSL, MSL = 2 minutes.
  rfc9293: {
    name: 'rfc9293',
    ...linux,
    timewaitLen: 240 * SEC,
    rtoMin: 1 * SEC,
    linuxExtensions: false,
    hz: 0,
    synLinearTimeouts: 0,
  },
};

/** Size of a timewait socket: the tw_sock_TCP slab object on Linux 6.18 x86-64 (/proc/slabinfo). */
export const TIMEWAIT_SOCK_BYTES = 256;

/** A timewait socket scheduled for at most this long counts as killed (TcpExtTWKilled), not TcpExtTW.
 *  inet_timewait_sock.c __inet_twsk_schedule: kill = timeo <= 4*HZ. */
export const TW_KILL_THRESHOLD: Micros = 4 * SEC;

/** The ISN a reopened or reused 4-tuple starts from: old snd_nxt + 65535 + 2
 *  (tcp_minisocks.c tcp_timewait_state_process, tcp_ipv4.c tcp_twsk_unique). */
export const TW_ISN_GAP = 65535 + 2;

/** include/net/tcp.h TCP_PAWS_WINDOW: a timestamp this far behind ts_recent is still accepted. */
export const TCP_PAWS_WINDOW = 1;
/** sysctl tcp_invalid_ratelimit default: out-of-window ACKs at most once per 500 ms. */
export const TCP_INVALID_RATELIMIT: Micros = 500 * MS;
/** The advertised receive window the model uses (no window scaling yet). */
export const DEFAULT_RCV_WND = 65535;
/** MSS for a 1500-byte MTU, IPv4: what a SYN offers. Data segments carry 12 bytes less when
 *  timestamps are on (TCPOLEN_TSTAMP_ALIGNED below). */
export const DEFAULT_MSS = 1460;
/** include/net/tcp.h TCPOLEN_TSTAMP_ALIGNED: the timestamp option in every segment takes 12
 *  bytes of the MSS (tcp_sync_mss: 1448-byte segments on a 1500-byte MTU, seen on 6.18.44). */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** include/net/tcp.h TCP_INIT_CWND. */
export const TCP_INIT_CWND = 10;

/**
 * What a host offers in its SYN and SYN-ACK besides timestamps: knobs Linux has that twlab
 * does not expose as scenario sysctls (tcp_sack, tcp_window_scaling, the buffer sizes that
 * decide the window scale). Scenarios keep LEGACY_HANDSHAKE (MSS only, unscaled 16-bit
 * windows); `twlab packetdrill` offers what Linux offers.
 */
export interface HandshakeOptions {
  /** The MSS we advertise (tcp_output.c tcp_advertise_mss: the MTU minus 40 for IPv4, 60 for IPv6). */
  readonly mss: number;
  /** tcp_sack: offer SACK-permitted. The model never sends SACK blocks; the option is only negotiated. */
  readonly sack: boolean;
  /** tcp_window_scaling on: the shift we offer (see linuxWscale); -1 = off, windows are unscaled. */
  readonly wscale: number;
}

/** include/net/tcp.h TCP_MAX_WSCALE (RFC 7323 2.3). */
export const TCP_MAX_WSCALE = 14;

/**
 * tcp_output.c tcp_select_initial_window: the window-scale shift is chosen for the largest
 * receive buffer the socket could grow to, max(tcp_rmem[2], net.core.rmem_max):
 * ilog2(space) - 15, within 0..TCP_MAX_WSCALE. 32 MiB (this project's 6.18 host) gives 10.
 */
export function linuxWscale(tcpRmemMax: number, rmemMax: number): number {
  const space = Math.max(tcpRmemMax, rmemMax, 1);
  return Math.min(Math.max(Math.floor(Math.log2(space)) - 15, 0), TCP_MAX_WSCALE);
}

/** What the model offered before it negotiated SACK and window scaling (scenarios still use it). */
export const LEGACY_HANDSHAKE: HandshakeOptions = Object.freeze({ mss: DEFAULT_MSS, sack: false, wscale: -1 });

/** The reference 6.18 host: tcp_sack 1, tcp_window_scaling 1, tcp_rmem[2] 32 MiB, rmem_max 4 MiB
 *  (docs/observations/out/04-traces.txt: "mss 1460,sackOK,TS val ... ecr 0,nop,wscale 10"). */
export const LINUX_HANDSHAKE: HandshakeOptions = Object.freeze({ mss: DEFAULT_MSS, sack: true, wscale: linuxWscale(33554432, 4194304) });

/** kernel/time/timer.c: 6 bits of index per level, each level 8 times coarser. */
const LVL_CLK_SHIFT = 3;
const LVL_SIZE = 64;

/**
 * When a kernel timer armed `delay` after `now` really fires, on a timer wheel ticking at
 * `hz` whose jiffies counter stood at `jiffiesAtZero` when simulated time was 0.
 * calc_wheel_index: the level is chosen by the delay in jiffies; the expiry is rounded up to
 * the tick after it at that level's granularity (8^level jiffies), so never early.
 */
export function wheelExpiry(now: Micros, delay: Micros, hz: number, jiffiesAtZero: number): Micros {
  if (hz === 0) return now + delay;
  return wheelExpiryFrom(jiffiesAt(now, hz, jiffiesAtZero), delay, hz, jiffiesAtZero);
}

/** The jiffies counter at simulated time `now`. */
export function jiffiesAt(now: Micros, hz: number, jiffiesAtZero: number): number {
  return Math.floor((now * hz) / SEC) + jiffiesAtZero;
}

/** wheelExpiry with the jiffies counter of `now` already known (hz > 0). */
export function wheelExpiryFrom(nowJ: number, delay: Micros, hz: number, jiffiesAtZero: number): Micros {
  const deltaJ = Math.ceil((delay * hz) / SEC); // msecs_to_jiffies rounds up
  let lvl = 0;
  while (lvl < 8 && deltaJ >= (LVL_SIZE - 1) << (lvl * LVL_CLK_SHIFT)) lvl++;
  const granularity = LVL_GRANULARITY[lvl]!;
  const expiresJ = nowJ + deltaJ;
  const bucketJ = (Math.floor(expiresJ / granularity) + 1) * granularity;
  return Math.ceil(((bucketJ - jiffiesAtZero) * SEC) / hz);
}

/** 8^level jiffies: a level's tick. */
const LVL_GRANULARITY: readonly number[] = Array.from({ length: 9 }, (_, l) => 2 ** (l * LVL_CLK_SHIFT));
