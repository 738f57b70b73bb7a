// The applications of a scenario, written against the model's socket API as a real
// program would be: clients (open loop or serial), servers and L7 proxies.
//
// The exchange: the connecting side sends request_bytes (registered with the world, as a
// length header would tell a real server), the other side answers with its response once
// the request is in. A client knows the response length from the scenario (the target's
// response_bytes, through proxies).

import type { Due } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import { parseIpv4 } from '../net/addr.js';
import type { Ipv4 } from '../net/addr.js';
import type { ClientSpec, Endpoint, Linger, ProxySpec, ServerSpec } from '../scenario/types.js';
import type { Errno } from '../tcp/errno.js';
import type { TcpHost } from '../tcp/host.js';
import type { TcpSocket } from '../tcp/socket.js';
import type { World } from './world.js';
import { arrivalTime } from './world.js';

/** A growable list of numbers (connect times, probes), cheap for 100 000s of entries. */
export class Samples {
  private data = new Float64Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  /**
   * The values at 0-based ranks `lo` <= `hi` of the sorted samples (quickselect on a copy:
   * O(n), where sorting the 100 000s of samples a long run keeps took ~3 % of article-lb).
   */
  ranks(lo: number, hi: number): [number, number] {
    const a = this.data.slice(0, this.length);
    select(a, hi, 0, a.length - 1);
    // Everything before rank hi is now no larger than it: rank lo lies in a[0..hi].
    select(a, lo, 0, hi);
    return [a[lo]!, a[hi]!];
  }

  max(): number {
    let m = -Infinity;
    for (let i = 0; i < this.length; i++) if (this.data[i]! > m) m = this.data[i]!;
    return m;
  }
}

/** Rearrange a[from..to] so that a[k] holds the value of rank k in it (Hoare's selection). */
function select(a: Float64Array, k: number, from: number, to: number): void {
  let l = from;
  let r = to;
  while (l < r) {
    // Median of three as the pivot: sorted or constant input (connect times often are) stays O(n).
    const m = (l + r) >>> 1;
    const x = a[l]!;
    const y = a[m]!;
    const z = a[r]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[l..j] <= pivot <= a[i..r], and a[j+1..i-1] (if any) equal the pivot.
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return;
  }
}

/** Errors by errno name; the four the result always shows start at zero. */
export function errorCounts(): Record<string, number> {
  return { EADDRNOTAVAIL: 0, ECONNREFUSED: 0, ETIMEDOUT: 0, ECONNRESET: 0 };
}

/** Counts errors by errno and remembers when each first happened (seconds). */
export class ErrorLog {
  readonly counts = errorCounts();
  readonly first: Record<string, number> = {};
  /** Errors since the sampler last looked. */
  interval = 0;
  add(err: string, now: Micros): void {
    this.counts[err] = (this.counts[err] ?? 0) + 1;
    if (this.first[err] === undefined) this.first[err] = now / 1_000_000;
    this.interval++;
  }
}

/** Read everything available; returns bytes read, and whether the stream ended. */
function drain(s: TcpSocket): { bytes: number; eof: boolean } {
  let bytes = 0;
  for (;;) {
    const n = s.recv(1 << 30);
    if (n === 0) return { bytes, eof: true };
    if (typeof n !== 'number') return { bytes, eof: n !== 'EAGAIN' };
    bytes += n;
  }
}

function target(ep: Endpoint): { addr: Ipv4; port: number } {
  return { addr: parseIpv4(ep.address)!, port: ep.port };
}

// -------------------------------------------------------------------------------------------

/** Per-connection state of a client. */
interface ClientConn {
  t0: Micros;
  received: number;
  /** The request went out (after `hold`). */
  requested: boolean;
  /** Request sent and the whole response received. */
  exchanged: boolean;
  closing: boolean;
}

export class ClientWorkload implements Due {
  attempted = 0;
  connected = 0;
  completed = 0;
  readonly errors = new ErrorLog();
  readonly connectMs = new Samples();
  readonly probes = new Samples();
  readonly localPorts: number[] = [];

