// A TCP segment as the model carries it: header fields that matter for the connection
// lifecycle, the timestamp option, and the payload length (payload bytes are not kept).

import type { Due } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import type { Ipv4 } from './addr.js';
import { formatEndpoint } from './addr.js';

// TCP header flag bits (RFC 9293 section 3.1).
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** Where a segment goes when it arrives: a host's IP input. */
export interface SegmentSink {
  receive(seg: Segment, now: Micros): void;
}

export class Segment implements Due {
  /** The MSS option, on SYN segments only (0 = absent). */
  mss = 0;
  /** The SACK-permitted option, on SYN segments only (RFC 2018; the model sends no SACK blocks). */
  sackOk = false;
  /** The window-scale option's shift, on SYN segments only (RFC 7323 2.2; -1 = absent). */
  wscale = -1;
  /**
   * The connection incarnation that sent this segment (unique per socket in a run), or 0 for
   * a segment sent on no connection's behalf (an RST to a closed port, a TIME_WAIT's ACK
   * carries the TIME_WAIT's incarnation). Only the simulator can know this: see integrity.
   */
  incarnation = 0;
  /** The sending socket's state when it sent this ('' when no socket sent it): for faults. */
  senderState = '';
  /** Set when the network schedules the delivery. */
  to: SegmentSink | null = null;
  /** Whether the timestamp option is present. */
  hasTs = false;
  // Millions of segments pass through a run: 32-bit values are kept as int32, which V8 stores
  // without a heap box; the accessors give the usual unsigned values.
  /** The addresses as int32 (small integers to V8: cheap Map keys for routing). */
  readonly src32: number;
  readonly dst32: number;
  private readonly seq32: number;
  private readonly ack32: number;
  private tsVal32 = 0;
  private tsEcr32 = 0;
  /**
   * Sequence space the segment occupies: payload plus one for SYN and one for FIN. A field,
   * not a getter: the receive path reads it several times per segment from functions too
   * large for V8 to inline a getter into.
   */
  readonly seqLen: number;

  constructor(
    src: Ipv4,
    readonly sport: number,
    dst: Ipv4,
    readonly dport: number,
    seq: number,
    ack: number,
    readonly flags: number,
    readonly win: number,
    readonly len: number,
  ) {
    this.src32 = src | 0;
    this.dst32 = dst | 0;
    this.seq32 = seq | 0;
    this.ack32 = ack | 0;
    this.seqLen = len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
  }

  get src(): Ipv4 {
    return this.src32 >>> 0;
  }
  get dst(): Ipv4 {
    return this.dst32 >>> 0;
  }
  get seq(): number {
    return this.seq32 >>> 0;
  }
  get ack(): number {
    return this.ack32 >>> 0;
  }
  /** TSval/TSecr of the timestamp option (RFC 7323), valid when hasTs. */
  get tsVal(): number {
    return this.tsVal32 >>> 0;
  }
  set tsVal(v: number) {
    this.tsVal32 = v | 0;
  }
  get tsEcr(): number {
    return this.tsEcr32 >>> 0;
  }
  set tsEcr(v: number) {
    this.tsEcr32 = v | 0;
  }


  fire(now: Micros): void {
    this.to!.receive(this, now);
  }

  /** A copy (for duplication faults): same fields, not yet scheduled. */
  clone(): Segment {
    return this.rewritten(this.src, this.sport, this.dst, this.dport);
  }

  /** A copy with other addresses and ports (NAT), everything else the same. */
  rewritten(src: Ipv4, sport: number, dst: Ipv4, dport: number): Segment {
    const c = new Segment(src, sport, dst, dport, this.seq, this.ack, this.flags, this.win, this.len);
    c.tsVal = this.tsVal;
    c.tsEcr = this.tsEcr;
    c.hasTs = this.hasTs;
    c.mss = this.mss;
    c.sackOk = this.sackOk;
    c.wscale = this.wscale;
    c.incarnation = this.incarnation;
    c.senderState = this.senderState;
    return c;
  }

  toString(): string {
    const ts = this.hasTs ? ` <TS val ${this.tsVal} ecr ${this.tsEcr}>` : '';
    const ack = this.flags & ACK ? ` ack ${this.ack}` : '';
    return `${formatEndpoint(this.src, this.sport)} > ${formatEndpoint(this.dst, this.dport)} ${flagString(this.flags)} seq ${this.seq}${ack} len ${this.len} win ${this.win}${ts}`;
  }
}

/** Flags as tcpdump/packetdrill print them: S, F, R, P and "." for ACK (e.g. "F.", "S."). */
export function flagString(flags: number): string {
  let s = '';
  if (flags & SYN) s += 'S';
  if (flags & FIN) s += 'F';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & ACK) s += '.';
  return s === '' ? 'none' : s;
}

/** Flags in the scenario format's letters, canonical order S A F R P (e.g. "A", "FA"). */
export function flagLetters(flags: number): string {
  let s = '';
  if (flags & SYN) s += 'S';
  if (flags & ACK) s += 'A';
  if (flags & FIN) s += 'F';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  return s;
}
