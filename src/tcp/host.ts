// A host's TCP stack: its tables (established hash with full, request and timewait sockets;
// listeners; bind buckets), segment demultiplexing (tcp_ipv4.c tcp_v4_rcv), TIME_WAIT entry
// and expiry (tcp_minisocks.c tcp_time_wait, inet_timewait_sock.c), the connect() port search
// glue (inet_hashtables.c __inet_hash_connect, tcp_ipv4.c tcp_twsk_unique), its counters.

import { keyedHash } from '../engine/hash.js';
import type { EventQueue, Lane, LaneHandler } from '../engine/queue.js';
import type { Rng } from '../engine/rng.js';
import type { Micros } from '../engine/time.js';
import { MS, SEC } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import { isLoopback } from '../net/addr.js';
import { ConnTable } from './conntable.js';
import type { Network, RouteCache } from '../net/network.js';
import { ACK, FIN, RST, SYN, Segment } from '../net/segment.js';
import type { SegmentSink } from '../net/segment.js';
import type { Errno } from './errno.js';
import type { Mib } from './mib.js';
import { emptyMib } from './mib.js';
import { BindTable, INET_TABLE_PERTURB_SIZE, PortSet, REUSEADDR, searchEphemeralPort, searchSequentialPort } from './ports.js';
import type { PortProbe } from './ports.js';
import type { KernelProfile } from './profile.js';
import type { HandshakeOptions } from './profile.js';
import { LEGACY_HANDSHAKE, TCP_MAX_WSCALE, TIMEWAIT_SOCK_BYTES, TW_ISN_GAP, TW_KILL_THRESHOLD, jiffiesAt, wheelExpiryFrom } from './profile.js';
import { RequestSock } from './request.js';
import type { RequestOwner } from './request.js';
import { after, before, seqAdd } from './seq.js';
import { TcpSocket } from './socket.js';
import type { StateCounts, TcpState } from './state.js';
import { addState, emptyStateCounts } from './state.js';
import type { Sysctls } from './sysctl.js';
import { TimewaitSock, timewaitStateProcess } from './timewait.js';
import type { TwClock, TwSubstate } from './timewait.js';

/** What the established hash holds for a 4-tuple. */
export type Conn = TcpSocket | RequestSock | TimewaitSock;

/** A connection of `host` (by local port and remote endpoint) changed state. */
export type StateObserver = (host: TcpHost, lport: number, raddr: Ipv4, rport: number, prev: TcpState, next: TcpState) => void;

/** Hands out connection incarnation numbers, unique across the hosts of a run, in order from 1
 *  (the integrity oracle keeps a bitmap by number). */
export interface IdSource {
  next(): number;
}

/** How long the host has been up when the run starts: the seconds clock is never 0 (0 means "no timestamp" in ts_recent_stamp). */
const BOOT_UPTIME_MIN_S = 1000;
/** include/net/tcp.h TCP_TIMEOUT_INIT: first SYN-ACK retransmission after 1 s. */
const SYNACK_RTO_INIT: Micros = 1 * SEC;
/** secure_seq.c EPHEMERAL_PORT_SHUFFLE_PERIOD: the per-destination port offset changes every 10 s. */
const PORT_SHUFFLE_PERIOD: Micros = 10 * SEC;

export interface HostOptions {
  name: string;
  address: Ipv4;
  sysctl: Sysctls;
  profile: KernelProfile;
  queue: EventQueue;
  network: Network;
  /** This host's own random stream (secrets, port perturbation). */
  rng: Rng;
  ids: IdSource;
  /** what_if timewait_len: a TIME_WAIT length no Linux has. */
  timewaitLen?: Micros;
  /** SYN options beyond timestamps; LEGACY_HANDSHAKE when absent. */
  handshake?: HandshakeOptions;
}

/** What only a simulator can know (result JSON `integrity`). */
export interface Integrity {
  staleSegmentsAccepted: number;
  staleBytesAccepted: number;
  resetsFromStaleState: number;
}

export class TcpHost implements SegmentSink, RequestOwner {
  readonly name: string;
  readonly address: Ipv4;
  /** Read where each decides something; replaced whole by setSysctls (a `sysctl -w` mid-run). */
  sysctl: Sysctls;
  /** What our SYN and SYN-ACK offer besides timestamps (read at each handshake). */
  handshake: HandshakeOptions;
  readonly profile: KernelProfile;
  readonly queue: EventQueue;
  readonly timewaitLen: Micros;
  readonly mib: Mib = emptyMib();
  /** Sockets per state now: full, request (SYN_RECV) and timewait (TIME_WAIT, or FIN_WAIT_2 substate). */
  readonly states: StateCounts = emptyStateCounts();
  /** The most sockets each state has held at once. */
  readonly statesPeak: StateCounts = emptyStateCounts();
  readonly binds = new BindTable();
  readonly integrity: Integrity = { staleSegmentsAccepted: 0, staleBytesAccepted: 0, resetsFromStaleState: 0 };
  timewaitCount = 0;
  timewaitPeak = 0;
  /** tcp_orphan_count: closed by the application, not yet gone (full sockets only). */
  orphanCount = 0;

