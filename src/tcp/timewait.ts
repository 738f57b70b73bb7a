// The timewait socket and what it does with an arriving segment.
//
// On entering TIME_WAIT (or an orphaned FIN_WAIT_2) Linux replaces the full socket with a
// small inet_timewait_sock that keeps just enough to answer the peer
// (tcp_minisocks.c tcp_time_wait). It stays in the established hash, holding its port,
// until its timer fires or something kills or reuses it.
//
// timewaitStateProcess() *decides* (like tcp_timewait_state_process returns
// TCP_TW_SUCCESS | RST | ACK | SYN); the host *acts* on the decision.

import type { Micros } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import type { Segment } from '../net/segment.js';
import { ACK, FIN, RST, SYN } from '../net/segment.js';
import { DEFAULT_RCV_WND, TCP_INVALID_RATELIMIT, TW_ISN_GAP } from './profile.js';
import { pawsReject } from './paws.js';
import { after, before, seqAdd } from './seq.js';
import type { Sysctls } from './sysctl.js';
import type { MibName } from './mib.js';
import type { KernelProfile } from './profile.js';

export type TwSubstate = 'TIME_WAIT' | 'FIN_WAIT_2';

/** Bits of TimewaitSock.bits. */
const FW2 = 1 << 0; // substate FIN_WAIT_2 (else TIME_WAIT)
const SHORT_ARM = 1 << 1; // last armed for <= 4 s: counts as TWKilled at expiry (4.4)
const FLAGS_SHIFT = 2; // then the socket's REUSEADDR/REUSEPORT bits

/**
 * The timewait socket. A host may hold hundreds of thousands of them, so it stays small:
 * 32-bit values are kept as signed int32 (small integers, never boxed), booleans are bits,
 * and what only a few need (a tcp_tw_recycle timeout, the out-of-window ACK time) lives with
 * the host. The accessors give the usual unsigned values.
 */
export class TimewaitSock {
  /** Incremented on every (re)arm; the queue entry carrying another value is stale. */
  timerGen = 0;
  /** When the current timer fires. */
  expires: Micros = 0;
  private bits: number;
  /** lport << 16 | rport */
  private readonly ports: number;
  private readonly raddr32: number;
  private rcvNxt32: number;
  private readonly sndNxt32: number;
  private tsRecent32: number;
  private readonly tsOffset32: number;

  constructor(
    substate: TwSubstate,
    lport: number,
    raddr: Ipv4,
    rport: number,
    /** tw_rcv_nxt, tw_snd_nxt */
    rcvNxt: number,
    sndNxt: number,
    /** tw_ts_recent and tw_ts_recent_stamp (seconds; 0 = never saw a timestamp). */
    tsRecent: number,
    public tsRecentStamp: number,
    /** tw_ts_offset: this connection's TSval offset. */
    tsOffset: number,
    /** tw_entry_stamp (ms): when the socket entered TIME_WAIT, for tcp_tw_reuse_delay. */
    public entryStampMs: number,
    /** The connection incarnation this socket continues (see Segment.incarnation). */
    readonly incarnation: number,
    /** The peer's incarnation (the integrity oracle remembers it when this socket goes). */
    readonly peerIncarnation: number,
    /** REUSEADDR/REUSEPORT of the socket it came from: bind() conflicts look at them. */
    bindFlags: number,
  ) {
    this.bits = (substate === 'FIN_WAIT_2' ? FW2 : 0) | (bindFlags << FLAGS_SHIFT);
    this.ports = (lport << 16) | rport;
    this.raddr32 = raddr | 0;
    this.rcvNxt32 = rcvNxt | 0;
    this.sndNxt32 = sndNxt | 0;
    this.tsRecent32 = tsRecent | 0;
    this.tsOffset32 = tsOffset | 0;
  }

