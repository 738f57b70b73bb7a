// Source NAT (masquerade) as netfilter does it for TCP: the hosts behind it share its
// address; conntrack remembers each connection with a state-dependent timeout
// (nf_conntrack_proto_tcp.c tcp_timeouts) and keeps the original source port unless that
// would clash, then picks another (nf_nat_core.c nf_nat_l4proto_unique_tuple).
// Timestamps pass through untouched: behind one NAT, unrelated clocks share one address,
// which is what broke tcp_tw_recycle.

import type { EventQueue } from '../engine/queue.js';
import type { Rng } from '../engine/rng.js';
import type { Micros } from '../engine/time.js';
import { SEC } from '../engine/time.js';
import type { Ipv4 } from './addr.js';
import { endpointKey } from './addr.js';
import type { Gateway, Network } from './network.js';
import { ACK, FIN, RST, SYN } from './segment.js';
import type { Segment, SegmentSink } from './segment.js';

/** nf_conntrack_proto_tcp.c tcp_timeouts (defaults of net.netfilter.nf_conntrack_tcp_timeout_*). */
export const CONNTRACK_TIMEOUTS = {
  SYN_SENT: 120 * SEC,
  SYN_RECV: 60 * SEC,
  ESTABLISHED: 432_000 * SEC,
  FIN_WAIT: 120 * SEC,
  LAST_ACK: 30 * SEC,
  TIME_WAIT: 120 * SEC,
  CLOSE: 10 * SEC,
} as const;

export type ConntrackState = keyof typeof CONNTRACK_TIMEOUTS;

interface Conntrack {
  inAddr: Ipv4;
  inPort: number;
  dst: Ipv4;
  dport: number;
  natPort: number;
  state: ConntrackState;
  expires: Micros;
  finOrig: boolean;
  finReply: boolean;
}

/** The NAT's port range for remapped source ports (ports >= 1024 stay >= 1024). */
const NAT_PORT_MIN = 1024;
const NAT_PORT_COUNT = 65536 - NAT_PORT_MIN;

export interface NatStats {
  /** Connections tracked (expired ones leave at the next sweep or lookup) / the most seen at a sweep. */
  conntrack: number;
  conntrackPeak: number;
  /** New connections whose source port clashed and was rewritten. */
  remapped: number;
  /** Segments dropped because no port was free for their destination. */
  dropped: number;
}

export class Masquerade implements Gateway {
  readonly stats: NatStats = { conntrack: 0, conntrackPeak: 0, remapped: 0, dropped: 0 };
  /** (destination) -> inside endpoint -> entry. */
  private readonly byOrig = new Map<number, Map<number, Conntrack>>();
  /** (destination) -> NAT port -> entry. */
  private readonly byReply = new Map<number, Map<number, Conntrack>>();
  /** What receives segments for the NAT's own address: replies first, the host's own stack otherwise. */
  readonly replySink: SegmentSink;

  constructor(
    private readonly network: Network,
    private readonly queue: EventQueue,
    readonly address: Ipv4,
    private readonly inside: ReadonlySet<Ipv4>,
    private readonly rng: Rng,
    local: SegmentSink,
  ) {
    this.replySink = {
      receive: (seg, now) => {
        if (!this.inbound(seg)) local.receive(seg, now);
      },
    };
  }

  isInside(addr: Ipv4): boolean {
    return this.inside.has(addr);
  }

  /** A segment from a host behind the NAT to the outside: rewrite its source and send it on. */
  receive(seg: Segment): void {
    const now = this.queue.now;
    const dkey = endpointKey(seg.dst, seg.dport);
    let orig = this.byOrig.get(dkey);
    let ct = orig?.get(endpointKey(seg.src, seg.sport));
    if (ct !== undefined && ct.expires <= now) {
      this.remove(ct);
      ct = undefined;
    }
    if (ct === undefined) {
      const natPort = this.choosePort(seg.sport, dkey);
      if (natPort === 0) {
        this.stats.dropped++;
        return;
      }
      ct = { inAddr: seg.src, inPort: seg.sport, dst: seg.dst, dport: seg.dport, natPort, state: 'SYN_SENT', expires: 0, finOrig: false, finReply: false };
      if (orig === undefined) this.byOrig.set(dkey, (orig = new Map()));
      orig.set(endpointKey(seg.src, seg.sport), ct);
      let reply = this.byReply.get(dkey);
      if (reply === undefined) this.byReply.set(dkey, (reply = new Map()));
      reply.set(natPort, ct);
      this.stats.conntrack++;
      if (seg.flags & SYN) ct.state = 'SYN_SENT';
      else ct.state = 'ESTABLISHED'; // picked up mid-stream (nf_conntrack_tcp_loose = 1)
    }
    this.track(ct, seg, true, now);
    this.network.send(seg.rewritten(this.address, ct.natPort, seg.dst, seg.dport), this.address);
  }