  private readonly network: Network;
  /** The Network's route cache for our address (Network.routesFrom). */
  private readonly routes: RouteCache;
  private readonly ids: IdSource;
  private readonly rng: Rng;
  /** The established hash: (remote address, remote port, local port) -> connection. */
  private readonly conns = new ConnTable<Conn>();
  private readonly listeners = new Map<number, TcpSocket>();
  /**
   * Per destination we connect() to: the local ports with a socket to it (for the port search).
   * By remote port, then remote address as int32: both small integers to V8, where one
   * 48-bit endpoint key would be a heap number hashed on every hash and unhash.
   */
  private readonly destPorts = new Map<number, Map<number, PortSet>>();
  /** Peer incarnations of connections that ended here: a bitmap by incarnation number (they are
   *  handed out in order from 1, so one bit per connection of the run). */
  private endedPeers = new Uint32Array(1024);
  /** Told of every connection's state change (packet ladders); null when nobody listens. */
  observer: StateObserver | null = null;
  /** The few timewait sockets that tcp_tw_recycle shortened, with their timeout. */
  private readonly recycleTimeouts = new Map<TimewaitSock, Micros>();
  /** FIFO lanes for this host's fixed-length timewait timers. */
  private readonly twLanes = new Map<Micros, Lane>();
  /** ip_local_reserved_ports as a set, or null. */
  private reserved: PortSet | null;
  private readonly perturb = new Uint32Array(INET_TABLE_PERTURB_SIZE);
  // Boot-time secrets (net_secret, and the port and timestamp keys), drawn from the seed.
  private readonly seqKey: [number, number];
  private readonly portKey: [number, number];
  private readonly tsKey: [number, number];
  private readonly clock: TwClock = { now: 0, seconds: 0, ms: 0 };
  /** Uptime when the run starts: hosts booted at different times, so their clocks differ. */
  private readonly uptimeS: number;
  /** The jiffies counter at simulated time 0 (its phase decides where timer ticks fall). */
  private readonly jiffiesAtZero: number;
  /** The pre-4.6 port search's host-wide hint. */
  private readonly portHint = { value: 0 };
  /** tcp_metrics per peer address: the last timestamp seen when a connection entered TIME_WAIT (tcp_tw_recycle). */
  private readonly peerStamps = new Map<Ipv4, { ts: number; stamp: number }>();

  constructor(o: HostOptions) {
    this.name = o.name;
    this.address = o.address;
    this.sysctl = o.sysctl;
    this.handshake = o.handshake ?? LEGACY_HANDSHAKE;
    this.profile = o.profile;
    this.queue = o.queue;
    this.network = o.network;
    this.ids = o.ids;
    this.rng = o.rng;
    this.timewaitLen = o.timewaitLen ?? o.profile.timewaitLen;
    this.seqKey = [o.rng.u32(), o.rng.u32()];
    this.portKey = [o.rng.u32(), o.rng.u32()];
    this.tsKey = [o.rng.u32(), o.rng.u32()];
    this.uptimeS = BOOT_UPTIME_MIN_S + o.rng.below(1_000_000);
    // get_random_sleepable_once(table_perturb): the perturbation table starts random.
    for (let i = 0; i < this.perturb.length; i++) this.perturb[i] = o.rng.u32();
    this.jiffiesAtZero = this.uptimeS * o.profile.hz + (o.profile.hz > 0 ? o.rng.below(o.profile.hz) : 0);
    this.reserved = reservedSet(o.sysctl);
    o.network.attach(o.address, this);
    this.routes = o.network.routesFrom(o.address);
  }

  /** `sysctl -w` while the host runs: later decisions read the new values (packetdrill scripts set some mid-run). */
  setSysctls(next: Sysctls): void {
    this.sysctl = next;
    this.reserved = reservedSet(next);
  }

  // -----------------------------------------------------------------------------------------
  // Clocks and identities.

  get now(): Micros {
    return this.queue.now;
  }
  /** ktime_get_seconds(): whole seconds of uptime. */
  seconds(): number {
    if (this.queue.now !== this.clocksAt) this.readClocks();
    return this.secondsNow;
  }
  /** tcp_clock_ms(): the millisecond clock TSvals are drawn from. */
  tsClockMs(): number {
    if (this.queue.now !== this.clocksAt) this.readClocks();
    return this.msNow;
  }
  /** When a kernel timer armed `delay` from now fires, on this host's timer wheel. */
  timerAt(delay: Micros): Micros {
    const hz = this.profile.hz;
    if (hz === 0) return this.queue.now + delay;
    if (this.queue.now !== this.clocksAt) this.readClocks();
    return wheelExpiryFrom(this.jiffiesNow, delay, hz, this.jiffiesAtZero);
  }

  /** The clocks at the current time: a segment's processing reads them many times. */
  private readClocks(): void {
    const now = this.queue.now;
    this.clocksAt = now;
    // An int32 (uptime in seconds stays far below 2^31), so that V8 keeps the fields this is
    // copied into (ts_recent_stamp, in every socket and timewait socket) unboxed.
    this.secondsNow = (Math.floor(now / SEC) + this.uptimeS) | 0;
    this.msNow = Math.floor(now / MS) + this.uptimeS * 1000;
    this.jiffiesNow = this.profile.hz > 0 ? jiffiesAt(now, this.profile.hz, this.jiffiesAtZero) : 0;
  }
  private clocksAt = -1;
  private secondsNow = 0;
  private msNow = 0;
  private jiffiesNow = 0;

