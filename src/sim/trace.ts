// Packet ladders: for chosen connections, every segment on the wire (with its fate: passed,
// dropped, delayed, duplicated, and when it arrived) and every state change on either side.
// The report draws them (report/ladder-svg.ts, report/ladder-text.ts); nothing here renders.
//
// A ladder is one 4-tuple as it appears on one stretch of wire: a connection behind a NAT
// has one ladder with its inside addresses and one with the NAT's (each hop keyed by its own
// addresses, as tcpdump on that wire would see it). A 4-tuple used again later (a new
// connection from the same port) stays on the same ladder: that is what the article's
// figures are about.
//
// Memory and time stay bounded: the first `first` 4-tuples are recorded, plus those matching
// `match`. The next TENTATIVE_BUDGET connections are recorded tentatively and kept only when
// something went wrong on them (RST, drop, retransmission, a handshake that never
// completed), up to `troubled` of them; a tentative recording is dropped as soon as its
// connection ends well. Beyond that nothing is recorded, but the first connections that
// send an RST or lose a segment are still named (`unrecorded`), so that --trace can draw
// them. Long runs of plain data segments are folded into one "elided" event, and a ladder
// stops at MAX_EVENTS.

import type { Micros } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import { endpointKey, formatIpv4, parseIpv4 } from '../net/addr.js';
import type { Verdict } from '../net/network.js';
import type { Segment } from '../net/segment.js';
import { FIN, RST, SYN, flagString } from '../net/segment.js';
import type { Scenario } from '../scenario/types.js';
import type { TcpHost } from '../tcp/host.js';
import { before, seqAdd } from '../tcp/seq.js';
import type { TcpState } from '../tcp/state.js';
import type { World } from './world.js';

/** How many 4-tuples are recorded in the order they first appear, by default. */
export const DEFAULT_FIRST_LADDERS = 200;
/** Connections beyond the first ones kept because something went wrong on them. */
export const EXTRA_LADDERS = 50;
/** Connections matching `match` recorded at most (a pattern with a wildcard port can match many). */
export const MAX_TRACED = 200;
/** A ladder stops recording after this many events (it is then marked truncated). */
export const MAX_EVENTS = 2000;
/** Plain data segments in a row shown before folding, and the last ones shown after the fold. */
const RUN_HEAD = 6;
const RUN_TAIL = 3;
/** Connections after the first ones recorded tentatively, looking for trouble (each costs time). */
export const TENTATIVE_BUDGET = 20_000;
/** Connections with trouble beyond the recorded ones, named without a ladder. */
export const UNRECORDED_NAMED = 20;
/** Tentative ladders of open connections held at once; beyond, the oldest half is let go. */
const TENTATIVE_CAP = 4096;

/** What to record: the first N connections, and any matching one of `match`. */
export interface TraceSpec {
  /** Record the first this many 4-tuples (default DEFAULT_FIRST_LADDERS). */
  first?: number;
  /** Connections to record whenever they appear (`--trace`). */
  match?: readonly TraceMatch[];
  /** Beyond the first ones, keep up to this many connections that had trouble (default EXTRA_LADDERS). */
  troubled?: number;
}

/** One `--trace` pattern: two endpoints, either order; a null port matches any. */
export interface TraceMatch {
  text: string;
  ends: [{ address: Ipv4; port: number | null }, { address: Ipv4; port: number | null }];
}

/** A `--trace` pattern that does not parse or names an unknown host. */
export class TraceSpecError extends Error {
  override readonly name = 'TraceSpecError';
}

/**
 * `HOST[:PORT]->HOST[:PORT]` (HOST a host name of the scenario or an IPv4 address; PORT a
 * number or `*`), e.g. `client:40312->server:80` or `lb->web1:80`.
 */
export function parseTraceMatch(text: string, scenario: Scenario): TraceMatch {
  const sides = text.split('->');
  if (sides.length !== 2) throw new TraceSpecError(`${text}: expected HOST[:PORT]->HOST[:PORT], e.g. client:40312->server:80`);
  const ends = sides.map((side) => {
    const m = /^([^:\s]+)(?::(\d+|\*))?$/.exec(side.trim());
    if (m === null) throw new TraceSpecError(`${text}: "${side}" is not HOST or HOST:PORT`);
    const name = m[1]!;
    const host = scenario.hosts.find((h) => h.name === name);
    const address = host !== undefined ? parseIpv4(host.address) : parseIpv4(name);
    if (address === null) {
      throw new TraceSpecError(`${text}: no host "${name}" in scenario ${scenario.name}; hosts: ${scenario.hosts.map((h) => h.name).join(', ')}`);
    }
    const portText = m[2];
    const port = portText === undefined || portText === '*' ? null : Number(portText);
    if (port !== null && (port < 1 || port > 65535)) throw new TraceSpecError(`${text}: port ${port} is out of range; allowed: 1..65535 or *`);
    return { address, port };
  });
  return { text, ends: [ends[0]!, ends[1]!] };
}