  private launched = 0;
  private readonly host: TcpHost;
  private readonly dst: { addr: Ipv4; port: number };
  private readonly responseBytes: number;

  constructor(
    private readonly world: World,
    readonly spec: ClientSpec,
  ) {
    this.host = world.host(spec.host);
    this.dst = target(spec.target);
    this.responseBytes = world.responseSize(spec.target);
  }

  start(): void {
    if (this.spec.count > 0) this.world.queue.at(this.spec.start, this, 0);
  }

  /** Queue callback: the next connection starts. */
  fire(): void {
    this.launch();
    const spec = this.spec;
    if (spec.rate.kind === 'open' && this.launched < spec.count) {
      this.world.queue.at(arrivalTime(spec.start, this.launched, spec.rate.perSecond), this, 0);
    }
  }

  /** Serial mode: the previous connection is over (its close() returned, or it failed). */
  private next(): void {
    if (this.spec.rate.kind === 'serial' && this.launched < this.spec.count) this.world.queue.at(this.world.queue.now, this, 0);
  }

  private fail(err: Errno): void {
    this.errors.add(err, this.host.now);
  }

  private launch(): void {
    const spec = this.spec;
    const host = this.host;
    this.launched++;
    this.attempted++;
    const s = host.socket();
    s.setReuseAddr(spec.reuseaddr);
    s.setReusePort(spec.reuseport);
    s.setBindAddressNoPort(spec.bindAddressNoPort);
    s.setLinger(spec.linger as Linger);
    if (spec.bind !== null) {
      const e = s.bind(spec.bind.port);
      if (e !== null) {
        this.fail(e);
        s.close();
        this.next();
        return;
      }
    }
    const r = s.connect(this.dst.addr, this.dst.port);
    this.probes.push(s.connectProbes);
    if (r !== 'EINPROGRESS') {
      this.fail(r);
      s.close();
      this.next();
      return;
    }
    if (spec.recordPorts) this.localPorts.push(s.lport);
    const conn: ClientConn = { t0: host.now, received: 0, requested: false, exchanged: false, closing: false };
    this.world.registerRequest(s.incarnation, spec.requestBytes);
    s.events = {
      connected: (x) => this.onConnected(x, conn),
      error: (x, e) => this.onError(x, conn, e),
      readable: (x) => this.onReadable(x, conn),
      closed: (x) => this.onClosed(x, conn),
    };
  }

  private onConnected(s: TcpSocket, conn: ClientConn): void {
    this.connected++;
    this.connectMs.push((this.host.now - conn.t0) / 1000);
    if (this.spec.hold > 0) {
      this.world.queue.at(this.host.now + this.spec.hold, { fire: () => this.exchange(s, conn) }, 0);
    } else {
      this.exchange(s, conn);
    }
  }

  private exchange(s: TcpSocket, conn: ClientConn): void {
    if (conn.closing) return;
    if (this.spec.requestBytes > 0) s.send(this.spec.requestBytes);
    conn.requested = true;
    this.onReadable(s, conn);
  }

  private onReadable(s: TcpSocket, conn: ClientConn): void {
    if (conn.closing) return;
    const { bytes, eof } = drain(s);
    conn.received += bytes;
    if (!conn.requested) return;
    if (conn.received >= this.responseBytes) conn.exchanged = true;
    // close: first closes once the exchange is done (or the peer gave up); after-peer waits for EOF.
    if (eof || (this.spec.close === 'first' && conn.exchanged)) this.closeConn(s, conn);
  }

  private onError(s: TcpSocket, conn: ClientConn, e: Errno): void {
    this.fail(e);
    conn.exchanged = false;
    this.closeConn(s, conn);
  }

  private closeConn(s: TcpSocket, conn: ClientConn): void {
    if (conn.closing) return;
    conn.closing = true;
    this.world.forgetRequest(s.incarnation);
    if (s.close() === 'done') this.onClosed(s, conn);
  }

  private onClosed(_s: TcpSocket, conn: ClientConn): void {
    if (conn.exchanged) this.completed++;
    this.next();
  }
}

// -------------------------------------------------------------------------------------------