  /** One jiffy (TCP_TIMEOUT_MIN is two), or a microsecond on a profile without a wheel. */
  get jiffy(): Micros {
    return this.profile.hz > 0 ? SEC / this.profile.hz : 1;
  }

  nextIncarnation(): number {
    return this.ids.next();
  }

  /** secure_seq.c secure_tcp_seq: keyed hash of the 4-tuple plus a clock ticking every 64 ns. */
  isn(lport: number, raddr: Ipv4, rport: number): number {
    const h = keyedHash(this.seqKey[0], this.seqKey[1], this.address, raddr, ((lport << 16) | rport) >>> 0);
    return (h + Math.floor((this.queue.now * 1000) / 64)) >>> 0;
  }

  /** secure_seq.c: the per-connection TSval offset (none unless tcp_timestamps = 1). */
  tsOffset(lport: number, raddr: Ipv4, rport: number): number {
    // Before 4.10 every connection showed the host's own clock (no offset).
    if (this.sysctl.tcp_timestamps !== 1 || !this.profile.tsOffsets) return 0;
    return keyedHash(this.tsKey[0], this.tsKey[1], this.address, raddr, ((lport << 16) | rport) >>> 0);
  }

  // -----------------------------------------------------------------------------------------
  // Tables.

  socket(): TcpSocket {
    return new TcpSocket(this);
  }

  lookup(raddr: Ipv4, rport: number, lport: number): Conn | undefined {
    return this.conns.get(raddr, rport, lport);
  }

  private hashConn(raddr: Ipv4, rport: number, lport: number, conn: Conn): void {
    this.conns.set(raddr, rport, lport, conn);
    if (this.destPorts.size > 0) this.destPorts.get(rport)?.get(raddr | 0)?.add(lport);
  }

  private unhashConn(raddr: Ipv4, rport: number, lport: number, conn: Conn): void {
    if (!this.conns.delete(raddr, rport, lport, conn)) return;
    if (this.destPorts.size > 0) this.destPorts.get(rport)?.get(raddr | 0)?.delete(lport);
  }

  /** The busy-port set of a destination, built from the hash on first use, then kept current. */
  private busyPorts(raddr: Ipv4, rport: number): PortSet {
    let byAddr = this.destPorts.get(rport);
    if (byAddr === undefined) this.destPorts.set(rport, (byAddr = new Map()));
    let set = byAddr.get(raddr | 0);
    if (set === undefined) {
      set = new PortSet();
      for (const lport of this.conns.localPorts(raddr, rport)) set.add(lport);
      byAddr.set(raddr | 0, set);
    }
    return set;
  }

  /** A full socket leaves the established hash (if it is still the one there). */
  unhash(sock: TcpSocket): void {
    if (sock.rport !== 0) this.unhashConn(sock.raddr, sock.rport, sock.lport, sock);
  }

  listenerOn(port: number): TcpSocket | undefined {
    return this.listeners.get(port);
  }
  addListener(sock: TcpSocket): void {
    this.listeners.set(sock.lport, sock);
  }
  removeListener(sock: TcpSocket): void {
    if (this.listeners.get(sock.lport) === sock) this.listeners.delete(sock.lport);
  }

  /** A listener closes: its request sockets go without a word (inet_csk_listen_stop). */
  dropRequestsOf(listener: TcpSocket): void {
    for (const conn of this.conns.values()) {
      if (conn instanceof RequestSock && conn.listener === listener) this.removeRequest(conn);
    }
  }

  stateChange(prev: TcpState, next: TcpState, lport: number, raddr: Ipv4, rport: number): void {
    // CLOSE sockets are not in any table: they are not counted.
    if (prev !== 'CLOSE') addState(this.states, prev, -1);
    if (next !== 'CLOSE') this.bump(next);
    this.observer?.(this, lport, raddr, rport, prev, next);
  }

  /** One more socket in `state`; peaks follow. */
  private bump(state: TcpState): void {
    const n = addState(this.states, state, 1);
    const peak = addState(this.statesPeak, state, 0);
    if (n > peak) addState(this.statesPeak, state, n - peak);
  }

  /** Bytes held by timewait sockets now (tw_sock_TCP slab objects). */
  get timewaitMemory(): number {
    return this.timewaitCount * TIMEWAIT_SOCK_BYTES;
  }

  // -----------------------------------------------------------------------------------------
  // Output.

  /** Put a segment on the wire. Retransmissions count in TcpRetransSegs, not TcpOutSegs (__tcp_transmit_skb). */
  send(seg: Segment, retransmission = false): void {
    if (retransmission) this.mib.TcpRetransSegs++;
    else this.mib.TcpOutSegs++;
    this.network.sendFrom(seg, this.routes);
  }

  /**
   * tcp_ipv4.c tcp_v4_send_reset: answer a segment that has no connection. Never an RST to
   * an RST. With an ACK we reset at its ack number; otherwise we acknowledge what it occupied.
   */
  sendReset(seg: Segment): void {
    if (seg.flags & RST) return;
    // The oracle: this RST answers a connection that already ended here; the peer still
    // holds that old incarnation.
    if (seg.incarnation !== 0 && this.peerEnded(seg.incarnation)) this.integrity.resetsFromStaleState++;
    const rst =
      seg.flags & ACK
        ? new Segment(this.address, seg.dport, seg.src, seg.sport, seg.ack, 0, RST, 0, 0)
        : new Segment(this.address, seg.dport, seg.src, seg.sport, 0, seqAdd(seg.seq, seg.seqLen), RST | ACK, 0, 0);
    this.mib.TcpOutRsts++;
    this.send(rst);
  }