/** One side of a ladder. */
export interface LadderEnd {
  /** The scenario's host name for the address, or the address when no host has it. */
  host: string;
  address: string;
  port: number;
}

/** Where one copy of a segment arrived. */
export interface Arrival {
  at: Micros;
  /** The network's extra copy of a duplicated segment. */
  copy: boolean;
  /** Sent by an older connection on this 4-tuple than the sender's newest when it arrived. */
  stale: boolean;
}

export interface SegmentEvent {
  kind: 'segment';
  /** When it was put on the wire. */
  t: Micros;
  /** Which end sent it (index into `ends`). */
  from: 0 | 1;
  /** As tcpdump prints them: `S`, `S.`, `.`, `P.`, `F.`, `R`, `R.`. */
  flags: string;
  seq: number;
  /** Only meaningful when flags contain `.`. */
  ack: number;
  len: number;
  win: number;
  /** The timestamp option (RFC 7323), or null when absent. */
  ts: { val: number; ecr: number } | null;
  fate: Verdict['kind'];
  /** Empty for a drop; two for a duplicate. */
  arrivals: Arrival[];
  /** The sender already sent this sequence space (by seq, not by the stack's own count). */
  retransmission: boolean;
  /** Which of the sender end's connections on this 4-tuple sent it: 1 the first; 0 none (e.g. an RST from a closed port). */
  conn: number;
  /** The sending socket's state ('' when none). */
  senderState: string;
}

export interface StateEvent {
  kind: 'state';
  t: Micros;
  end: 0 | 1;
  from: TcpState;
  to: TcpState;
}

/** Plain data segments folded together (neither end changed state, nothing dropped or resent). */
export interface ElidedEvent {
  kind: 'elided';
  t: Micros;
  until: Micros;
  /** Segments and payload bytes each end sent in the fold. */
  segments: [number, number];
  bytes: [number, number];
}

export type LadderEvent = SegmentEvent | StateEvent | ElidedEvent;

/** Why a ladder is worth a look. */
export type LadderMark = 'rst' | 'drop' | 'retransmission' | 'stale' | 'unestablished';

export interface Ladder {
  /** Order among the run's 4-tuples by first appearance (0 = the first). */
  order: number;
  /** [0] the end that spoke first (normally the connecting side). */
  ends: [LadderEnd, LadderEnd];
  /** In time order of sending / changing state. */
  events: LadderEvent[];
  marks: LadderMark[];
  /** Matched a `--trace` pattern. */
  traced: boolean;
  /** Connections each end had on this 4-tuple. */
  connections: [number, number];
  /** Stopped at MAX_EVENTS. */
  truncated: boolean;
}

/** New connections per series interval, per host: connect() calls that sent a SYN, and handshakes completed by a listener. */
export interface Opens {
  interval_s: number;
  /** Sample times (s), as in the result's series: value k counts (t[k-1], t[k]]. */
  t: number[];
  hosts: Record<string, { connect: number[]; accept: number[] }>;
}

/** A connection that sent an RST or lost a segment but was not recorded. */
export interface Unrecorded {
  ends: [LadderEnd, LadderEnd];
  /** When it first happened. */
  t: Micros;
  mark: 'rst' | 'drop';
}

export interface Trace {
  ladders: Ladder[];
  opens: Opens;
  /** The first UNRECORDED_NAMED connections with an RST or a drop that have no ladder. */
  unrecorded: Unrecorded[];
}

type EndState = TcpState | '';