/** Per-connection state of a server (or the client-facing side of a proxy). */
interface Served {
  requestBytes: number;
  received: number;
  answered: number;
  closing: boolean;
  /** A proxy has this connection's current request upstream. */
  busy: boolean;
}

function listenOn(host: TcpHost, port: number, backlog: number): TcpSocket {
  const l = host.socket();
  // Servers set SO_REUSEADDR so a restart can bind over its old TIME_WAITs.
  l.setReuseAddr(true);
  const e = l.bind(port) ?? l.listen(backlog);
  if (e !== null) throw new Error(`${host.name}: cannot listen on port ${port}: ${e}`);
  return l;
}

export class ServerApp {
  constructor(
    private readonly world: World,
    readonly spec: ServerSpec,
  ) {}

  start(): void {
    const l = listenOn(this.world.host(this.spec.host), this.spec.port, this.spec.backlog);
    l.events.acceptable = (x) => {
      for (let c = x.accept(); c !== 'EAGAIN'; c = x.accept()) this.serve(c);
    };
  }

  private serve(s: TcpSocket): void {
    const st: Served = { requestBytes: this.world.requestSize(s.peerIncarnation), received: 0, answered: 0, closing: false, busy: false };
    s.setLinger(this.spec.linger as Linger);
    s.events = { readable: (x) => this.onReadable(x, st) };
    this.onReadable(s, st);
  }

  private onReadable(s: TcpSocket, st: Served): void {
    if (st.closing) return;
    const { bytes, eof } = drain(s);
    st.received += bytes;
    // Answer every complete request (one, or several on a kept-alive connection).
    while (st.requestBytes === 0 ? st.answered === 0 : st.received >= (st.answered + 1) * st.requestBytes) {
      st.answered++;
      if (this.spec.responseBytes > 0) s.send(this.spec.responseBytes);
      if (this.spec.close === 'first') {
        st.closing = true;
        s.close();
        return;
      }
    }
    if (eof && this.spec.close === 'after-peer') {
      st.closing = true;
      s.close();
    }
  }
}

// -------------------------------------------------------------------------------------------

/** One upstream of a proxy: its counters and its pool of idle kept-alive connections. */
class Upstream {
  attempted = 0;
  connected = 0;
  reused = 0;
  readonly errors = new ErrorLog();
  readonly probes = new Samples();
  readonly idle: TcpSocket[] = [];
  readonly addr: Ipv4;
  readonly port: number;
  /** The length of its responses (static: the scenario says it). */
  readonly responseBytes: number;
  constructor(
    readonly endpoint: Endpoint,
    world: World,
  ) {
    const t = target(endpoint);
    this.addr = t.addr;
    this.port = t.port;
    this.responseBytes = world.responseSize(endpoint);
  }
}

/** A request the proxy is relaying: the client connection and the upstream one. */
interface Relay {
  client: TcpSocket;
  served: Served;
  upstream: Upstream;
  sock: TcpSocket | null;
  received: number;
  expected: number;
  done: boolean;
}

export class ProxyApp {
  requests = 0;
  failed = 0;
  readonly upstreams: Upstream[];
  private rr = 0;
  private readonly host: TcpHost;

  constructor(
    private readonly world: World,
    readonly spec: ProxySpec,
  ) {
    this.host = world.host(spec.host);
    this.upstreams = spec.upstreams.map((e) => new Upstream(e, world));
  }

  start(): void {
    const l = listenOn(this.host, this.spec.port, 4096);
    l.events.acceptable = (x) => {
      for (let c = x.accept(); c !== 'EAGAIN'; c = x.accept()) this.serve(c);
    };
  }

  private serve(s: TcpSocket): void {
    const st: Served = { requestBytes: this.world.requestSize(s.peerIncarnation), received: 0, answered: 0, closing: false, busy: false };
    s.events = { readable: (x) => this.onClientReadable(x, st) };
    this.onClientReadable(s, st);
  }