  // -----------------------------------------------------------------------------------------
  // Input: tcp_v4_rcv.

  receive(seg: Segment, _now: Micros): void {
    this.mib.TcpInSegs++;
    const conn = this.lookup(seg.src, seg.sport, seg.dport);
    if (conn instanceof TcpSocket) {
      conn.receive(seg);
      return;
    }
    if (conn instanceof TimewaitSock) {
      this.timewaitInput(conn, seg);
      return;
    }
    if (conn instanceof RequestSock) {
      this.requestInput(conn, seg);
      return;
    }
    const listener = this.listeners.get(seg.dport);
    if (listener !== undefined) {
      this.listenInput(listener, seg, 0);
      return;
    }
    this.sendReset(seg); // no socket: RST (RFC 9293 3.10.7.1)
  }

  /** Act on tcp_timewait_state_process's decision (tcp_v4_rcv do_time_wait). */
  private timewaitInput(tw: TimewaitSock, seg: Segment): void {
    this.clock.now = this.queue.now;
    this.clock.seconds = this.seconds();
    this.clock.ms = this.tsClockMs();
    const d = timewaitStateProcess(tw, seg, this.sysctl, this.profile, this.clock);
    switch (d.kind) {
      case 'drop':
        for (const c of d.counters) this.mib[c]++;
        if (d.rearm) this.armTimewait(tw, this.twTimeout(tw));
        return;
      case 'ack':
        for (const c of d.counters) this.mib[c]++;
        if (d.rearm) this.armTimewait(tw, this.twTimeout(tw));
        this.timewaitAck(tw);
        return;
      case 'kill':
        this.removeTimewait(tw);
        return;
      case 'rst':
        this.removeTimewait(tw);
        this.sendReset(seg);
        return;
      case 'fin':
        this.states.FIN_WAIT_2--;
        this.bump('TIME_WAIT');
        this.observer?.(this, tw.lport, tw.raddr, tw.rport, 'FIN_WAIT_2', 'TIME_WAIT');
        this.armTimewait(tw, this.twTimeout(tw));
        this.timewaitAck(tw);
        return;
      case 'syn': {
        // A new SYN may take over the 4-tuple if someone listens; otherwise ACK it.
        const listener = this.listeners.get(seg.dport);
        if (listener !== undefined) {
          this.removeTimewait(tw);
          this.listenInput(listener, seg, d.isn);
        } else {
          this.timewaitAck(tw);
        }
        return;
      }
    }
  }

  /** tcp_ipv4.c tcp_v4_timewait_ack: ACK from the timewait socket's own sequence state. */
  private timewaitAck(tw: TimewaitSock): void {
    const seg = new Segment(this.address, tw.lport, tw.raddr, tw.rport, tw.sndNxt, tw.rcvNxt, ACK, tw.rcvWnd, 0);
    if (tw.tsRecentStamp !== 0) {
      seg.hasTs = true;
      seg.tsVal = (this.tsClockMs() + tw.tsOffset) >>> 0;
      seg.tsEcr = tw.tsRecent;
    }
    seg.incarnation = tw.incarnation;
    seg.senderState = tw.substate;
    this.send(seg);
  }

  // -----------------------------------------------------------------------------------------
  // TIME_WAIT.

  /**
   * tcp_minisocks.c tcp_time_wait: replace `sock` by a timewait socket for `timeo`
   * (TIME_WAIT always gets the full TIME_WAIT length; FIN_WAIT_2 at least 3.5 * RTO).
   * Past tcp_max_tw_buckets the socket is just destroyed and its port is free at once.
   */
  timeWait(sock: TcpSocket, substate: TwSubstate, timeo: Micros): void {
    const max = this.sysctl.tcp_max_tw_buckets;
    if (this.profile.twBucketsUnsigned ? this.timewaitCount >= max >>> 0 : this.timewaitCount >= max) {
      // inet_timewait_sock.c inet_twsk_alloc refuses: no TIME_WAIT, no RST.
      this.mib.TcpExtTCPTimeWaitOverflow++;
      sock.done();
      return;
    }
    const rto35 = sock.rto * 4 - sock.rto / 2;
    let t = timeo < rto35 ? rto35 : timeo;
    // tcp_tw_recycle (4.4): with the peer's timestamp remembered, TIME_WAIT lasts 3.5 * RTO.
    const recycle = this.profile.twRecycle && this.sysctl.tcp_tw_recycle === 1 && sock.tsOk && this.rememberStamp(sock.raddr, sock.tsRecent, sock.tsRecentStamp);
    if (substate === 'TIME_WAIT' && !recycle) t = this.timewaitLen;
    const tw = new TimewaitSock(
      substate,
      sock.lport,
      sock.raddr,
      sock.rport,
      sock.rcvNxt,
      sock.sndNxt,
      sock.tsOk ? sock.tsRecent : 0,
      sock.tsOk ? sock.tsRecentStamp : 0,
      sock.tsOffset,
      this.tsClockMs(),
      sock.incarnation,
      sock.peerIncarnation,
      sock.bindFlags,
    );
    if (recycle) this.recycleTimeouts.set(tw, rto35);
    // inet_timewait_sock.c __inet_twsk_schedule: a short wait counts as killed.
    if (this.profile.twCountedAt === 'schedule') {
      if (t <= TW_KILL_THRESHOLD) this.mib.TcpExtTWKilled++;
      else this.mib.TcpExtTW++;
    }
    // inet_twsk_hashdance: the timewait socket takes the 4-tuple and a port reference.
    this.binds.acquire(sock.lport, sock.bindFlags, 'connect');
    this.hashConn(sock.raddr, sock.rport, sock.lport, tw);
    this.timewaitCount++;
    if (this.timewaitCount > this.timewaitPeak) this.timewaitPeak = this.timewaitCount;
    this.observer?.(this, sock.lport, sock.raddr, sock.rport, sock.state, substate);
    this.armTimewait(tw, t);
    sock.handedToTimewait = true;
    sock.done();
    // Counted in only once done() counted the full socket out: an orphan FIN_WAIT_2 that
    // becomes a FIN_WAIT_2 timewait socket is one socket, and must not raise the peak.
    this.bump(substate);
  }