/** A ladder being recorded. */
class Recording {
  readonly events: LadderEvent[] = [];
  readonly marks = new Set<LadderMark>();
  readonly ends: [LadderEnd, LadderEnd];
  readonly keys: [number, number];
  /** Incarnations each end has used on this 4-tuple, in order; with when each first appeared. */
  readonly incs: [number[], number[]] = [[], []];
  readonly incFirst: [Micros[], Micros[]] = [[], []];
  /** Highest sequence number sent (seq + seqLen) per incarnation. */
  readonly sndMax = new Map<number, number>();
  readonly state: [EndState, EndState] = ['', ''];
  established = false;
  truncated = false;
  // The current run of plain segments: how many so far, the last few, and what was folded.
  private run = 0;
  private tail: SegmentEvent[] = [];
  private folded: ElidedEvent | null = null;

  constructor(
    readonly order: number,
    a: LadderEnd,
    ka: number,
    b: LadderEnd,
    kb: number,
    public kept: boolean,
    readonly traced: boolean,
  ) {
    this.ends = [a, b];
    this.keys = [ka, kb];
  }

  end(key: number): 0 | 1 {
    return key === this.keys[0] ? 0 : 1;
  }

  /** The 1-based number of incarnation `inc` at end `e`, registering it if new; 0 for none. */
  conn(e: 0 | 1, inc: number, now: Micros): number {
    if (inc === 0) return 0;
    const list = this.incs[e];
    const i = list.lastIndexOf(inc);
    if (i >= 0) return i + 1;
    list.push(inc);
    this.incFirst[e].push(now);
    return list.length;
  }

  push(ev: LadderEvent, plain: boolean): void {
    if (this.truncated) return;
    if (plain && ev.kind === 'segment') {
      this.run++;
      if (this.run <= RUN_HEAD) {
        this.add(ev);
        return;
      }
      this.tail.push(ev);
      if (this.tail.length > RUN_TAIL) this.fold(this.tail.shift()!);
      return;
    }
    this.flush();
    this.run = 0;
    this.add(ev);
  }

  /** A state change of end `e`; a socket handing over to another one is folded into one change. */
  pushState(e: 0 | 1, from: TcpState, to: TcpState, now: Micros): void {
    const cur = this.state[e];
    // A full socket leaving for CLOSE after a timewait socket took over its 4-tuple.
    if (cur !== '' && cur !== from && to === 'CLOSE') return;
    this.state[e] = to;
    if (to === 'ESTABLISHED') this.established = true;
    // A request socket's CLOSE followed at once by the child socket's CLOSE -> SYN_RECV: one socket to the reader.
    const prev = from === 'CLOSE' && to === 'SYN_RECV' ? this.lastStateOf(e, now) : null;
    if (prev !== null && prev.to === 'CLOSE') {
      prev.to = to;
      if (prev.from === prev.to) this.events.splice(this.events.indexOf(prev), 1);
      return;
    }
    this.push({ kind: 'state', t: now, end: e, from, to }, false);
  }

  private lastStateOf(e: 0 | 1, now: Micros): StateEvent | null {
    for (let i = this.events.length - 1; i >= 0 && i >= this.events.length - 4; i--) {
      const ev = this.events[i]!;
      if (ev.t !== now) return null;
      if (ev.kind === 'state' && ev.end === e) return ev;
    }
    return null;
  }

  flush(): void {
    if (this.folded !== null) {
      this.add(this.folded);
      this.folded = null;
    }
    for (const ev of this.tail) this.add(ev);
    this.tail = [];
  }

  private fold(ev: SegmentEvent): void {
    const f = (this.folded ??= { kind: 'elided', t: ev.t, until: ev.t, segments: [0, 0], bytes: [0, 0] });
    f.until = ev.t;
    f.segments[ev.from]++;
    f.bytes[ev.from] += ev.len;
  }

  private add(ev: LadderEvent): void {
    if (this.events.length >= MAX_EVENTS) {
      this.truncated = true;
      return;
    }
    this.events.push(ev);
  }

  /** Marks arrivals of an old connection's segments, after a newer connection of its sender began. */
  markStale(): void {
    for (const ev of this.events) {
      if (ev.kind !== 'segment' || ev.conn === 0) continue;
      const newer = this.incFirst[ev.from][ev.conn];
      if (newer === undefined) continue;
      for (const a of ev.arrivals) {
        if (a.at > newer) {
          a.stale = true;
          this.marks.add('stale');
        }
      }
    }
  }

  /** Marks that need the whole recording: old connections' segments, a handshake that never completed. */
  judge(): void {
    this.markStale();
    if (!this.established && this.events.some((e) => e.kind === 'segment' && e.flags === 'S')) this.marks.add('unestablished');
  }