  get substate(): TwSubstate {
    return this.bits & FW2 ? 'FIN_WAIT_2' : 'TIME_WAIT';
  }
  set substate(s: TwSubstate) {
    this.bits = s === 'FIN_WAIT_2' ? this.bits | FW2 : this.bits & ~FW2;
  }
  get shortArm(): boolean {
    return (this.bits & SHORT_ARM) !== 0;
  }
  set shortArm(v: boolean) {
    this.bits = v ? this.bits | SHORT_ARM : this.bits & ~SHORT_ARM;
  }
  get bindFlags(): number {
    return this.bits >>> FLAGS_SHIFT;
  }
  get lport(): number {
    return this.ports >>> 16;
  }
  get rport(): number {
    return this.ports & 0xffff;
  }
  get raddr(): Ipv4 {
    return this.raddr32 >>> 0;
  }
  get rcvNxt(): number {
    return this.rcvNxt32 >>> 0;
  }
  set rcvNxt(v: number) {
    this.rcvNxt32 = v | 0;
  }
  get sndNxt(): number {
    return this.sndNxt32 >>> 0;
  }
  get tsRecent(): number {
    return this.tsRecent32 >>> 0;
  }
  set tsRecent(v: number) {
    this.tsRecent32 = v | 0;
  }
  get tsOffset(): number {
    return this.tsOffset32 >>> 0;
  }
  /** tw_rcv_wnd: the window the connection last advertised (the model's is fixed). */
  get rcvWnd(): number {
    return DEFAULT_RCV_WND;
  }
}

/** What to do with the segment; `rearm` restarts the TIME_WAIT timer (inet_twsk_reschedule). */
export type TwDecision =
  | { kind: 'drop'; rearm: boolean; counters: MibName[] } // TCP_TW_SUCCESS
  | { kind: 'ack'; rearm: boolean; counters: MibName[] } // TCP_TW_ACK: answer with an ACK
  | { kind: 'kill' } // deschedule: the timewait socket is gone, nothing sent
  | { kind: 'rst' } // TCP_TW_RST: kill and answer with RST
  | { kind: 'fin'; } // FIN_WAIT_2 substate got the FIN: now TIME_WAIT, ACK, 60 s timer
  | { kind: 'syn'; isn: number }; // TCP_TW_SYN: a new connection may take over the 4-tuple

const DROP: TwDecision = { kind: 'drop', rearm: false, counters: [] };
const DROP_REARM: TwDecision = { kind: 'drop', rearm: true, counters: [] };

/** A clock the decision needs: simulated time, the seconds clock of ts_recent_stamp, the ms clock of tw_entry_stamp. */
export interface TwClock {
  now: Micros;
  seconds: number;
  ms: number;
}

/** tcp_minisocks.c tcp_in_window: is [seq, endSeq) acceptable for window [sWin, eWin)? */
function inWindow(seq: number, endSeq: number, sWin: number, eWin: number): boolean {
  if (seq === sWin) return true;
  if (after(endSeq, sWin) && before(seq, eWin)) return true;
  return seq === eWin && seq === endSeq;
}

/**
 * tcp_minisocks.c tcp_timewait_state_process. Mutates only the fields Linux updates in place
 * (substate, rcv_nxt, ts_recent, last OOW ACK time); everything else is the caller's act.
 */