  /**
   * The client side: each complete request goes upstream in turn (several on a kept-alive
   * connection, one at a time); the client's EOF closes (after-peer).
   */
  private onClientReadable(s: TcpSocket, st: Served): void {
    if (st.closing) return;
    const { bytes, eof } = drain(s);
    st.received += bytes;
    this.pump(s, st);
    if (eof) {
      st.closing = true;
      s.close();
    }
  }

  /** Forward the next complete request unless one is already upstream. */
  private pump(s: TcpSocket, st: Served): void {
    if (st.busy || st.closing) return;
    const complete = st.requestBytes === 0 ? st.answered === 0 : st.received >= (st.answered + 1) * st.requestBytes;
    if (!complete) return;
    st.answered++;
    st.busy = true;
    this.forward(s, st);
  }

  private forward(client: TcpSocket, served: Served): void {
    this.requests++;
    const up = this.upstreams[this.rr++ % this.upstreams.length]!;
    const relay: Relay = { client, served, upstream: up, sock: null, received: 0, expected: up.responseBytes, done: false };
    const pooled = up.idle.pop();
    if (pooled !== undefined) {
      up.reused++;
      this.attach(relay, pooled);
      this.sendRequest(relay);
      return;
    }
    up.attempted++;
    const s = this.host.socket();
    const r = s.connect(up.addr, up.port);
    up.probes.push(s.connectProbes);
    if (r !== 'EINPROGRESS') {
      up.errors.add(r, this.host.now);
      s.close();
      this.failRelay(relay);
      return;
    }
    this.world.registerRequest(s.incarnation, served.requestBytes);
    this.attach(relay, s);
    s.events.connected = () => {
      up.connected++;
      this.sendRequest(relay);
    };
  }

  private attach(relay: Relay, s: TcpSocket): void {
    relay.sock = s;
    s.events = {
      readable: (x) => this.onUpstreamReadable(x, relay),
      error: (x, e) => {
        relay.upstream.errors.add(e, this.host.now);
        this.dropFromPool(relay.upstream, x);
        x.close();
        if (!relay.done) this.failRelay(relay);
      },
    };
  }

  private sendRequest(relay: Relay): void {
    const n = relay.served.requestBytes;
    if (n > 0) relay.sock!.send(n);
    if (relay.expected === 0) this.respond(relay);
  }

  private onUpstreamReadable(s: TcpSocket, relay: Relay): void {
    const { bytes, eof } = drain(s);
    relay.received += bytes;
    if (!relay.done && relay.received >= relay.expected) this.respond(relay);
    if (eof) {
      this.dropFromPool(relay.upstream, s);
      if (!relay.done) this.failRelay(relay);
      s.close();
    }
  }

  /** The whole response is in: relay it to the client, then keep or close the upstream connection. */
  private respond(relay: Relay): void {
    relay.done = true;
    relay.served.busy = false;
    if (relay.expected > 0 && !relay.served.closing) relay.client.send(relay.expected);
    this.pump(relay.client, relay.served);
    const s = relay.sock!;
    const up = relay.upstream;
    if (this.spec.keepalive > 0 && up.idle.length < this.spec.keepalive && s.state === 'ESTABLISHED') {
      // Back to the pool: idle, ESTABLISHED, ready for the next request.
      s.events = {
        readable: (x) => {
          if (drain(x).eof) {
            this.dropFromPool(up, x);
            x.close();
          }
        },
        error: (x) => {
          this.dropFromPool(up, x);
          x.close();
        },
      };
      up.idle.push(s);
      return;
    }
    this.world.forgetRequest(s.incarnation);
    if (this.spec.upstreamClose === 'first') s.close();
    // after-peer: the upstream closes first; our readable handler closes on its EOF.
  }

  private dropFromPool(up: Upstream, s: TcpSocket): void {
    const i = up.idle.indexOf(s);
    if (i >= 0) up.idle.splice(i, 1);
  }

  /** No answer from upstream: the client's connection is closed without a response. */
  private failRelay(relay: Relay): void {
    relay.done = true;
    relay.served.busy = false;
    this.failed++;
    if (!relay.served.closing) {
      relay.served.closing = true;
      relay.client.close();
    }
  }
}
