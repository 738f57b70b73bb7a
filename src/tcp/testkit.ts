// Test fixtures for the TCP model: two hosts on one link, a segment log, and helpers to
// drop or inject segments. Used by the *.test.ts files; not part of the model.

import { EventQueue } from '../engine/queue.js';
import { Rng } from '../engine/rng.js';
import type { Micros } from '../engine/time.js';
import { MS } from '../engine/time.js';
import { parseIpv4 } from '../net/addr.js';
import { Network, PASS } from '../net/network.js';
import type { Verdict } from '../net/network.js';
import { ACK, FIN, Segment, flagString } from '../net/segment.js';
import { TcpHost } from './host.js';
import { PROFILES } from './profile.js';
import type { TcpSocket } from './socket.js';
import { TimewaitSock } from './timewait.js';
import type { KernelProfileName, Sysctls } from './sysctl.js';
import { defaultSysctls } from './sysctl.js';

export const A_ADDR = parseIpv4('198.18.0.1')!;
export const B_ADDR = parseIpv4('198.18.0.2')!;

export interface Logged {
  t: Micros;
  seg: Segment;
  dropped: boolean;
  /** tcpdump-like: "a>b S. 0:0(0) ack 1" with relative host names. */
  text: string;
}

export interface PairOptions {
  profile?: KernelProfileName;
  a?: Partial<Record<keyof Sysctls, unknown>>;
  b?: Partial<Record<keyof Sysctls, unknown>>;
  delay?: Micros;
  seed?: number;
  /** what_if timewait_len for host a. */
  aTimewaitLen?: Micros;
}

export class Pair {
  readonly q = new EventQueue();
  readonly net: Network;
  readonly a: TcpHost;
  readonly b: TcpHost;
  readonly log: Logged[] = [];
  private drops: ((seg: Segment) => boolean)[] = [];

  constructor(o: PairOptions = {}) {
    const profile = o.profile ?? 'linux-6.18';
    this.net = new Network(this.q, o.delay ?? 1000);
    const rng = new Rng(o.seed ?? 1);
    let id = 0;
    const ids = { next: () => ++id };
    const sys = (over: PairOptions['a']): Sysctls => ({ ...defaultSysctls(profile), ...(over ?? {}) }) as Sysctls;
    this.a = new TcpHost({ name: 'a', address: A_ADDR, sysctl: sys(o.a), profile: PROFILES[profile], queue: this.q, network: this.net, rng: rng.fork('a'), ids, ...(o.aTimewaitLen !== undefined ? { timewaitLen: o.aTimewaitLen } : {}) });
    this.b = new TcpHost({ name: 'b', address: B_ADDR, sysctl: sys(o.b), profile: PROFILES[profile], queue: this.q, network: this.net, rng: rng.fork('b'), ids });
    this.net.addFilter((seg): Verdict => {
      for (let i = 0; i < this.drops.length; i++) {
        if (this.drops[i]!(seg)) {
          this.drops.splice(i, 1);
          return { kind: 'drop' };
        }
      }
      return PASS;
    });
    this.net.addTap((seg, t, v) => {
      this.log.push({ t, seg, dropped: v.kind === 'drop', text: this.describe(seg) });
    });
  }

  /** Drop the next segment matching `pred` (once). */
  dropNext(pred: (seg: Segment) => boolean): void {
    this.drops.push(pred);
  }

  /** Run the simulation until `t` (absolute, µs). */
  runUntil(t: Micros): void {
    this.q.runUntil(t);
  }

  /** Run for `d` more µs. */
  run(d: Micros): void {
    this.q.runUntil(this.q.now + d);
  }

  /** Deliver a hand-made segment to the host it is addressed to, after the link delay. */
  inject(seg: Segment): void {
    this.net.send(seg);
  }

  /** Segments sent since index `from`, as text. */
  texts(from = 0): string[] {
    return this.log.slice(from).map((l) => (l.dropped ? `${l.text} [dropped]` : l.text));
  }

  private describe(seg: Segment): string {
    const name = (addr: number): string => (addr === A_ADDR ? 'a' : addr === B_ADDR ? 'b' : '?');
    return `${name(seg.src)}>${name(seg.dst)} ${flagString(seg.flags)}${seg.len > 0 ? ` ${seg.len}` : ''}`;
  }

  /** A listener on b:port. */
  listen(port = 80, backlog = 128): TcpSocket {
    const l = this.b.socket();
    l.setReuseAddr(true);
    if (l.bind(port) !== null || l.listen(backlog) !== null) throw new Error('listen failed');
    return l;
  }

  /** Connect a -> b:port and run until both ends are ESTABLISHED; returns [client, server child]. */
  established(port = 80, listener?: TcpSocket): [TcpSocket, TcpSocket] {
    const l = listener ?? this.listen(port);
    const c = this.a.socket();
    const r = c.connect(B_ADDR, port);
    if (r !== 'EINPROGRESS') throw new Error(`connect: ${r}`);
    this.run(10_000);
    const s = l.accept();
    if (s === 'EAGAIN') throw new Error('nothing to accept');
    if (c.state !== 'ESTABLISHED' || s.state !== 'ESTABLISHED') throw new Error(`not established: ${c.state}/${s.state}`);
    return [c, s];
  }
}

/** A segment from b to a, for injection: seq/ack/flags as given, with optional timestamps. */
export function segBtoA(sport: number, dport: number, seq: number, ack: number, flags: number, len = 0, ts?: { val: number; ecr: number }): Segment {
  const s = new Segment(B_ADDR, sport, A_ADDR, dport, seq >>> 0, ack >>> 0, flags, 65535, len);
  if (ts !== undefined) {
    s.hasTs = true;
    s.tsVal = ts.val >>> 0;
    s.tsEcr = ts.ecr >>> 0;
  }
  return s;
}

/** The application closes when it reads end of stream (a server with close: after-peer). */
export function closeOnEof(s: TcpSocket): void {
  s.events.readable = (x) => {
    for (;;) {
      const n = x.recv(1 << 20);
      if (n === 0) {
        x.close();
        return;
      }
      if (typeof n !== 'number') return;
    }
  };
}

/** The client's final ACK (the one answering the server's FIN) is lost. */
export function dropLastAck(p: Pair): void {
  let sawServerFin = false;
  p.dropNext((seg) => {
    if (seg.src === B_ADDR && seg.flags & FIN) sawServerFin = true;
    return sawServerFin && seg.src === A_ADDR && seg.flags === ACK;
  });
}

/** A client socket with SO_REUSEADDR bound to a's `port`, connecting to b:80. */
export function connectFrom(p: Pair, port = 40000): TcpSocket {
  const c = p.a.socket();
  c.setReuseAddr(true);
  if (c.bind(port) !== null) throw new Error(`bind ${port} failed`);
  c.connect(B_ADDR, 80);
  return c;
}

/**
 * One connection from a's port 40000 that the server (b) closes first, so b holds the
 * TIME_WAIT; returns the listener and that timewait socket.
 */
export function serverHoldsTimeWait(p: Pair): { listener: TcpSocket; tw: TimewaitSock } {
  const listener = p.listen();
  const c = connectFrom(p);
  p.run(10 * MS);
  const s = listener.accept();
  if (s === 'EAGAIN') throw new Error('nothing to accept');
  closeOnEof(c);
  s.close();
  p.run(10 * MS);
  const tw = p.b.lookup(A_ADDR, 40000, 80);
  if (!(tw instanceof TimewaitSock)) throw new Error('no TIME_WAIT on the server');
  return { listener, tw };
}
