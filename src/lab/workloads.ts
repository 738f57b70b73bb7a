// The scenario's applications as real socket programs on Node's `net`, run by an agent
// inside a host's namespace: the same semantics as the model's (src/sim/apps.ts), which
// they follow function by function.
//
// close() is socket.destroy(): Node closes the file descriptor at once, the kernel sends
// the FIN (or, with unread data, the RST) as close(2) does. Half-open is allowed, so an
// EOF from the peer closes nothing by itself. SO_LINGER 0 is socket.resetAndDestroy().
//
// The exchange: a client sends request_bytes (a framed request starts with its length, see
// jobs.ts RequestFraming), the listener answers every complete request with its
// response_bytes, and the client knows the response length from the scenario.

import net from 'node:net';
import type { ClientJob, ClientReport, ErrorReport, ProxyJob, ProxyReport, RequestFraming, ServerJob, UpstreamReport } from './jobs.js';
import { FRAME_HEADER_BYTES } from './jobs.js';
import type { SockOpts } from './sockopt.js';

/** Milliseconds since the run's start (negative before it). */
export type Clock = () => number;

/** At most this many open-loop arrivals start in one turn of the event loop, so I/O keeps up. */
const MAX_LAUNCHES_PER_TURN = 256;

/** Errors by errno name, when each first happened, and per series interval. */
export class ErrorTally {
  readonly counts: Record<string, number> = { EADDRNOTAVAIL: 0, ECONNREFUSED: 0, ETIMEDOUT: 0, ECONNRESET: 0 };
  readonly firstMs: Record<string, number> = {};
  readonly perInterval: number[] = [];
  constructor(private readonly intervalMs: number) {}

  add(err: string, atMs: number): void {
    this.counts[err] = (this.counts[err] ?? 0) + 1;
    if (this.firstMs[err] === undefined) this.firstMs[err] = atMs;
    // The model's sampler at k·interval collects the errors since the previous sample.
    const k = atMs <= 0 ? 0 : Math.ceil(atMs / this.intervalMs);
    while (this.perInterval.length <= k) this.perInterval.push(0);
    this.perInterval[k]!++;
  }

  report(): ErrorReport {
    return { counts: this.counts, firstMs: this.firstMs, perInterval: this.perInterval };
  }
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** A request of n bytes; from FRAME_HEADER_BYTES on, its first bytes carry n. */
export function requestBuffer(n: number): Buffer {
  const b = Buffer.alloc(n, 0x71);
  if (n >= FRAME_HEADER_BYTES) b.writeUInt32BE(n, 0);
  return b;
}

/**
 * Counts complete requests in a byte stream. Fixed: every `bytes` bytes is one (0: the
 * connection itself is the request, counted once). Framed: each request says its length.
 */
export class RequestReader {
  private have = 0;
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerHave = 0;
  /** Bytes of the current framed request still to come (header included), or 0 between requests. */
  private need = 0;
  /** Length of each complete request, in order. */
  private done: number[] = [];

  constructor(private readonly framing: RequestFraming) {
    if (framing.kind === 'fixed' && framing.bytes === 0) this.done.push(0);
  }

  feed(chunk: Buffer): void {
    const f = this.framing;
    if (f.kind === 'fixed') {
      if (f.bytes === 0) return;
      this.have += chunk.length;
      while (this.have >= f.bytes) {
        this.have -= f.bytes;
        this.done.push(f.bytes);
      }
      return;
    }
    let i = 0;
    while (i < chunk.length) {
      if (this.need === 0) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerHave, chunk.length - i);
        chunk.copy(this.header, this.headerHave, i, i + take);
        this.headerHave += take;
        i += take;
        if (this.headerHave < FRAME_HEADER_BYTES) return;
        const len = Math.max(FRAME_HEADER_BYTES, this.header.readUInt32BE(0));
        this.headerHave = 0;
        this.need = len - FRAME_HEADER_BYTES;
        this.have = len;
        if (this.need === 0) this.done.push(this.have);
        continue;
      }
      const take = Math.min(this.need, chunk.length - i);
      this.need -= take;
      i += take;
      if (this.need === 0) this.done.push(this.have);
    }
  }

  /** Complete requests not taken yet, by length. */
  take(): number[] {
    const d = this.done;
    this.done = [];
    return d;
  }
}

