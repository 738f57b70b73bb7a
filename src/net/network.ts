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

export class Network {
  private readonly nodes = new Map<Ipv4, SegmentSink>();
  private readonly delays = new Map<Ipv4, Map<Ipv4, Micros>>();
  private readonly filters: SegmentFilter[] = [];
  private readonly taps: SegmentTap[] = [];
  /** Segments put on the wire, and those a filter dropped or that had nowhere to go. */
  sent = 0;
  dropped = 0;
  unroutable = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly defaultDelay: Micros = DEFAULT_LINK_DELAY,
  ) {}

  attach(address: Ipv4, node: SegmentSink): void {
    if (this.nodes.has(address)) throw new Error(`address ${formatIpv4(address)} attached twice`);
    this.nodes.set(address, node);
  }

  /** A link between two addresses with a one-way delay, the same both ways. */
  link(a: Ipv4, b: Ipv4, delay: Micros): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      let m = this.delays.get(x);
      if (m === undefined) this.delays.set(x, (m = new Map()));
      m.set(y, delay);
    }
  }

  delay(a: Ipv4, b: Ipv4): Micros {
    return this.delays.get(a)?.get(b) ?? this.defaultDelay;
  }

  addFilter(filter: SegmentFilter): void {
    this.filters.push(filter);
  }

  addTap(tap: SegmentTap): void {
    this.taps.push(tap);
  }

  send(seg: Segment): void {
    this.sent++;
    const now = this.queue.now;
    let verdict: Verdict = PASS;
    for (const f of this.filters) {
      verdict = f(seg, now);
      if (verdict.kind !== 'pass') break;
    }
    for (const tap of this.taps) tap(seg, now, verdict);
    const to = this.nodes.get(seg.dst);
    if (to === undefined) {
      this.unroutable++;
      return;
    }
    const delay = this.delay(seg.src, seg.dst);
    seg.to = to;
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
