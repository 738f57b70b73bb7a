// The timewait socket and what it does with an arriving segment.
//
// On entering TIME_WAIT (or an orphaned FIN_WAIT_2) Linux replaces the full socket with a
// small inet_timewait_sock that keeps just enough to answer the peer
// (tcp_minisocks.c tcp_time_wait). It stays in the established hash, holding its port,
// until its timer fires or something kills or reuses it.
//
// timewaitStateProcess() *decides* (like tcp_timewait_state_process returns
// TCP_TW_SUCCESS | RST | ACK | SYN); the host *acts* on the decision.

import type { Due } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import type { Segment } from '../net/segment.js';
import { ACK, FIN, RST, SYN } from '../net/segment.js';
import { TCP_INVALID_RATELIMIT, TW_ISN_GAP } from './profile.js';
import { pawsReject } from './paws.js';
import { after, before, seqAdd } from './seq.js';
import type { Sysctls } from './sysctl.js';
import type { MibName } from './mib.js';
import type { KernelProfile } from './profile.js';

export type TwSubstate = 'TIME_WAIT' | 'FIN_WAIT_2';

/** Who is told when a timewait socket's timer fires. */
export interface TimewaitOwner {
  twExpire(tw: TimewaitSock, token: number): void;
}

export class TimewaitSock implements Due {
  /** Incremented on every (re)arm; the queue entry carrying another value is stale. */
  timerGen = 0;
  /** When the current timer fires. */
  expires: Micros = 0;
  /** tw_timeout: what a restart re-arms to (TIME_WAIT length; 3.5 * RTO under tcp_tw_recycle). */
  timeout: Micros = 0;
  /** The timer was last armed for at most 4 s: its expiry counts as TWKilled (4.4 tw_kill). */
  shortArm = false;
  /** tw_last_oow_ack_time: last out-of-window ACK sent (rate limit). */
  lastOowAck: Micros = -Infinity;

  constructor(
    private readonly owner: TimewaitOwner,
    public substate: TwSubstate,
    readonly lport: number,
    readonly raddr: Ipv4,
    readonly rport: number,
    /** tw_rcv_nxt, tw_snd_nxt, tw_rcv_wnd */
    public rcvNxt: number,
    readonly sndNxt: number,
    readonly rcvWnd: number,
    /** tw_ts_recent and tw_ts_recent_stamp (seconds; 0 = never saw a timestamp). */
    public tsRecent: number,
    public tsRecentStamp: number,
    /** tw_ts_offset: this connection's TSval offset. */
    readonly tsOffset: number,
    /** tw_entry_stamp (ms): when the socket entered TIME_WAIT, for tcp_tw_reuse_delay. */
    public entryStampMs: number,
    /** The connection incarnation this socket continues (see Segment.incarnation). */
    readonly incarnation: number,
    /** The peer's incarnation it was talking to. */
    readonly peerIncarnation: number,
    /** REUSEADDR/REUSEPORT of the socket it came from: bind() conflicts look at them. */
    readonly bindFlags: number,
  ) {}

  fire(_now: Micros, token: number): void {
    this.owner.twExpire(this, token);
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
  if (!occupies && now - tw.lastOowAck < TCP_INVALID_RATELIMIT) return { kind: 'drop', rearm: false, counters: [skipped] };
  if (!occupies) tw.lastOowAck = now;
  return { kind: 'ack', rearm: false, counters: [] };
}