/** close(2), with the socket's SO_LINGER: off, 0 (RST), or seconds (blocks while it lingers). */
function closeSocket(s: net.Socket, linger: number | null, sockopts: SockOpts | null): void {
  if (linger === 0) {
    s.resetAndDestroy();
    return;
  }
  if (linger !== null && linger > 0) {
    const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (sockopts !== null && fd !== undefined && fd >= 0) sockopts.setLinger(fd, linger);
  }
  s.destroy();
}

// -------------------------------------------------------------------------------------------

interface ClientConn {
  t0: number;
  received: number;
  requested: boolean;
  exchanged: boolean;
  eof: boolean;
  closing: boolean;
}

export class LabClient {
  attempted = 0;
  connected = 0;
  completed = 0;
  readonly errors: ErrorTally;
  readonly connectMs: number[] = [];
  readonly localPorts: number[] = [];
  private launched = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;
  private readonly request: Buffer;

  constructor(
    readonly job: ClientJob,
    private readonly now: Clock,
    private readonly sockopts: SockOpts | null,
    intervalMs: number,
    /** The scenario's duration, ms from T0. */
    private readonly endMs: number,
  ) {
    this.errors = new ErrorTally(intervalMs);
    this.request = requestBuffer(job.requestBytes);
  }

  start(): void {
    if (this.job.count > 0) this.at(this.job.startMs, () => this.tick());
  }

  /**
   * The run's end: open-loop arrivals due up to and including it start (the model's clock
   * runs events at the end time too), then nothing more.
   */
  finish(): void {
    if (!this.stopped && this.job.rate.kind === 'open') {
      while (this.launched < this.job.count && this.due(this.launched) <= this.endMs) this.launch();
    }
    this.stop();
  }

  /** No new connections from now on. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  report(): ClientReport {
    return {
      index: this.job.index,
      attempted: this.attempted,
      connected: this.connected,
      completed: this.completed,
      errors: this.errors.report(),
      connectMs: this.connectMs,
      localPorts: this.localPorts,
    };
  }

  private at(ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.timer = setTimeout(fn, Math.max(0, ms - this.now()));
  }

  /** Arrival i of an open loop: start + floor(i * 1e6 / rate) microseconds (sim/world.ts arrivalTime). */
  private due(i: number): number {
    const rate = this.job.rate;
    if (rate.kind !== 'open') return this.job.startMs;
    return this.job.startMs + Math.floor((i * 1_000_000) / rate.perSecond) / 1000;
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    // No arrival after the run's end (the model stops its clock there); the end timer may come late.
    if (this.due(this.launched) > this.endMs || this.now() > this.endMs) return;
    if (this.job.rate.kind === 'serial') {
      this.launch();
      return;
    }
    const now = this.now();
    for (let n = 0; n < MAX_LAUNCHES_PER_TURN && this.launched < this.job.count && this.due(this.launched) <= now && this.due(this.launched) <= this.endMs; n++) this.launch();
    if (this.launched < this.job.count) this.at(this.due(this.launched), () => this.tick());
  }