  closed(): boolean {
    const done = (s: EndState): boolean => s === '' || s === 'CLOSE' || s === 'TIME_WAIT';
    return done(this.state[0]) && done(this.state[1]);
  }

  toLadder(): Ladder {
    this.flush();
    this.judge();
    const order: LadderMark[] = ['rst', 'drop', 'retransmission', 'stale', 'unestablished'];
    return {
      order: this.order,
      ends: this.ends,
      events: this.events,
      marks: order.filter((m) => this.marks.has(m)),
      traced: this.traced,
      connections: [this.incs[0].length, this.incs[1].length],
      truncated: this.truncated,
    };
  }
}

/** Records ladders and new-connection counts of one world, through its network tap and host observers. */
export class Tracer {
  private readonly first: number;
  private readonly troubled: number;
  private readonly match: readonly TraceMatch[];
  /** The recordings by 4-tuple: lower endpoint key -> higher endpoint key -> recording. */
  private readonly byTuple = new Map<number, Map<number, Recording>>();
  private readonly kept: Recording[] = [];
  private readonly tentative = new Set<Recording>();
  private readonly names = new Map<Ipv4, string>();
  /** Inside address -> the address of the NAT it goes out through. */
  private readonly gateways = new Map<Ipv4, Ipv4>();
  private readonly insideOf = new Map<Ipv4, Set<Ipv4>>();
  private readonly openCounts = new Map<string, { connect: number[]; accept: number[] }>();
  private firstTaken = 0;
  private tracedTaken = 0;
  private extras = 0;
  private tentatives = 0;
  private readonly unrecorded: Unrecorded[] = [];
  /** 4-tuples already in `unrecorded` (lower key -> higher keys). */
  private readonly named = new Map<number, Set<number>>();
  /**
   * Recordings per (port ^ port): most segments belong to no recording, and this tells so
   * before any 4-tuple key is built (those are doubles, and a million of them keep the
   * collector busy). A hit only means "look it up".
   */
  private readonly portFilter = new Uint16Array(65536);
  private orders = 0;

  constructor(
    private readonly world: World,
    spec: TraceSpec,
  ) {
    this.first = spec.first ?? DEFAULT_FIRST_LADDERS;
    this.troubled = spec.troubled ?? EXTRA_LADDERS;
    this.match = spec.match ?? [];
    for (const [name, h] of world.hosts) {
      this.names.set(h.address, name);
      this.openCounts.set(name, { connect: [], accept: [] });
    }
    for (const h of world.scenario.hosts) {
      if (h.nat === undefined) continue;
      const gw = world.hostAddress(h.name);
      const inside = new Set(h.nat.inside.map((n) => world.hostAddress(n)));
      this.insideOf.set(gw, inside);
      for (const a of inside) this.gateways.set(a, gw);
    }
  }

  /** Start listening: the network tap and every host's state observer. */
  attach(): void {
    this.world.network.addTap((seg, now, verdict) => this.segment(seg, now, verdict));
    for (const host of this.world.hosts.values()) {
      host.observer = (h, lport, raddr, rport, prev, next) => this.stateChange(h, lport, raddr, rport, prev, next);
    }
  }

  /** The ladders (kept ones, in order of first appearance) and new connections per interval. */
  finish(series: { interval_s: number; t: number[] }): Trace {
    const ladders = this.kept.map((r) => r.toLadder()).sort((a, b) => a.order - b.order);
    const hosts: Opens['hosts'] = {};
    const n = series.t.length;
    for (const [name, c] of this.openCounts) {
      hosts[name] = { connect: padded(c.connect, n), accept: padded(c.accept, n) };
    }
    return { ladders, opens: { interval_s: series.interval_s, t: series.t, hosts }, unrecorded: this.unrecorded };
  }