  /** inet_twsk_schedule / inet_twsk_reschedule. Fixed lengths share a FIFO lane. */
  private armTimewait(tw: TimewaitSock, t: Micros): void {
    tw.timerGen++;
    tw.expires = this.timerAt(t);
    tw.shortArm = t <= TW_KILL_THRESHOLD;
    // This host's wheel keeps expiries of one fixed length in order, so they can share a lane.
    if (t === this.timewaitLen || t === this.sysctl.tcp_fin_timeout * SEC) this.twLane(t).pushAt(tw.expires, tw, tw.timerGen);
    else this.queue.at(tw.expires, { fire: (_now, token) => this.twExpire(tw, token) }, tw.timerGen);
  }

  /** tw_timeout: what a restart re-arms to (TIME_WAIT length; 3.5 * RTO under tcp_tw_recycle). */
  private twTimeout(tw: TimewaitSock): Micros {
    return this.recycleTimeouts.get(tw) ?? this.timewaitLen;
  }

  private twLane(t: Micros): Lane {
    let lane = this.twLanes.get(t);
    if (lane === undefined) this.twLanes.set(t, (lane = this.queue.lane(t, this.twHandler)));
    return lane;
  }

  /** The timewait lanes hand their sockets here when their timers fire. */
  private readonly twHandler: LaneHandler = { fireItem: (_now, item, token) => this.twExpire(item as TimewaitSock, token) };

  twExpire(tw: TimewaitSock, token: number): void {
    if (token !== tw.timerGen) return; // re-armed or killed since
    // 4.4 tw_timer_handler counted here, by the length of the last arming.
    if (this.profile.twCountedAt === 'expiry') {
      if (tw.shortArm) this.mib.TcpExtTWKilled++;
      else this.mib.TcpExtTW++;
    }
    this.removeTimewait(tw);
  }

  /**
   * tcp_metrics.c tcp_remember_stamp (4.4): keep the peer's newest timestamp, or replace a
   * stale one; true when the peer's metrics entry exists (it always does here).
   */
  private rememberStamp(peer: Ipv4, ts: number, stamp: number): boolean {
    const m = this.peerStamps.get(peer);
    if (m === undefined) {
      this.peerStamps.set(peer, { ts, stamp });
    } else if (((m.ts - ts) | 0) <= 0 || (this.seconds() - m.stamp > 60 && m.stamp <= stamp)) {
      m.ts = ts;
      m.stamp = stamp;
    }
    return true;
  }

  /**
   * tcp_metrics.c tcp_peer_is_proven with paws_check (4.4 tcp_conn_request, tcp_tw_recycle on):
   * a SYN from a peer whose remembered timestamp is less than TCP_PAWS_MSL (60 s) old is
   * refused if it carries an older timestamp (more than TCP_PAWS_WINDOW behind) or none.
   */
  private peerProven(seg: Segment): boolean {
    const m = this.peerStamps.get(seg.src);
    if (m === undefined || this.seconds() - m.stamp >= 60) return true;
    return !(!seg.hasTs || ((m.ts - seg.tsVal) | 0) > 1);
  }

  /** The timewait socket goes: out of the hash, its port reference dropped (inet_twsk_kill). */
  private removeTimewait(tw: TimewaitSock): void {
    tw.timerGen++;
    this.unhashConn(tw.raddr, tw.rport, tw.lport, tw);
    this.binds.release(tw.lport, tw.bindFlags);
    this.recycleTimeouts.delete(tw);
    this.connectionEnded(tw.peerIncarnation);
    this.timewaitCount--;
    addState(this.states, tw.substate, -1);
    this.observer?.(this, tw.lport, tw.raddr, tw.rport, tw.substate, 'CLOSE');
  }

  // -----------------------------------------------------------------------------------------
  // connect() and bind() ports.