  /**
   * Serial mode: the previous connection is over (its close() returned, or it failed), so
   * the next connect() starts now: on the next turn of the event loop (setImmediate, tens
   * of microseconds; a 0 ms timer would wait a whole millisecond, long enough for the old
   * connection to have moved on to TIME_WAIT, which the model's serial client never waits for).
   */
  private next(): void {
    if (this.job.rate.kind === 'serial' && this.launched < this.job.count && !this.stopped) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.tick();
      });
    }
  }

  private fail(err: string): void {
    this.errors.add(err, this.now());
  }

  private launch(): void {
    const job = this.job;
    this.launched++;
    this.attempted++;
    let s: net.Socket;
    if (job.raw && this.sockopts !== null) {
      const r = this.sockopts.clientSocket(job);
      if ('errno' in r) {
        this.fail(r.errno);
        this.next();
        return;
      }
      s = new net.Socket({ fd: r.fd, allowHalfOpen: true });
    } else {
      s = new net.Socket({ allowHalfOpen: true });
    }
    const conn: ClientConn = { t0: this.now(), received: 0, requested: false, exchanged: false, eof: false, closing: false };
    s.setNoDelay(true);
    s.on('connect', () => this.onConnected(s, conn));
    s.on('data', (chunk: Buffer) => {
      conn.received += chunk.length;
      this.check(s, conn);
    });
    s.on('end', () => {
      conn.eof = true;
      this.check(s, conn);
    });
    s.on('error', (e) => this.onError(s, conn, errnoOf(e)));
    const bindByNode = !job.raw && job.bind !== null ? { localAddress: job.bind.address, localPort: job.bind.port } : {};
    s.connect({ host: job.target.address, port: job.target.port, ...bindByNode });
    // net.connect issues connect(2) on the next tick; right after it the port is chosen.
    if (job.recordPorts) {
      process.nextTick(() => {
        const port = s.localPort;
        if (port !== undefined && !conn.closing) this.localPorts.push(port);
      });
    }
  }

  private onConnected(s: net.Socket, conn: ClientConn): void {
    this.connected++;
    this.connectMs.push(this.now() - conn.t0);
    if (this.job.holdMs > 0) setTimeout(() => this.exchange(s, conn), this.job.holdMs);
    else this.exchange(s, conn);
  }

  private exchange(s: net.Socket, conn: ClientConn): void {
    if (conn.closing) return;
    if (this.job.requestBytes > 0) s.write(this.request);
    conn.requested = true;
    this.check(s, conn);
  }

  /** The model's onReadable: nothing before the request went out; then close as the mode says. */
  private check(s: net.Socket, conn: ClientConn): void {
    if (conn.closing || !conn.requested) return;
    if (conn.received >= this.job.responseBytes) conn.exchanged = true;
    if (conn.eof || (this.job.close === 'first' && conn.exchanged)) this.closeConn(s, conn);
  }

  private onError(s: net.Socket, conn: ClientConn, err: string): void {
    if (conn.closing) return;
    this.fail(err);
    conn.exchanged = false;
    conn.closing = true;
    s.destroy();
    this.onClosed(conn);
  }

  private closeConn(s: net.Socket, conn: ClientConn): void {
    if (conn.closing) return;
    conn.closing = true;
    closeSocket(s, this.job.linger, this.sockopts);
    this.onClosed(conn);
  }

  private onClosed(conn: ClientConn): void {
    if (conn.exchanged) this.completed++;
    this.next();
  }
}

// -------------------------------------------------------------------------------------------