export function timewaitStateProcess(tw: TimewaitSock, seg: Segment, sysctl: Sysctls, profile: KernelProfile, clock: TwClock): TwDecision {
  const seq = seg.seq;
  const endSeq = seqAdd(seq, seg.seqLen);
  const isRst = (seg.flags & RST) !== 0;
  const isSyn = (seg.flags & SYN) !== 0;
  const isAck = (seg.flags & ACK) !== 0;
  const isFin = (seg.flags & FIN) !== 0;
  const sawTs = seg.hasTs && tw.tsRecentStamp !== 0;
  const paws = sawTs && pawsReject(tw.tsRecent, tw.tsRecentStamp, seg.tsVal, isRst, clock.seconds, profile.pawsTrustS);

  if (tw.substate === 'FIN_WAIT_2') {
    // "Just repeat all the checks of tcp_rcv_state_process()".
    if (paws || !inWindow(seq, endSeq, tw.rcvNxt, seqAdd(tw.rcvNxt, tw.rcvWnd))) {
      return oowAck(tw, seg, clock.now, 'TcpExtTCPACKSkippedFinWait2');
    }
    if (isRst) return { kind: 'kill' };
    if (isSyn && !before(seq, tw.rcvNxt)) return { kind: 'rst' };
    // Dup ACK, or nothing new: drop.
    if (!isAck || !after(endSeq, tw.rcvNxt) || endSeq === seq) return DROP;
    // New data after our half-duplex close: reset. Only the FIN may come.
    if (!isFin || endSeq !== seqAdd(tw.rcvNxt, 1)) return { kind: 'rst' };
    // FIN arrived: enter true TIME_WAIT.
    tw.substate = 'TIME_WAIT';
    tw.rcvNxt = endSeq;
    if (sawTs) {
      // The real TIME_WAIT starts now: tcp_tw_reuse_delay counts from here.
      tw.tsRecentStamp = clock.seconds;
      tw.tsRecent = seg.tsVal;
      tw.entryStampMs = clock.ms;
    }
    return { kind: 'fin' };
  }

  // Real TIME_WAIT. In-window segment: it may only be a RST or a bare ACK.
  if (!paws && seq === tw.rcvNxt && (seq === endSeq || isRst)) {
    // TIME_WAIT assassination (RFC 1337): an in-window RST kills the socket, unless
    // tcp_rfc1337 asks us to ignore it, and then it does not restart the timer either
    // (since "tcp: do not restart timewait timer on rst reception", Linux 5.9).
    if (isRst && sysctl.tcp_rfc1337 === 0) return { kind: 'kill' };
    if (sawTs) {
      tw.tsRecent = seg.tsVal;
      tw.tsRecentStamp = clock.seconds;
    }
    // A bare ACK restarts the timer (an ignored RST too, before Linux 5.9).
    return isRst && !profile.rfc1337RstRearms ? DROP : DROP_REARM;
  }

  // RFC 1122 / RFC 6191: a new SYN may reopen the 4-tuple if it cannot be an old duplicate:
  // its sequence number is beyond everything we received, or its timestamp is newer.
  if (isSyn && !isRst && !isAck && !paws &&
      (after(seq, tw.rcvNxt) || (sawTs && ((tw.tsRecent - seg.tsVal) | 0) < 0))) {
    let isn = seqAdd(tw.sndNxt, TW_ISN_GAP);
    if (isn === 0) isn = 1;
    return { kind: 'syn', isn };
  }

  const counters: MibName[] = paws ? ['TcpExtPAWSTimewait'] : [];
  if (!isRst) {
    // Out-of-window segment: ACK it (rate limited). Restart the timer, except for an
    // ACK-less SYN, which may be a good new SYN with a random sequence number below rcv_nxt.
    const rearm = paws || isAck;
    const d = oowAck(tw, seg, clock.now, 'TcpExtTCPACKSkippedTimeWait');
    if (d.kind === 'ack') return { kind: 'ack', rearm, counters };
    return { kind: 'drop', rearm, counters: [...counters, 'TcpExtTCPACKSkippedTimeWait'] };
  }
  return { kind: 'drop', rearm: false, counters };
}

/**
 * tcp_timewait_check_oow_rate_limit / tcp_oow_rate_limited: at most one out-of-window ACK
 * per tcp_invalid_ratelimit, except for a segment with data or FIN and no SYN, which is
 * always answered (the peer is retransmitting and needs the ACK).
 */
function oowAck(tw: TimewaitSock, seg: Segment, now: Micros, skipped: MibName): TwDecision {
  const occupies = seg.seqLen > 0 && !(seg.flags & SYN);
  if (!occupies && now - (lastOowAck.get(tw) ?? -Infinity) < TCP_INVALID_RATELIMIT) return { kind: 'drop', rearm: false, counters: [skipped] };
  if (!occupies) lastOowAck.set(tw, now);
  return { kind: 'ack', rearm: false, counters: [] };
}

/** tw_last_oow_ack_time, kept aside: few timewait sockets ever send an out-of-window ACK. */
const lastOowAck = new WeakMap<TimewaitSock, Micros>();