  private segment(seg: Segment, now: Micros, verdict: Verdict): void {
    if (this.unrecordable(seg.sport, seg.dport)) {
      if (seg.flags & RST || verdict.kind === 'drop') this.segmentUnrecorded(seg, now);
      return;
    }
    const ka = endpointKey(seg.src, seg.sport);
    const kb = endpointKey(seg.dst, seg.dport);
    const rec = this.recording(seg.src, seg.sport, ka, seg.dst, seg.dport, kb);
    if (rec === undefined) {
      if (seg.flags & RST || verdict.kind === 'drop') this.segmentUnrecorded(seg, now);
      return;
    }
    const from = rec.end(ka);
    const conn = rec.conn(from, seg.incarnation, now);
    const flags = seg.flags;
    const seqLen = seg.seqLen;
    let retransmission = false;
    if (seqLen > 0 && seg.incarnation !== 0) {
      const end = seqAdd(seg.seq, seqLen);
      const max = rec.sndMax.get(seg.incarnation);
      if (max !== undefined && before(seg.seq, max)) retransmission = true;
      if (max === undefined || before(max, end)) rec.sndMax.set(seg.incarnation, end);
    }
    const delay = this.hopDelay(seg);
    const arrivals: Arrival[] = [];
    switch (verdict.kind) {
      case 'pass':
        arrivals.push({ at: now + delay, copy: false, stale: false });
        break;
      case 'drop':
        rec.marks.add('drop');
        break;
      case 'delay':
        arrivals.push({ at: now + delay + verdict.by, copy: false, stale: false });
        break;
      case 'duplicate':
        arrivals.push({ at: now + delay, copy: false, stale: false }, { at: now + delay + verdict.after, copy: true, stale: false });
        break;
    }
    if (flags & RST) rec.marks.add('rst');
    if (retransmission) rec.marks.add('retransmission');
    const ev: SegmentEvent = {
      kind: 'segment',
      t: now,
      from,
      flags: flagString(flags),
      seq: seg.seq,
      ack: seg.ack,
      len: seg.len,
      win: seg.win,
      ts: seg.hasTs ? { val: seg.tsVal, ecr: seg.tsEcr } : null,
      fate: verdict.kind,
      arrivals,
      retransmission,
      conn,
      senderState: seg.senderState,
    };
    // Plain: data or a bare ACK of the sender's newest connection, passed and first sent.
    const plain = verdict.kind === 'pass' && !retransmission && (flags & (SYN | FIN | RST)) === 0 && conn === rec.incs[from].length;
    rec.push(ev, plain);
    this.promoteIfMarked(rec);
  }

  private stateChange(host: TcpHost, lport: number, raddr: Ipv4, rport: number, prev: TcpState, next: TcpState): void {
    const now = this.world.queue.now;
    if (prev === 'CLOSE' && next === 'SYN_SENT') this.countOpen(host.name, 'connect', now);
    if (prev === 'SYN_RECV' && next === 'ESTABLISHED') this.countOpen(host.name, 'accept', now);
    if (raddr === 0) return; // a listener: no connection
    if (this.unrecordable(lport, rport)) return;
    const ka = endpointKey(host.address, lport);
    const kb = endpointKey(raddr, rport);
    const rec = this.recording(host.address, lport, ka, raddr, rport, kb);
    if (rec === undefined) return;
    rec.pushState(rec.end(ka), prev, next, now);
    // A tentative connection that ended without trouble is let go at once: holding on to
    // thousands of them is what would cost (memory and the collector's time).
    if (!rec.kept && rec.closed()) {
      rec.judge();
      this.promoteIfMarked(rec);
      if (!rec.kept) this.forget(rec);
    }
  }

  private countOpen(host: string, kind: 'connect' | 'accept', now: Micros): void {
    const interval = this.world.scenario.series;
    const k = Math.ceil(now / interval);
    const arr = this.openCounts.get(host)![kind];
    while (arr.length <= k) arr.push(0);
    arr[k]!++;
  }

  /** Nothing new will be recorded and no recording has these ports: the segment or change is not ours. */
  private unrecordable(pa: number, pb: number): boolean {
    return this.portFilter[(pa ^ pb) & 0xffff] === 0 && this.match.length === 0 && this.firstTaken >= this.first && (this.extras >= this.troubled || this.tentatives >= TENTATIVE_BUDGET);
  }

  /** An RST or a dropped segment on a connection without a recording: named for --trace. */
  private segmentUnrecorded(seg: Segment, now: Micros): void {
    const ka = endpointKey(seg.src, seg.sport);
    const kb = endpointKey(seg.dst, seg.dport);
    if (this.recording(seg.src, seg.sport, ka, seg.dst, seg.dport, kb, false) !== undefined) return;
    this.name(seg, ka, kb, now, seg.flags & RST ? 'rst' : 'drop');
  }