  /**
   * inet_hashtables.c inet_hash_connect: give `sock` (raddr/rport set) a local port and a
   * place in the established hash, or EADDRNOTAVAIL.
   */
  hashConnect(sock: TcpSocket): Errno | null {
    if (sock.holdsPort) {
      // bind() fixed the port. Alone on it, nothing to check; otherwise the 4-tuple must be
      // free, and a TIME_WAIT on it is reused whenever it saw timestamps (twp == NULL).
      if (this.binds.ownerCount(sock.lport) > 1 && !this.tupleFree(sock, sock.lport, true)) return 'EADDRNOTAVAIL';
      this.hashConn(sock.raddr, sock.rport, sock.lport, sock);
      return null;
    }
    const range = this.sysctl.ip_local_port_range;
    const timeseed = Math.floor(this.queue.now / PORT_SHUFFLE_PERIOD);
    const k0 = this.portKey[0];
    const k1 = this.portKey[1];
    const hashLo = keyedHash(k0, k1, this.address, sock.raddr, sock.rport, timeseed);
    const hashHi = keyedHash(k1, k0, this.address, sock.raddr, sock.rport, timeseed);
    const reuse = this.sysctl.tcp_tw_reuse;
    const probe: PortProbe = {
      reserved: this.reserved,
      bindOwned: this.binds.bindOwned,
      busy: this.busyPorts(sock.raddr, sock.rport),
      reuseMayApply:
        this.profile.linuxExtensions && this.sysctl.tcp_timestamps !== 0 && (reuse === 1 || (reuse === 2 && (isLoopback(sock.raddr) || isLoopback(this.address)))),
      takeBusy: (port) => this.tupleFree(sock, port, false),
    };
    const res =
      this.profile.portSearch === 'even-first'
        ? searchEphemeralPort(range, hashLo, hashHi, this.perturb, () => this.rng.below(8), probe)
        : searchSequentialPort(range, keyedHash(k0, k1, this.address, sock.raddr, sock.rport), this.portHint, probe);
    sock.connectProbes = res.probes;
    if (res.port === 0) return 'EADDRNOTAVAIL';
    sock.bindFlags = sock.sharingFlags();
    this.binds.acquire(res.port, sock.bindFlags, 'connect');
    sock.lport = res.port;
    sock.holdsPort = true;
    this.hashConn(sock.raddr, sock.rport, sock.lport, sock);
    return null;
  }

  private isReserved(port: number): boolean {
    return this.reserved !== null && this.reserved.has(port);
  }

  /**
   * inet_hashtables.c __inet_check_established: is (our address, port, raddr, rport) free for
   * `sock`? A TIME_WAIT there is taken over when tcp_twsk_unique allows.
   */
  private tupleFree(sock: TcpSocket, port: number, boundPort: boolean): boolean {
    const conn = this.lookup(sock.raddr, sock.rport, port);
    if (conn === undefined) return true;
    if (!(conn instanceof TimewaitSock)) return false;
    if (!this.twUnique(conn, sock, boundPort)) return false;
    this.mib.TcpExtTWRecycled++;
    this.removeTimewait(conn);
    return true;
  }

  /**
   * tcp_ipv4.c tcp_twsk_unique: may a new connection take this TIME_WAIT's 4-tuple? Only if
   * the TIME_WAIT saw timestamps from the peer, and either the port was fixed by bind(), or
   * tcp_tw_reuse allows it (2: loopback only; never for the FIN_WAIT_2 substate) and
   * tcp_tw_reuse_delay ms have passed since it entered TIME_WAIT. The new connection starts
   * beyond anything the old one sent, and inherits its ts_recent for PAWS.
   */
  private twUnique(tw: TimewaitSock, sock: TcpSocket, boundPort: boolean): boolean {
    if (!this.profile.linuxExtensions) return false;
    let reuse: number = this.sysctl.tcp_tw_reuse;
    if (tw.substate === 'FIN_WAIT_2') reuse = 0;
    if (reuse === 2) reuse = isLoopback(tw.raddr) || isLoopback(this.address) ? 1 : 0;
    if (tw.tsRecentStamp === 0) return false;
    const delayPassed =
      this.profile.twReuseAge === 'entry-delay'
        ? this.tsClockMs() - (tw.entryStampMs + this.sysctl.tcp_tw_reuse_delay) > 0
        : this.seconds() - tw.tsRecentStamp > 1;
    if (!boundPort && !(reuse !== 0 && delayPassed)) return false;
    let seq = seqAdd(tw.sndNxt, TW_ISN_GAP);
    if (seq === 0) seq = 1;
    sock.writeSeq = seq;
    sock.tsRecent = tw.tsRecent;
    sock.tsRecentStamp = tw.tsRecentStamp;
    return true;
  }

  /**
   * bind(port 0): inet_connection_sock.c inet_csk_find_open_port. From a random odd offset
   * (the parity connect() leaves alone), then the other parity; with SO_REUSEADDR the lower
   * half of the range first, then the upper. Any socket already on a port conflicts here
   * (relax = false; ip_autobind_reuse is off by default), whatever its options.
   */
  bindAnyPort(flags: number): number {
    const lowAll = this.sysctl.ip_local_port_range[0];
    const highAll = this.sysctl.ip_local_port_range[1] + 1;
    const halves = flags & REUSEADDR && highAll - lowAll >= 4 ? [1, 2] : [0];
    for (const half of halves) {
      let low = lowAll;
      let high = highAll;
      const mid = lowAll + (((highAll - lowAll) >> 2) << 1);
      if (half === 1) high = mid;
      else if (half === 2) low = mid;
      let remaining = high - low;
      if (remaining > 1) remaining &= ~1;
      let offset = this.rng.below(remaining) | 1;
      for (let pass = 0; pass < 2; pass++, offset--) {
        let port = low + offset;
        for (let i = 0; i < remaining; i += 2, port += 2) {
          if (port >= high) port -= remaining;
          if (this.isReserved(port)) continue;
          if (!this.binds.has(port)) return port;
        }
      }
    }
    return 0;
  }

