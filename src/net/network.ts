// The wire between hosts: one-way delays per link, and the seam where segment faults
// (drop, delay, duplicate) act. Hosts are found by address.

import type { EventQueue } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import type { Ipv4 } from './addr.js';
import { formatIpv4 } from './addr.js';
import type { Segment, SegmentSink } from './segment.js';

/** What a fault filter decides for one segment. */
export type Verdict = { kind: 'pass' } | { kind: 'drop' } | { kind: 'delay'; by: Micros } | { kind: 'duplicate'; after: Micros };

export const PASS: Verdict = { kind: 'pass' };

/** Decides the fate of each segment put on the wire (scenario faults, test hooks). */
export type SegmentFilter = (seg: Segment, now: Micros) => Verdict;

/** Observes every segment: sent (before the filter) and what became of it. */
export type SegmentTap = (seg: Segment, now: Micros, verdict: Verdict) => void;

/** The default one-way delay between hosts that have no link of their own (scenario v1). */
export const DEFAULT_LINK_DELAY: Micros = 50;

/**
 * A NAT in front of some hosts: their segments to the outside go through it
 * (`outbound`), and it forwards replies back with `Network.send(seg, via)`.
 */
export interface Gateway extends SegmentSink {
  readonly address: Ipv4;
  /** Whether `addr` is one of the hosts behind it. */
  isInside(addr: Ipv4): boolean;
}

interface Link {
  delay: Micros;
  /** Loss, duplication, jitter on this hop (seeded), or null. */
  impair: SegmentFilter | null;
}

export class Network {
  private readonly nodes = new Map<Ipv4, SegmentSink>();
  private readonly links = new Map<Ipv4, Map<Ipv4, Link>>();
  private readonly gateways = new Map<Ipv4, Gateway>();
  private readonly faults: SegmentFilter[] = [];
  private readonly taps: SegmentTap[] = [];
  private readonly defaultLink: Link;
  /** Segments put on the wire (each hop), those dropped, and those with nowhere to go. */
  sent = 0;
  dropped = 0;
  unroutable = 0;

  constructor(
    private readonly queue: EventQueue,
    defaultDelay: Micros = DEFAULT_LINK_DELAY,
  ) {
    this.defaultLink = { delay: defaultDelay, impair: null };
  }

  attach(address: Ipv4, node: SegmentSink): void {
    if (this.nodes.has(address)) throw new Error(`address ${formatIpv4(address)} attached twice`);
    this.nodes.set(address, node);
  }

  /** Replace what receives segments for `address` (a NAT wraps its host's stack). */
  reattach(address: Ipv4, node: SegmentSink): void {
    this.nodes.set(address, node);
  }

  /** Route the hosts behind `gw` through it. */
  addGateway(inside: Ipv4, gw: Gateway): void {
    this.gateways.set(inside, gw);
  }

  /** A link between two addresses with a one-way delay, the same both ways, and optional impairments per hop. */
  link(a: Ipv4, b: Ipv4, delay: Micros, impair: SegmentFilter | null = null): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      let m = this.links.get(x);
      if (m === undefined) this.links.set(x, (m = new Map()));
      m.set(y, { delay, impair });
    }
  }

  delay(a: Ipv4, b: Ipv4): Micros {
    return this.hop(a, b).delay;
  }

  private hop(a: Ipv4, b: Ipv4): Link {
    return this.links.get(a)?.get(b) ?? this.defaultLink;
  }

  /** Scenario faults: they see each segment once, as its sender sent it. */
  addFilter(filter: SegmentFilter): void {
    this.faults.push(filter);
  }

  addTap(tap: SegmentTap): void {
    this.taps.push(tap);
  }

  /**
   * Put a segment on the wire. A host sends with `via` unset; a gateway forwarding a
   * segment passes its own address as `via`, the start of this hop.
   */
  send(seg: Segment, via?: Ipv4): void {
    this.sent++;
    const now = this.queue.now;
    let verdict: Verdict = PASS;
    if (via === undefined) {
      for (const f of this.faults) {
        verdict = f(seg, now);
        if (verdict.kind !== 'pass') break;
      }
    }
    // Where this hop ends: the sender's gateway for the outside world, or the destination.
    const from = via ?? seg.src;
    const gw = via === undefined ? this.gateways.get(seg.src) : undefined;
    const viaGateway = gw !== undefined && !gw.isInside(seg.dst) && seg.dst !== gw.address;
    const hopTo = viaGateway ? gw.address : seg.dst;
    const link = this.hop(from, hopTo);
    if (verdict.kind === 'pass' && link.impair !== null) verdict = link.impair(seg, now);
    for (const tap of this.taps) tap(seg, now, verdict);
    const to = viaGateway ? gw : this.nodes.get(seg.dst);
    if (to === undefined) {
      this.unroutable++;
      return;
    }
    seg.to = to;
    const delay = link.delay;
    switch (verdict.kind) {
      case 'pass':
        this.queue.lane(delay).push(seg, 0);
        return;
      case 'drop':
        this.dropped++;
        return;
      case 'delay':
        this.queue.after(delay + verdict.by, seg, 0);
        return;
      case 'duplicate': {
        this.queue.lane(delay).push(seg, 0);
        const dup = seg.clone();
        dup.to = to;
        this.queue.after(delay + verdict.after, dup, 0);
        return;
      }
    }
  }
}
