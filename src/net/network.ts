// The wire between hosts: one-way delays per link, and the seam where segment faults
// (drop, delay, duplicate) act. Hosts are found by address.

import type { EventQueue, Lane, LaneHandler } from '../engine/queue.js';
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

/** Where a host's segment to one destination goes: worked out once, then cached. */
export interface Route {
  /** The hop's end: the destination, or the sender's gateway; undefined when unroutable. */
  to: SegmentSink | undefined;
  link: Link;
  /** The FIFO lane of the hop's delay. */
  lane: Lane;
}

/** Slots of a RouteCache's direct-mapped table (a power of two). */
const ROUTE_SLOTS = 8;

function slotOf(dst32: number): number {
  return (dst32 ^ (dst32 >>> 8) ^ (dst32 >>> 16)) & (ROUTE_SLOTS - 1);
}

/**
 * The routes of segments sent from one address, by destination. A host sends to few
 * destinations, so a small direct-mapped table in front of the Map answers nearly every
 * segment with one compare instead of a Map lookup.
 */
export class RouteCache {
  constructor(
    /** The sender whose routes these are. */
    readonly src: Ipv4,
  ) {}
  private readonly keys = new Int32Array(ROUTE_SLOTS);
  private readonly slots: (Route | undefined)[] = new Array<Route | undefined>(ROUTE_SLOTS).fill(undefined);
  private readonly all = new Map<number, Route>();

  /** The route to `dst32` (an address as int32), or undefined when not worked out yet. */
  get(dst32: number): Route | undefined {
    const i = slotOf(dst32);
    const hit = this.slots[i];
    if (hit !== undefined && this.keys[i] === dst32) return hit;
    const route = this.all.get(dst32);
    if (route !== undefined) {
      this.keys[i] = dst32;
      this.slots[i] = route;
    }
    return route;
  }

  set(dst32: number, route: Route): void {
    this.all.set(dst32, route);
    const i = slotOf(dst32);
    this.keys[i] = dst32;
    this.slots[i] = route;
  }

  clear(): void {
    this.all.clear();
    this.slots.fill(undefined);
  }
}

export class Network {
  private readonly nodes = new Map<Ipv4, SegmentSink>();
  private readonly links = new Map<Ipv4, Map<Ipv4, Link>>();
  private readonly gateways = new Map<Ipv4, Gateway>();
  private readonly faults: SegmentFilter[] = [];
  private readonly taps: SegmentTap[] = [];
  private readonly defaultLink: Link;
  /** One FIFO lane per link delay; its items are segments, handed to `arrive`. */
  private readonly lanes = new Map<Micros, Lane>();
  private readonly arrivals: LaneHandler = {
    fireItem: (now: Micros, item: object) => {
      const seg = item as Segment;
      seg.to!.receive(seg, now);
    },
  };
  /**
   * Routes of segments sent by hosts: source -> destination -> route (int32 keys). A host
   * keeps its own map (routesFrom) and sends with it, one lookup per segment instead of two;
   * so a topology change empties the maps in place (forgetRoutes) rather than replacing them.
   */
  private readonly routes = new Map<number, RouteCache>();
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
    this.forgetRoutes();
  }

  /** Replace what receives segments for `address` (a NAT wraps its host's stack). */
  reattach(address: Ipv4, node: SegmentSink): void {
    this.nodes.set(address, node);
    this.forgetRoutes();
  }

  /** Route the hosts behind `gw` through it. */
  addGateway(inside: Ipv4, gw: Gateway): void {
    this.gateways.set(inside, gw);
    this.forgetRoutes();
  }

  /** A link between two addresses with a one-way delay, the same both ways, and optional impairments per hop. */
  link(a: Ipv4, b: Ipv4, delay: Micros, impair: SegmentFilter | null = null): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      let m = this.links.get(x);
      if (m === undefined) this.links.set(x, (m = new Map()));
      m.set(y, { delay, impair });
    }
    this.forgetRoutes();
  }

  /** The route cache of segments sent from `src`, for `sendFrom`. */
  routesFrom(src: Ipv4): RouteCache {
    let bySrc = this.routes.get(src | 0);
    if (bySrc === undefined) this.routes.set(src | 0, (bySrc = new RouteCache(src)));
    return bySrc;
  }

  private forgetRoutes(): void {
    for (const bySrc of this.routes.values()) bySrc.clear();
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
    if (via !== undefined) {
      this.forward(seg, via);
      return;
    }
    this.sendFrom(seg, this.routesFrom(seg.src32));
  }

  /** Put a host's segment on the wire, `routes` being routesFrom(the host's address): the route is the host's, whatever the segment says. */
  sendFrom(seg: Segment, routes: RouteCache): void {
    this.sent++;
    const now = this.queue.now;
    let verdict: Verdict = PASS;
    for (let i = 0; i < this.faults.length; i++) {
      verdict = this.faults[i]!(seg, now);
      if (verdict.kind !== 'pass') break;
    }
    let route = routes.get(seg.dst32);
    if (route === undefined) routes.set(seg.dst32, (route = this.route(routes.src, seg.dst)));
    const link = route.link;
    if (verdict.kind === 'pass' && link.impair !== null) verdict = link.impair(seg, now);
    this.deliver(seg, now, verdict, route.to, link, route.lane);
  }

  /** A host's segment from `src` to `dst`: through its gateway for the outside world, or straight there. */
  private route(src: Ipv4, dst: Ipv4): Route {
    const gw = this.gateways.get(src);
    const viaGateway = gw !== undefined && !gw.isInside(dst) && dst !== gw.address;
    const link = this.hop(src, viaGateway ? gw.address : dst);
    return { to: viaGateway ? gw : this.nodes.get(dst), link, lane: this.lane(link.delay) };
  }

  /** A gateway forwards a segment: the hop starts at the gateway, with no scenario faults. */
  private forward(seg: Segment, via: Ipv4): void {
    this.sent++;
    const now = this.queue.now;
    const link = this.hop(via, seg.dst);
    const verdict = link.impair !== null ? link.impair(seg, now) : PASS;
    this.deliver(seg, now, verdict, this.nodes.get(seg.dst), link, this.lane(link.delay));
  }

  /** The lane of a link delay: segments sent over links of one delay arrive in the order sent. */
  private lane(delay: Micros): Lane {
    let lane = this.lanes.get(delay);
    if (lane === undefined) this.lanes.set(delay, (lane = this.queue.lane(delay, this.arrivals)));
    return lane;
  }

  private deliver(seg: Segment, now: Micros, verdict: Verdict, to: SegmentSink | undefined, link: Link, lane: Lane): void {
    for (let i = 0; i < this.taps.length; i++) this.taps[i]!(seg, now, verdict);
    if (to === undefined) {
      this.unroutable++;
      return;
    }
    seg.to = to;
    switch (verdict.kind) {
      case 'pass':
        lane.push(seg, 0);
        return;
      case 'drop':
        this.dropped++;
        return;
      case 'delay':
        this.queue.after(link.delay + verdict.by, seg, 0);
        return;
      case 'duplicate': {
        lane.push(seg, 0);
        const dup = seg.clone();
        dup.to = to;
        this.queue.after(link.delay + verdict.after, dup, 0);
        return;
      }
    }
  }
}