  // -----------------------------------------------------------------------------------------
  // Listeners and request sockets.

  /** tcp_input.c tcp_rcv_state_process (LISTEN) and tcp_conn_request. `twIsn`: ISN from a reopened TIME_WAIT. */
  private listenInput(listener: TcpSocket, seg: Segment, twIsn: number): void {
    const f = seg.flags;
    if (f & RST) return;
    if (f & ACK) {
      this.sendReset(seg);
      return;
    }
    if (!(f & SYN) || f & FIN) return;
    const mib = this.mib;
    // sk_acceptq_is_full: more than backlog connections waiting for accept().
    if (listener.acceptQueue.length > listener.backlog) {
      mib.TcpExtListenOverflows++;
      mib.TcpExtListenDrops++;
      return;
    }
    // A full request queue makes Linux answer with SYN cookies (tcp_syncookies = 1, the
    // default): the connection still opens. The model keeps a request socket anyway.
    if (listener.synQueueLen >= listener.backlog) mib.TcpExtSyncookiesSent++;
    // 4.4 with tcp_tw_recycle: a SYN that did not hit a TIME_WAIT must come from a "proven"
    // peer, or it is dropped without a word (the NAT trap).
    if (twIsn === 0 && this.profile.twRecycle && this.sysctl.tcp_tw_recycle === 1 && !this.peerProven(seg)) {
      mib.TcpExtPAWSPassive++;
      return;
    }
    const tsOk = seg.hasTs && this.sysctl.tcp_timestamps !== 0;
    const req = new RequestSock(
      this,
      listener,
      seg.dport,
      seg.src,
      seg.sport,
      seg.seq,
      twIsn !== 0 ? twIsn : this.isn(seg.dport, seg.src, seg.sport),
      tsOk,
      tsOk ? seg.tsVal : 0,
      tsOk ? this.seconds() : 0,
      this.tsOffset(seg.dport, seg.src, seg.sport),
      seg.mss > 0 ? Math.min(seg.mss, this.handshake.mss) : this.handshake.mss,
      seg.win,
      this.nextIncarnation(),
      seg.incarnation,
    );
    // tcp_openreq_init_rwin / tcp_parse_options: SACK and window scaling only if both ends offer them.
    req.sackOk = seg.sackOk && this.handshake.sack;
    if (seg.wscale >= 0 && this.handshake.wscale >= 0) {
      req.sndWscale = Math.min(seg.wscale, TCP_MAX_WSCALE);
      req.rcvWscale = this.handshake.wscale;
      req.wscaleOk = true;
    }
    listener.synQueueLen++;
    this.bump('SYN_RECV');
    this.observer?.(this, req.lport, req.raddr, req.rport, 'LISTEN', 'SYN_RECV');
    this.hashConn(req.raddr, req.rport, req.lport, req);
    this.sendSynAck(req);
    this.armRequest(req, SYNACK_RTO_INIT);
  }

  private sendSynAck(req: RequestSock, retransmission = false): void {
    const seg = new Segment(this.address, req.lport, req.raddr, req.rport, req.iss, seqAdd(req.irs, 1), SYN | ACK, 65535, 0);
    seg.mss = this.handshake.mss;
    seg.sackOk = req.sackOk;
    if (req.wscaleOk) seg.wscale = req.rcvWscale;
    if (req.tsOk) {
      seg.hasTs = true;
      seg.tsVal = (this.tsClockMs() + req.tsOffset) >>> 0;
      seg.tsEcr = req.tsRecent;
    }
    seg.incarnation = req.incarnation;
    seg.senderState = 'SYN_RECV';
    if (req.sntSynack < 0) req.sntSynack = this.queue.now;
    this.send(seg, retransmission);
  }

  private armRequest(req: RequestSock, after: Micros): void {
    this.queue.arm(req.timer, this.timerAt(after));
  }

  /** inet_connection_sock.c reqsk_timer_handler: retransmit the SYN-ACK, at most tcp_synack_retries times. */
  requestTimer(req: RequestSock): void {
    if (req.retrans >= this.sysctl.tcp_synack_retries) {
      this.removeRequest(req);
      return;
    }
    req.retrans++;
    this.mib.TcpExtTCPSynRetrans++;
    this.sendSynAck(req, true);
    this.armRequest(req, Math.min(SYNACK_RTO_INIT * 2 ** req.retrans, this.profile.rtoMax));
  }

  private removeRequest(req: RequestSock): void {
    this.queue.disarm(req.timer);
    this.unhashConn(req.raddr, req.rport, req.lport, req);
    req.listener.synQueueLen--;
    this.states.SYN_RECV--;
    this.observer?.(this, req.lport, req.raddr, req.rport, 'SYN_RECV', 'CLOSE');
  }