  /** A segment to the NAT's address: a reply to a tracked connection goes to the host behind. */
  private inbound(seg: Segment): boolean {
    const now = this.queue.now;
    const ct = this.byReply.get(endpointKey(seg.src, seg.sport))?.get(seg.dport);
    if (ct === undefined) return false;
    if (ct.expires <= now) {
      this.remove(ct);
      return false;
    }
    this.track(ct, seg, false, now);
    this.network.send(seg.rewritten(seg.src, seg.sport, ct.inAddr, ct.inPort), this.address);
    return true;
  }

  /**
   * Keep the original port when (NAT address, port, destination) is free, else the next free
   * one from a random start; 0 when every port is taken for this destination.
   */
  private choosePort(original: number, dkey: number): number {
    const reply = this.byReply.get(dkey);
    const now = this.queue.now;
    const free = (p: number): boolean => {
      const ct = reply?.get(p);
      if (ct === undefined) return true;
      if (ct.expires <= now) {
        this.remove(ct);
        return true;
      }
      return false;
    };
    if (free(original)) return original;
    this.stats.remapped++;
    const start = this.rng.below(NAT_PORT_COUNT);
    for (let i = 0; i < NAT_PORT_COUNT; i++) {
      const p = NAT_PORT_MIN + ((start + i) % NAT_PORT_COUNT);
      if (free(p)) return p;
    }
    return 0;
  }

  /** Conntrack's view of the TCP state, simplified to what sets the timeout. */
  private track(ct: Conntrack, seg: Segment, orig: boolean, now: Micros): void {
    const f = seg.flags;
    if (f & RST) ct.state = 'CLOSE';
    else if (f & SYN && !(f & ACK) && orig) {
      // A new SYN reopens a closed or closing entry (tcp_conntrack: SYN in TIME_WAIT/CLOSE).
      if (ct.state === 'TIME_WAIT' || ct.state === 'CLOSE') {
        ct.finOrig = ct.finReply = false;
      }
      ct.state = 'SYN_SENT';
    } else if (f & SYN && f & ACK && !orig) ct.state = 'SYN_RECV';
    else if (f & FIN) {
      if (orig) ct.finOrig = true;
      else ct.finReply = true;
      ct.state = ct.finOrig && ct.finReply ? 'LAST_ACK' : 'FIN_WAIT';
    } else if (f & ACK) {
      if (ct.state === 'SYN_RECV' && orig) ct.state = 'ESTABLISHED';
      else if (ct.state === 'LAST_ACK') ct.state = 'TIME_WAIT';
    }
    ct.expires = now + CONNTRACK_TIMEOUTS[ct.state];
  }

  /** Drop expired entries; returns how many connections are tracked now. */
  sweep(): number {
    const now = this.queue.now;
    for (const m of [...this.byOrig.values()]) for (const ct of [...m.values()]) if (ct.expires <= now) this.remove(ct);
    if (this.stats.conntrack > this.stats.conntrackPeak) this.stats.conntrackPeak = this.stats.conntrack;
    return this.stats.conntrack;
  }

  private remove(ct: Conntrack): void {
    const dkey = endpointKey(ct.dst, ct.dport);
    const orig = this.byOrig.get(dkey);
    orig?.delete(endpointKey(ct.inAddr, ct.inPort));
    if (orig?.size === 0) this.byOrig.delete(dkey);
    const reply = this.byReply.get(dkey);
    reply?.delete(ct.natPort);
    if (reply?.size === 0) this.byReply.delete(dkey);
    this.stats.conntrack--;
  }
}