function listen(server: net.Server, port: number, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Node binds with SO_REUSEADDR (libuv), as the model's listeners do.
    server.listen({ host: '0.0.0.0', port, backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export class LabServer {
  private readonly server: net.Server;
  private readonly response: Buffer;

  constructor(
    readonly job: ServerJob,
    private readonly sockopts: SockOpts | null,
  ) {
    this.response = Buffer.alloc(job.responseBytes, 0x72);
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.serve(s));
  }

  start(): Promise<void> {
    return listen(this.server, this.job.port, this.job.backlog);
  }

  private serve(s: net.Socket): void {
    const reader = new RequestReader(this.job.framing);
    let closing = false;
    const close = (): void => {
      closing = true;
      closeSocket(s, this.job.linger, this.sockopts);
    };
    // Answer every complete request (one, or several on a kept-alive connection).
    const answer = (): void => {
      for (const _ of reader.take()) {
        if (closing) return;
        if (this.job.responseBytes > 0) s.write(this.response);
        if (this.job.close === 'first') {
          close();
          return;
        }
      }
    };
    s.on('error', () => undefined); // a reset connection is gone; nothing to count here
    s.on('data', (chunk: Buffer) => {
      if (closing) return;
      reader.feed(chunk);
      answer();
    });
    s.on('end', () => {
      if (!closing && this.job.close === 'after-peer') close();
    });
    answer();
  }
}

// -------------------------------------------------------------------------------------------

class Upstream {
  attempted = 0;
  connected = 0;
  reused = 0;
  readonly errors: ErrorTally;
  readonly idle: net.Socket[] = [];
  constructor(
    readonly job: ProxyJob['upstreams'][number],
    intervalMs: number,
  ) {
    this.errors = new ErrorTally(intervalMs);
  }
  report(): UpstreamReport {
    return { attempted: this.attempted, connected: this.connected, reused: this.reused, errors: this.errors.report() };
  }
}

interface Served {
  client: net.Socket;
  closing: boolean;
}

interface Relay {
  served: Served;
  upstream: Upstream;
  sock: net.Socket | null;
  requestBytes: number;
  received: number;
  done: boolean;
}

export class LabProxy {
  requests = 0;
  failed = 0;
  readonly upstreams: Upstream[];
  private rr = 0;
  private readonly server: net.Server;
  /** What each upstream socket is doing: relaying a request, or idle in a pool (null). */
  private readonly current = new WeakMap<net.Socket, Relay | null>();

  constructor(
    readonly job: ProxyJob,
    private readonly now: Clock,
    intervalMs: number,
  ) {
    this.upstreams = job.upstreams.map((u) => new Upstream(u, intervalMs));
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.serve(s));
  }

  start(): Promise<void> {
    return listen(this.server, this.job.port, 4096);
  }

  report(): ProxyReport {
    return { index: this.job.index, requests: this.requests, failed: this.failed, upstreams: this.upstreams.map((u) => u.report()) };
  }

  /** The client side: the first complete request goes upstream; the client's EOF closes. */
  private serve(s: net.Socket): void {
    const served: Served = { client: s, closing: false };
    const reader = new RequestReader(this.job.framing);
    let forwarded = false;
    const onRequest = (): void => {
      const [first] = reader.take();
      if (forwarded || first === undefined) return;
      forwarded = true;
      this.forward(served, first);
    };
    s.on('error', () => undefined);
    s.on('data', (chunk: Buffer) => {
      if (served.closing) return;
      reader.feed(chunk);
      onRequest();
    });
    s.on('end', () => {
      if (served.closing) return;
      served.closing = true;
      s.destroy();
    });
    onRequest();
  }

  private forward(served: Served, requestBytes: number): void {
    this.requests++;
    const up = this.upstreams[this.rr++ % this.upstreams.length]!;
    const relay: Relay = { served, upstream: up, sock: null, requestBytes, received: 0, done: false };
    const pooled = up.idle.pop();
    if (pooled !== undefined) {
      up.reused++;
      relay.sock = pooled;
      this.current.set(pooled, relay);
      this.sendRequest(relay);
      return;
    }
    up.attempted++;
    const s = new net.Socket({ allowHalfOpen: true });
    relay.sock = s;
    this.current.set(s, relay);
    s.setNoDelay(true);
    s.on('connect', () => {
      up.connected++;
      this.sendRequest(relay);
    });
    s.on('data', (chunk: Buffer) => {
      const r = this.current.get(s);
      if (r) this.onUpstreamData(r, chunk.length);
    });
    s.on('end', () => this.onUpstreamEnd(up, s));
    s.on('error', (e) => {
      const r = this.current.get(s);
      this.dropFromPool(up, s);
      s.destroy();
      if (r === undefined || r === null) return; // idle in the pool: just gone
      up.errors.add(errnoOf(e), this.now());
      if (!r.done) this.failRelay(r);
    });
    s.connect({ host: up.job.address, port: up.job.port });
  }

  private sendRequest(relay: Relay): void {
    if (relay.requestBytes > 0) relay.sock!.write(requestBuffer(relay.requestBytes));
    if (relay.upstream.job.responseBytes === 0) this.respond(relay);
  }

  private onUpstreamData(relay: Relay, n: number): void {
    relay.received += n;
    if (!relay.done && relay.received >= relay.upstream.job.responseBytes) this.respond(relay);
  }

  private onUpstreamEnd(up: Upstream, s: net.Socket): void {
    const r = this.current.get(s);
    this.dropFromPool(up, s);
    this.current.set(s, null);
    if (r && !r.done) this.failRelay(r);
    s.destroy();
  }

  /** The whole response is in: relay it to the client, then keep or close the upstream connection. */
  private respond(relay: Relay): void {
    relay.done = true;
    const expected = relay.upstream.job.responseBytes;
    if (expected > 0 && !relay.served.closing) relay.served.client.write(Buffer.alloc(expected, 0x72));
    const s = relay.sock!;
    const up = relay.upstream;
    if (this.job.keepalive > 0 && up.idle.length < this.job.keepalive && !s.destroyed && s.readyState === 'open') {
      this.current.set(s, null);
      up.idle.push(s);
      return;
    }
    // first: the proxy closes upstream; after-peer: the upstream's EOF closes it (onUpstreamEnd).
    if (this.job.upstreamClose === 'first') s.destroy();
  }

  private dropFromPool(up: Upstream, s: net.Socket): void {
    const i = up.idle.indexOf(s);
    if (i >= 0) up.idle.splice(i, 1);
  }

  /** No answer from upstream: the client's connection is closed without a response. */
  private failRelay(relay: Relay): void {
    relay.done = true;
    this.failed++;
    if (!relay.served.closing) {
      relay.served.closing = true;
      relay.served.client.destroy();
    }
  }
}