  /** tcp_minisocks.c tcp_check_req: a segment for a connection still in the request queue. */
  private requestInput(req: RequestSock, seg: Segment): void {
    const f = seg.flags;
    const mib = this.mib;
    const rcvNxt = seqAdd(req.irs, 1);
    // A retransmitted SYN: send the SYN-ACK again (rate limited), and push back the request
    // timer (tcp_check_req -> tcp_rtx_synack, counted as a retransmission).
    if (seg.seq === req.irs && (f & (SYN | ACK | RST)) === SYN) {
      if (this.queue.now - req.lastOowAck >= 500 * MS) {
        req.lastOowAck = this.queue.now;
        req.retrans++;
        mib.TcpExtTCPSynRetrans++;
        this.sendSynAck(req, true);
        this.armRequest(req, Math.min(SYNACK_RTO_INIT * 2 ** req.retrans, this.profile.rtoMax));
      }
      return;
    }
    // An ACK of something other than our SYN: the listener answers with RST.
    if (f & ACK && seg.ack !== seqAdd(req.iss, 1)) {
      this.sendReset(seg);
      return;
    }
    const inWindow = !before(seqAdd(seg.seq, seg.seqLen), rcvNxt) && !after(seg.seq, seqAdd(rcvNxt, 65535));
    if (!inWindow) {
      if (!(f & RST)) {
        const ack = new Segment(this.address, req.lport, req.raddr, req.rport, seqAdd(req.iss, 1), rcvNxt, ACK, 65535, 0);
        ack.incarnation = req.incarnation;
        this.send(ack);
      }
      return;
    }
    if (f & (RST | SYN)) {
      // embryonic_reset: the half-open connection is dropped.
      mib.TcpAttemptFails++;
      mib.TcpExtEmbryonicRsts++;
      if (!(f & RST)) this.sendReset(seg);
      this.removeRequest(req);
      return;
    }
    if (!(f & ACK)) return;
    const listener = req.listener;
    if (listener.acceptQueue.length > listener.backlog) {
      // Accept queue full, tcp_abort_on_overflow = 0: ignore the ACK, the SYN-ACK will be retransmitted.
      mib.TcpExtListenOverflows++;
      mib.TcpExtListenDrops++;
      req.acked = true;
      return;
    }
    // tcp_create_openreq_child: the connection becomes a full socket, ESTABLISHED.
    this.removeRequest(req);
    const child = new TcpSocket(this);
    child.initChild({
      lport: req.lport,
      raddr: req.raddr,
      rport: req.rport,
      iss: req.iss,
      irs: req.irs,
      tsOk: req.tsOk,
      tsOffset: req.tsOffset,
      tsRecent: req.tsRecent,
      tsRecentStamp: req.tsRecentStamp,
      // The ACK that completes the handshake is the first segment with a scaled window.
      sndWnd: seg.win << req.sndWscale,
      mss: req.mss,
      sackOk: req.sackOk,
      sndWscale: req.sndWscale,
      rcvWscale: req.rcvWscale,
      peerIncarnation: req.peerIncarnation,
      incarnation: req.incarnation,
      reuseaddr: listener.reuseaddr,
      reuseport: listener.reuseport,
      userBound: listener.userBound,
    });
    // __inet_inherit_port: the child shares the listener's bind bucket.
    child.bindFlags = child.sharingFlags();
    this.binds.acquire(child.lport, child.bindFlags, 'bind');
    child.holdsPort = true;
    this.hashConn(child.raddr, child.rport, child.lport, child);
    mib.TcpPassiveOpens++;
    child.parent = listener;
    // tcp_check_req -> tcp_synack_rtt_meas: the RTT since the first SYN-ACK, if it was the only one.
    if (req.retrans === 0 && req.sntSynack >= 0) child.rttSample(this.queue.now - req.sntSynack);
    child.receive(seg);
    if (child.state === 'CLOSE') return;
    listener.acceptQueue.push(child);
    listener.events.acceptable?.(listener);
  }

  // -----------------------------------------------------------------------------------------
  // The integrity oracle.

  /** A connection with `peerIncarnation` ended here (its socket left the tables). */
  connectionEnded(peerIncarnation: number): void {
    if (peerIncarnation === 0) return;
    const word = peerIncarnation >>> 5;
    if (word >= this.endedPeers.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.endedPeers.length * 2));
      grown.set(this.endedPeers);
      this.endedPeers = grown;
    }
    this.endedPeers[word]! |= 1 << (peerIncarnation & 31);
  }

  /** A connection with this peer incarnation ended here. */
  private peerEnded(peerIncarnation: number): boolean {
    const word = peerIncarnation >>> 5;
    return word < this.endedPeers.length && (this.endedPeers[word]! & (1 << (peerIncarnation & 31))) !== 0;
  }

  /** `sock` accepted `bytes` of payload sent by another incarnation of its 4-tuple. */
  staleAccepted(_sock: TcpSocket, seg: Segment, bytes: number): void {
    if (seg.incarnation === 0) return;
    this.integrity.staleSegmentsAccepted++;
    this.integrity.staleBytesAccepted += bytes;
  }
}

/** ip_local_reserved_ports as a set, or null when none are reserved. */
function reservedSet(sysctl: Sysctls): PortSet | null {
  if (sysctl.ip_local_reserved_ports.length === 0) return null;
  const set = new PortSet();
  for (const [lo, hi] of sysctl.ip_local_reserved_ports) for (let p = lo; p <= hi; p++) set.add(p);
  return set;
}