  /** The recording for a 4-tuple; a new one when the policy wants it; undefined when not recorded. */
  private recording(a: Ipv4, pa: number, ka: number, b: Ipv4, pb: number, kb: number, create = true): Recording | undefined {
    const lo = ka < kb ? ka : kb;
    const hi = ka < kb ? kb : ka;
    let inner = this.byTuple.get(lo);
    const found = inner?.get(hi);
    if (found !== undefined || !create) return found;
    let traced = false;
    for (const m of this.match) if (this.tracedTaken < MAX_TRACED && matches(m, a, pa, b, pb)) traced = true;
    if (traced) this.tracedTaken++;
    let kept = traced;
    if (!kept && this.firstTaken < this.first) {
      this.firstTaken++;
      kept = true;
    }
    if (!kept && (this.extras >= this.troubled || this.tentatives >= TENTATIVE_BUDGET)) return undefined;
    if (!kept) this.tentatives++;
    const rec = new Recording(this.orders++, this.endOf(a, pa), ka, this.endOf(b, pb), kb, kept, traced);
    if (inner === undefined) this.byTuple.set(lo, (inner = new Map()));
    inner.set(hi, rec);
    this.portFilter[(pa ^ pb) & 0xffff]!++;
    if (kept) this.kept.push(rec);
    else {
      this.tentative.add(rec);
      if (this.tentative.size > TENTATIVE_CAP) this.sweep();
    }
    return rec;
  }

  /** Remembers an unrecorded connection's first RST or drop, for the first UNRECORDED_NAMED of them. */
  private name(seg: Segment, ka: number, kb: number, now: Micros, mark: Unrecorded['mark']): void {
    if (this.unrecorded.length >= UNRECORDED_NAMED) return;
    const lo = ka < kb ? ka : kb;
    const hi = ka < kb ? kb : ka;
    let his = this.named.get(lo);
    if (his?.has(hi)) return;
    if (his === undefined) this.named.set(lo, (his = new Set()));
    his.add(hi);
    this.unrecorded.push({ ends: [this.endOf(seg.src, seg.sport), this.endOf(seg.dst, seg.dport)], t: now, mark });
  }

  private promoteIfMarked(rec: Recording): void {
    if (rec.kept || rec.marks.size === 0 || this.extras >= this.troubled) return;
    rec.kept = true;
    this.extras++;
    this.tentative.delete(rec);
    this.kept.push(rec);
  }

  /** Too many tentative connections open at once (long-lived ones): let the oldest half go. */
  private sweep(): void {
    for (const rec of this.tentative) {
      if (this.tentative.size <= TENTATIVE_CAP / 2) break;
      this.forget(rec);
    }
  }

  private forget(rec: Recording): void {
    this.tentative.delete(rec);
    const [ka, kb] = rec.keys;
    const lo = ka < kb ? ka : kb;
    const hi = ka < kb ? kb : ka;
    const inner = this.byTuple.get(lo);
    inner?.delete(hi);
    if (inner?.size === 0) this.byTuple.delete(lo);
    this.portFilter[(ka % 65536 ^ kb % 65536) & 0xffff]!--;
  }

  private endOf(address: Ipv4, port: number): LadderEnd {
    const text = formatIpv4(address);
    return { host: this.names.get(address) ?? text, address: text, port };
  }

  /** The link delay of the hop this segment takes (as Network.send routes it: through a NAT or not). */
  private hopDelay(seg: Segment): Micros {
    const src = seg.src;
    const dst = seg.dst;
    const outGw = this.gateways.get(src);
    if (outGw !== undefined && outGw !== dst && !this.insideOf.get(outGw)!.has(dst)) return this.world.network.delay(src, outGw);
    const inGw = this.gateways.get(dst);
    if (inGw !== undefined && inGw !== src && !this.insideOf.get(inGw)!.has(src)) return this.world.network.delay(inGw, dst);
    return this.world.network.delay(src, dst);
  }
}

function matches(m: TraceMatch, a: Ipv4, pa: number, b: Ipv4, pb: number): boolean {
  const [x, y] = m.ends;
  const is = (e: { address: Ipv4; port: number | null }, addr: Ipv4, port: number): boolean => e.address === addr && (e.port === null || e.port === port);
  return (is(x, a, pa) && is(y, b, pb)) || (is(x, b, pb) && is(y, a, pa));
}

function padded(values: number[], n: number): number[] {
  const out = values.slice(0, n);
  while (out.length < n) out.push(0);
  return out;
}
