// A full TCP socket (struct tcp_sock): the socket API an application uses, and the state
// machine that segments drive (tcp_input.c tcp_rcv_state_process, tcp_rcv_synsent_state_process,
// tcp_fin, tcp_data_queue; tcp.c __tcp_close, tcp_shutdown; tcp_timer.c).
//
// The socket decides; the host it belongs to owns the tables, the clock and the wire
// (see host.ts). Payload bytes are counted, never stored.

import { Timer, type Due } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import { MS, SEC } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import { ACK, FIN, PSH, RST, SYN, Segment } from '../net/segment.js';
import type { Errno } from './errno.js';
import type { TcpHost } from './host.js';
import { pawsCheck } from './paws.js';
import { DEFAULT_MSS, DEFAULT_RCV_WND, TCP_INIT_CWND, TCP_INVALID_RATELIMIT, TCP_MAX_WSCALE, TCP_PAWS_WINDOW, TCPOLEN_TSTAMP_ALIGNED } from './profile.js';
import { REUSEADDR, REUSEPORT } from './ports.js';
import { after, before, seqAdd, seqDiff } from './seq.js';
import type { TcpState } from './state.js';

/** SO_LINGER: off, or on with a timeout (0 = abortive close). */
export type Linger = { on: false } | { on: true; timeout: Micros };

/** What the application hears about. Each is optional; the socket calls what is set. */
export interface SocketEvents {
  /** connect() completed: the socket is ESTABLISHED. */
  connected?(s: TcpSocket): void;
  /** connect() failed, or the connection was reset or timed out. */
  error?(s: TcpSocket, err: Errno): void;
  /** Data, or the end of the stream, can be read. */
  readable?(s: TcpSocket): void;
  /** A listening socket has a connection to accept(). */
  acceptable?(s: TcpSocket): void;
  /** A close() that SO_LINGER made block has returned. */
  closed?(s: TcpSocket): void;
}

/**
 * What the socket's one lifecycle timer (tcp_timer.c) is for: nothing; retransmit the SYN,
 * data or FIN (icsk_retransmit_timer); or end an orphaned FIN_WAIT_2 kept as a full socket
 * (tcp_fin_timeout over 60 s, or a FIN in flight).
 */
export type SocketTimerKind = 'idle' | 'retransmit' | 'fin_wait_2';

/**
 * icsk_ca_state, as far as the model goes (include/net/inet_connection_sock.h TCP_CA_*):
 * Open, or Loss from a retransmission timeout (tcp_enter_loss) until snd_una passes high_seq.
 * Disorder, CWR and Recovery are not modelled: fast retransmit on the third duplicate ACK
 * happens in Open.
 */
export type CaState = 'Open' | 'Loss';

/** What tcp_process_loss leaves tcp_xmit_recovery to do (tcp_input.c REXMIT_*). */
type Rexmit = 'none' | 'lost' | 'new';

const LIFECYCLE_TOKEN = 0;
const DELACK_TOKEN = 1;
const LINGER_OFF: Linger = { on: false };
const NO_CHILDREN: TcpSocket[] = [];

/** include/net/tcp.h TCP_TIMEOUT_FALLBACK: the RTO of a connection whose handshake gave no RTT sample (RFC 6298 5.7). */
export const TCP_TIMEOUT_FALLBACK: Micros = 3 * SEC;
/** include/net/tcp.h TCP_DELACK_MIN / TCP_ATO_MIN: 40 ms at HZ=1000. */
export const TCP_DELACK: Micros = 40 * MS;
/** include/net/tcp.h TCP_RETR2 default (tcp_retries2). */
const TCP_RETRIES2 = 15;
/**
 * include/net/tcp.h TCP_INFINITE_SSTHRESH, in bytes: no slow-start threshold until the first
 * loss. 2^30 - 1 rather than 0x7fffffff, so that V8 keeps the field an unboxed small integer.
 */
const TCP_INFINITE_SSTHRESH = 0x3fffffff;
/** tcp_cubic.c beta: ssthresh = cwnd * 717 / 1024 after a loss (cubictcp_recalc_ssthresh). */
const CUBIC_BETA = 717;
/**
 * sysctl tcp_frto, default 2 on 6.18 and 4.4: F-RTO (RFC 5682, tcp_enter_loss) is on. Not a
 * scenario sysctl yet; 1 and 2 differ only with SACK, which the model does not send.
 */
const TCP_FRTO: number = 2;
/** tcp_timer.c tcp_orphan_retries: 0 means 8. */
const ORPHAN_RETRIES_DEFAULT = 8;
/** include/net/tcp.h TCP_FIN_TIMEOUT_MAX: the largest TCP_LINGER2, two minutes. */
const TCP_FIN_TIMEOUT_MAX_S = 120;

/**
 * tcp_timer.c tcp_model_timeout: how long `boundary` retransmissions take when the RTO starts
 * at `rtoBase` and doubles up to `rtoMax` (tcp_retries2 = 15: 924.6 s; 8: 102.2 s).
 */
export function modelTimeout(boundary: number, rtoBase: Micros, rtoMax: Micros): Micros {
  const thresh = Math.floor(Math.log2(rtoMax / rtoBase));
  if (boundary <= thresh) return (2 ** (boundary + 1) - 1) * rtoBase;
  return (2 ** (thresh + 1) - 1) * rtoBase + (boundary - thresh) * rtoMax;
}

/** Closing states in which a SO_LINGER close() keeps waiting (tcp.c tcp_close_state / closing). */
function isClosingState(s: TcpState): boolean {
  return s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK';
}

export class TcpSocket implements Due {
  state: TcpState = 'CLOSE';
  /** Unique per connection in a run: which incarnation of a 4-tuple this is (integrity oracle). */
  incarnation: number;
  /** Candidate ports the connect() port search examined (its CPU cost). */
  connectProbes = 0;
  lport = 0;
  private raddr32 = 0;
  rport = 0;

  // Options.
  reuseaddr = false;
  reuseport = false;
  /** The sharing flags our bind-bucket reference was taken with (REUSEADDR/REUSEPORT). */
  bindFlags = 0;
  linger: Linger = LINGER_OFF;
  /** IP_BIND_ADDRESS_NO_PORT: bind() with port 0 defers the port choice to connect(). */
  bindAddressNoPort = false;
  /** bind() fixed the port (SOCK_BINDPORT_LOCK): it stays ours until close(). */
  userBound = false;
  /** This socket holds a reference on its port's bind bucket. */
  holdsPort = false;

  // Send sequence space (RFC 9293 3.3.1). writeSeq is the end of queued data (+1 once FIN is queued).
  private iss32 = 0;
  private sndUna32 = 0;
  private sndNxt32 = 0;
  private writeSeq32 = 0;
  sndWnd = DEFAULT_RCV_WND;
  finQueued = false;
  cwnd = TCP_INIT_CWND * DEFAULT_MSS;
  mss = DEFAULT_MSS;
  /** SACK-permitted was negotiated (no SACK blocks are ever sent; it shows in the handshake). */
  sackOk = false;
  /** Window scaling (RFC 7323 2): the peer's shift, applied to the windows it sends, and ours,
   *  applied to the window we advertise. 0 when not negotiated. */
  sndWscale = 0;
  rcvWscale = 0;
  /** TCP_LINGER2: orphaned FIN_WAIT_2 lifetime in µs; 0 = tcp_fin_timeout, -1 = reset at once. */
  linger2: Micros = 0;

  // Receive sequence space.
  private irs32 = 0;
  private rcvNxt32 = 0;
  /** rcv_wup: rcv_nxt when we last advertised a window (sent an ACK); the window starts there. */
  private rcvWup32 = 0;
  rcvWnd = DEFAULT_RCV_WND;
  /** Bytes received in order and not yet read by the application. */
  rcvQueue = 0;
  /** The peer's FIN was received (end of stream after rcvQueue). */
  peerFin = false;
  /** sk_shutdown RCV_SHUTDOWN / SEND_SHUTDOWN. */
  rcvShutdown = false;
  sndShutdown = false;

  // Timestamps (RFC 7323).
  tsOk = false;
  private tsOffset32 = 0;
  private tsRecent32 = 0;
  tsRecentStamp = 0;

  // RTT estimation (RFC 6298 as tcp_input.c tcp_rtt_estimator / tcp_set_rto do it).
  srtt = 0;
  rttvar = 0;
  rto: Micros;
  /** Retransmissions of the current head segment (icsk_retransmits). */
  retransmits = 0;
  /** Duplicate ACKs in a row for snd_una. */
  private dupAcks = 0;

  // Loss recovery after a retransmission timeout (tcp_enter_loss, tcp_process_loss).
  caState: CaState = 'Open';
  /** snd_ssthresh, in bytes. */
  ssthresh = TCP_INFINITE_SSTHRESH;
  /** high_seq: snd_nxt at the timeout (F-RTO may move it on); Loss ends once snd_una passes it. */
  private highSeq32 = 0;
  /** The end of what the timeout marked lost (tcp_timeout_mark_lost): [snd_una, lostEnd). */
  private lostEnd32 = 0;
  /** The next lost byte not yet retransmitted (tcp_xmit_retransmit_queue's retransmit_skb_hint). */
  private rexmitNxt32 = 0;
  /** tp->frto: F-RTO (RFC 5682) may still judge this timeout spurious. */
  private frto = false;
  /** tp->sacked_out without SACK, in bytes: one segment per duplicate ACK (tcp_add_reno_sack). */
  private renoSacked = 0;
  /** Something was sent again and is not yet acked: an ACK below retransHigh acks retransmitted
   *  data (tcp_clean_rtx_queue FLAG_RETRANS_DATA_ACKED), which gives no clock RTT sample. */
  private retransPending = false;
  private retransHigh32 = 0;
  /** tp->bytes_acked (the SYN included) and tp->max_window: the RFC 5961 5.2 bound. */
  private bytesAcked = 0;
  private maxWindow = 0;

  private setSndWnd(w: number): void {
    this.sndWnd = w;
    if (w > this.maxWindow) this.maxWindow = w;
  }
  /** Karn: whether a segment is being timed, its sequence number and when it was sent. */
  private rttTiming = false;
  private rttSeq32 = 0;
  private rttSent: Micros = 0;

  // ACK policy: pingpong (interactive) mode delays ACKs hoping to piggyback them.
  pingpong = false;
  /** When data last arrived (tcp_event_data_recv); pingpong looks at it. */
  private lastDataRecv: Micros = -Infinity;
  /** icsk_ack.ato: how long a delayed ACK waits; 0 until the first data arrives. */
  private ato: Micros = 0;
  /** retrans_stamp: when the segment now being retransmitted was first sent. */
  private retransStamp: Micros = 0;
  private delackAt: Micros | null = null;
  private readonly delackTimer = new Timer(this, DELACK_TOKEN);
  lastOowAck: Micros = -Infinity;

  /** close() was called: nobody will read this socket again (SOCK_DEAD). */
  orphan = false;
  /** A close() blocked in SO_LINGER: the application waits, not a socket timer. */
  private lingerWait: LingerWait | null = null;
  /** sk_err: the error the application will see. */
  error: Errno | null = null;
  /** The peer incarnation this connection talks to (integrity oracle). */
  peerIncarnation = 0;

  timerKind: SocketTimerKind = 'idle';
  private readonly lifecycleTimer = new Timer(this, LIFECYCLE_TOKEN);

  // Listening sockets.
  backlog = 0;
  /** Connections waiting for accept() (empty and shared until the socket listens). */
  acceptQueue: TcpSocket[] = NO_CHILDREN;
  /** Request sockets (SYN_RECV) of this listener. */
  synQueueLen = 0;
  /** The listener a not-yet-accepted child belongs to. */
  parent: TcpSocket | null = null;

  events: SocketEvents = {};
  /** Free for the application (workloads keep their per-connection state here). */
  app: unknown = undefined;

  // Addresses, sequence numbers and timestamps are unsigned 32-bit values. Each is kept as an
  // int32 (`v | 0`), which V8 stores in the object itself, and read back unsigned: a field
  // that once held a number >= 2^31 becomes a boxed double, one more heap object per field
  // and socket, and a socket has hundreds of thousands of siblings in a run.
  get raddr(): Ipv4 {
    return this.raddr32 >>> 0;
  }
  set raddr(v: Ipv4) {
    this.raddr32 = v | 0;
  }
  get iss(): number {
    return this.iss32 >>> 0;
  }
  set iss(v: number) {
    this.iss32 = v | 0;
  }
  get sndUna(): number {
    return this.sndUna32 >>> 0;
  }
  set sndUna(v: number) {
    this.sndUna32 = v | 0;
  }
  get sndNxt(): number {
    return this.sndNxt32 >>> 0;
  }
  set sndNxt(v: number) {
    this.sndNxt32 = v | 0;
  }
  get writeSeq(): number {
    return this.writeSeq32 >>> 0;
  }
  set writeSeq(v: number) {
    this.writeSeq32 = v | 0;
  }
  private get highSeq(): number {
    return this.highSeq32 >>> 0;
  }
  private set highSeq(v: number) {
    this.highSeq32 = v | 0;
  }
  private get lostEnd(): number {
    return this.lostEnd32 >>> 0;
  }
  private set lostEnd(v: number) {
    this.lostEnd32 = v | 0;
  }
  private get retransHigh(): number {
    return this.retransHigh32 >>> 0;
  }
  private set retransHigh(v: number) {
    this.retransHigh32 = v | 0;
  }
  private get rexmitNxt(): number {
    return this.rexmitNxt32 >>> 0;
  }
  private set rexmitNxt(v: number) {
    this.rexmitNxt32 = v | 0;
  }
  get irs(): number {
    return this.irs32 >>> 0;
  }
  set irs(v: number) {
    this.irs32 = v | 0;
  }
  get rcvNxt(): number {
    return this.rcvNxt32 >>> 0;
  }
  set rcvNxt(v: number) {
    this.rcvNxt32 = v | 0;
  }
  get rcvWup(): number {
    return this.rcvWup32 >>> 0;
  }
  set rcvWup(v: number) {
    this.rcvWup32 = v | 0;
  }
  get tsOffset(): number {
    return this.tsOffset32 >>> 0;
  }
  set tsOffset(v: number) {
    this.tsOffset32 = v | 0;
  }
  get tsRecent(): number {
    return this.tsRecent32 >>> 0;
  }
  set tsRecent(v: number) {
    this.tsRecent32 = v | 0;
  }

  constructor(readonly host: TcpHost) {
    this.incarnation = host.nextIncarnation();
    this.rto = host.profile.rtoInit;
  }

  // ---------------------------------------------------------------------------------------
  // The socket API.

  /** setsockopt(SO_REUSEADDR). */
  setReuseAddr(on: boolean): void {
    this.reuseaddr = on;
  }

  /** setsockopt(SO_REUSEPORT). */
  setReusePort(on: boolean): void {
    this.reuseport = on;
  }

  /** setsockopt(IP_BIND_ADDRESS_NO_PORT). */
  setBindAddressNoPort(on: boolean): void {
    this.bindAddressNoPort = on;
  }

  /** REUSEADDR (unless listening) | REUSEPORT: how this socket lets others share its port. */
  sharingFlags(): number {
    return (this.reuseaddr && this.state !== 'LISTEN' ? REUSEADDR : 0) | (this.reuseport ? REUSEPORT : 0);
  }

  /** setsockopt(SO_LINGER). */
  setLinger(linger: Linger): void {
    this.linger = linger;
  }

  /**
   * setsockopt(TCP_LINGER2) in seconds. tcp.c do_tcp_setsockopt: negative means reset an
   * orphaned FIN_WAIT_2 at once, 0 means tcp_fin_timeout, and more than TCP_FIN_TIMEOUT_MAX
   * (120 s) is capped there.
   */
  setLinger2(seconds: number): void {
    if (seconds < 0) this.linger2 = -1;
    else this.linger2 = Math.min(seconds, TCP_FIN_TIMEOUT_MAX_S) * SEC;
  }

  /** getsockopt(TCP_LINGER2) in seconds: -1, or the lifetime in use (tcp_fin_timeout when unset). */
  getLinger2(): number {
    if (this.linger2 < 0) return -1;
    return this.linger2 > 0 ? Math.floor(this.linger2 / SEC) : this.host.sysctl.tcp_fin_timeout;
  }

  /** getsockopt(SO_ERROR): the pending error, which reading clears (sock.c sock_error). */
  takeError(): Errno | null {
    const e = this.error;
    this.error = null;
    return e;
  }

  /** bind(): port 0 picks a free port now (bind() prefers odd ports; see host), or at connect() with IP_BIND_ADDRESS_NO_PORT. */
  bind(port: number): Errno | null {
    if (this.state !== 'CLOSE' || this.holdsPort || this.userBound) return 'EINVAL';
    if (port === 0 && this.bindAddressNoPort) return null;
    const flags = this.sharingFlags();
    const chosen = port === 0 ? this.host.bindAnyPort(flags) : port;
    if (chosen === 0) return 'EADDRINUSE';
    if (port !== 0 && this.host.binds.bindConflict(port, flags)) return 'EADDRINUSE';
    this.bindFlags = flags;
    this.host.binds.acquire(chosen, flags, 'bind');
    this.lport = chosen;
    this.holdsPort = true;
    this.userBound = true;
    return null;
  }

  /** listen(): the accept queue holds at most min(backlog, net.core.somaxconn) connections. */
  listen(backlog: number): Errno | null {
    if (this.state === 'LISTEN') {
      this.backlog = Math.min(backlog, this.host.sysctl.somaxconn);
      return null;
    }
    if (this.state !== 'CLOSE') return 'EINVAL';
    if (!this.holdsPort) {
      const e = this.bind(0);
      if (e !== null) return e;
    }
    if (this.host.listenerOn(this.lport) !== undefined) return 'EADDRINUSE';
    this.backlog = Math.min(backlog, this.host.sysctl.somaxconn);
    this.acceptQueue = [];
    this.setState('LISTEN');
    // A listening owner conflicts with every later SO_REUSEADDR bind().
    const flags = this.sharingFlags();
    this.host.binds.changeFlags(this.lport, this.bindFlags, flags);
    this.bindFlags = flags;
    this.host.addListener(this);
    return null;
  }

  /** accept(): the next established connection, or EAGAIN. */
  accept(): TcpSocket | 'EAGAIN' {
    const child = this.acceptQueue.shift();
    if (child === undefined) return 'EAGAIN';
    child.parent = null;
    return child;
  }

  /**
   * connect(): returns EINPROGRESS and later calls `connected` or `error`, or fails at once
   * (EADDRNOTAVAIL when no local port is free for this destination).
   * tcp_ipv4.c tcp_v4_connect.
   */
  connect(raddr: Ipv4, rport: number): Errno {
    if (this.state === 'SYN_SENT') return 'EALREADY';
    if (this.state !== 'CLOSE') return 'EISCONN';
    this.raddr = raddr;
    this.rport = rport;
    const err = this.host.hashConnect(this);
    if (err !== null) {
      this.raddr = 0;
      this.rport = 0;
      return err;
    }
    // Unless a reused TIME_WAIT already set the ISN (tcp_twsk_unique), a keyed hash of the
    // 4-tuple plus a 64 ns clock (secure_seq.c secure_tcp_seq / seq_scale).
    if (this.writeSeq === 0) this.iss = this.host.isn(this.lport, raddr, rport);
    else this.iss = this.writeSeq;
    this.tsOffset = this.host.tsOffset(this.lport, raddr, rport);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.writeSeq = seqAdd(this.iss, 1);
    this.setState('SYN_SENT');
    this.host.mib.TcpActiveOpens++;
    this.sendSyn(false);
    return 'EINPROGRESS';
  }

  /** send(): queue `bytes` (the send buffer is unbounded) and transmit what the window allows. */
  send(bytes: number): number | Errno {
    if (this.error !== null) {
      // sk_stream_wait_connect: a pending error is reported once, then EPIPE.
      const e = this.error;
      this.error = null;
      return e;
    }
    if (this.sndShutdown || this.finQueued || this.state === 'CLOSE') return 'EPIPE';
    if (this.state === 'LISTEN') return 'ENOTCONN';
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') return 'EAGAIN';
    if (bytes <= 0) return 0;
    this.writeSeq = seqAdd(this.writeSeq, bytes);
    // tcp_output.c tcp_event_data_sent: sending within ATO of the last data received makes
    // the connection interactive (pingpong): later ACKs wait to ride on data.
    if (this.host.now - this.lastDataRecv < TCP_DELACK) this.pingpong = true;
    this.transmit();
    return bytes;
  }

  /** recv(): up to `max` bytes; 0 at end of stream; EAGAIN when nothing yet. */
  recv(max: number): number | Errno {
    if (this.rcvQueue > 0) {
      const n = Math.min(max, this.rcvQueue);
      this.rcvQueue -= n;
      return n;
    }
    // tcp.c tcp_recvmsg_locked: the peer's FIN first, then a pending error (reported once:
    // sock_error clears it), then our own shutdown; a socket never connected is ENOTCONN.
    if (this.peerFin) return 0;
    if (this.error !== null) return this.takeError()!;
    if (this.rcvShutdown) return 0;
    if (this.state === 'CLOSE') return 'ENOTCONN';
    return 'EAGAIN';
  }

  /** Bytes ready to read. */
  get readable(): number {
    return this.rcvQueue;
  }

  /** shutdown(SHUT_WR / SHUT_RD / SHUT_RDWR). tcp.c tcp_shutdown. */
  shutdown(how: 'WR' | 'RD' | 'RDWR'): Errno | null {
    // af_inet.c inet_shutdown: a connecting socket is disconnected, a listener stops listening.
    if (this.state === 'SYN_SENT') {
      this.closeState();
      return null;
    }
    if (this.state === 'LISTEN') {
      if (how !== 'WR') this.close();
      return null;
    }
    if (this.state === 'CLOSE') return 'ENOTCONN';
    if (how !== 'WR') this.rcvShutdown = true;
    if (how !== 'RD' && !this.sndShutdown) {
      this.sndShutdown = true;
      if (this.closeState()) this.sendFin();
    }
    return null;
  }

  /**
   * close(). tcp.c __tcp_close. Returns 'blocked' when SO_LINGER makes it wait for the FIN
   * to be acknowledged; `closed` is called when it returns.
   */
  close(): 'done' | 'blocked' {
    if (this.orphan || this.lingerWait !== null) return 'done';
    this.rcvShutdown = true;
    this.sndShutdown = true;
    // Nobody reads this socket again; only a blocked close() still has something to hear.
    const closed = this.events.closed;
    this.events = closed !== undefined ? { closed } : {};
    const host = this.host;
    if (this.state === 'LISTEN') {
      this.setState('CLOSE');
      host.removeListener(this);
      // inet_csk_listen_stop: connections never accepted are reset.
      for (const child of this.acceptQueue.splice(0)) {
        child.parent = null;
        child.orphan = true;
        child.abort(null);
      }
      host.dropRequestsOf(this);
      this.destroy();
      return 'done';
    }
    if (this.rcvQueue > 0) {
      // RFC 2525 2.17: closing with unread data resets the connection.
      this.rcvQueue = 0;
      this.abort('TcpExtTCPAbortOnClose');
    } else if (this.linger.on && this.linger.timeout === 0) {
      // SO_LINGER with a zero timeout: abortive close, unsent data discarded (tcp_disconnect).
      this.abort('TcpExtTCPAbortOnData');
    } else if (this.closeState()) {
      this.sendFin();
      if (this.linger.on && isClosingState(this.state)) {
        // tcp.c __tcp_close: sk_stream_wait_close until the FIN is acked or the time runs out.
        const wait = new LingerWait(this);
        this.lingerWait = wait;
        host.queue.at(host.now + this.linger.timeout, wait, wait.gen);
        return 'blocked';
      }
    }
    this.finishClose();
    return 'done';
  }

  /**
   * connect(AF_UNSPEC): tcp.c tcp_disconnect. The connection is dropped (with an RST where the
   * peer holds state) and the socket may connect again: from the port bind() fixed, else a new
   * one, with an ISN beyond anything the old connection could have had in flight
   * (write_seq + max_window + 2), so old segments cannot land in the new one.
   */
  disconnect(): void {
    const old = this.state;
    if (old === 'LISTEN') {
      this.close();
      return;
    }
    if (old === 'CLOSE' && this.rport === 0) return;
    const reset = this.resetPeerIfNeeded();
    let seq = seqAdd(this.writeSeq, this.maxWindow + 2);
    if (seq === 0) seq = 1;
    this.quietClose = true; // tcp_disconnect does not go through tcp_done: no TcpAttemptFails
    if (old !== 'CLOSE') this.done();
    this.error = reset || old === 'SYN_SENT' ? 'ECONNRESET' : null;
    // A fresh connection's state; options, the bound port and linger settings stay.
    this.raddr = 0;
    this.rport = 0;
    this.rcvShutdown = false;
    this.sndShutdown = false;
    this.peerFin = false;
    this.finQueued = false;
    this.rcvQueue = 0;
    this.ooo = null;
    this.tsOk = false;
    this.tsRecent = 0;
    this.tsRecentStamp = 0;
    this.sackOk = false;
    this.sndWscale = 0;
    this.rcvWscale = 0;
    this.srtt = 0;
    this.rttvar = 0;
    this.rto = this.host.profile.rtoInit;
    this.retransmits = 0;
    this.dupAcks = 0;
    this.caState = 'Open';
    this.ssthresh = TCP_INFINITE_SSTHRESH;
    this.frto = false;
    this.renoSacked = 0;
    this.retransPending = false;
    this.bytesAcked = 0;
    this.maxWindow = 0;
    this.rttTiming = false;
    this.pingpong = false;
    this.ato = 0;
    this.lastDataRecv = -Infinity;
    this.cwnd = TCP_INIT_CWND * DEFAULT_MSS;
    this.mss = DEFAULT_MSS;
    this.sndWnd = DEFAULT_RCV_WND;
    this.writeSeq = seq;
    this.quietClose = false;
    this.handedToTimewait = false;
    this.peerIncarnation = 0;
    this.incarnation = this.host.nextIncarnation();
  }

  // ---------------------------------------------------------------------------------------
  // Close paths.

  /** The part of __tcp_close after any SO_LINGER wait: orphan the socket, then decide its fate. */
  private finishClose(): void {
    const host = this.host;
    this.orphan = true;
    if (this.state === 'CLOSE') {
      this.destroy();
      return;
    }
    host.orphanCount++;
    this.countedOrphan = true;
    if (this.state === 'FIN_WAIT_2') {
      if (this.linger2 < 0) {
        // tcp.c __tcp_close: TCP_LINGER2 < 0 resets an orphan that is already in FIN_WAIT_2.
        host.mib.TcpExtTCPAbortOnLinger++;
        this.output(RST | ACK, this.sndNxt, 0);
        host.mib.TcpOutRsts++;
        this.done();
        return;
      }
      // An orphan in FIN_WAIT_2 waits for the peer's FIN at most tcp_fin_timeout.
      this.orphanFinWait2(false);
      if (this.stateNow() === 'CLOSE') return;
    }
    // tcp.c tcp_check_oom: beyond tcp_max_orphans, orphans are reset.
    if (host.orphanCount > host.sysctl.tcp_max_orphans) {
      host.mib.TcpExtTCPAbortOnMemory++;
      this.abort(null);
    }
  }

  /** tcp.c tcp_close_state: the state after the application's side closes; true if a FIN goes out. */
  private closeState(): boolean {
    switch (this.state) {
      case 'ESTABLISHED':
      case 'SYN_RECV':
        this.setState('FIN_WAIT_1');
        return true;
      case 'CLOSE_WAIT':
        this.setState('LAST_ACK');
        return true;
      case 'SYN_SENT':
        // Nothing was established: just stop (no RST, and not counted as a failed attempt).
        this.quietClose = true;
        this.done();
        return false;
      case 'CLOSE':
      case 'LISTEN':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
      case 'CLOSING':
      case 'LAST_ACK':
      case 'TIME_WAIT':
        return false;
    }
  }

  /**
   * Orphaned FIN_WAIT_2 (tcp_input.c tcp_rcv_state_process TCP_FIN_WAIT1 case, tcp.c __tcp_close):
   * tcp_fin_timeout up to 60 s becomes a timewait socket with substate FIN_WAIT_2; a longer one
   * keeps the full socket for the excess first. `finInFlight`: this segment also carries the
   * peer's FIN, so stay a full socket and let the FIN take us to TIME_WAIT.
   */
  private orphanFinWait2(finInFlight: boolean): void {
    const host = this.host;
    const tmo = this.finTime();
    if (tmo > host.timewaitLen) {
      this.setTimer('fin_wait_2', host.timerAt(tmo - host.timewaitLen));
    } else if (finInFlight) {
      // The FIN in this same segment will normally take us to TIME_WAIT at once (and Linux
      // then deletes this timer); arm it only if we are still in FIN_WAIT_2 afterwards, so
      // a dead socket does not wait in the event queue.
      this.finWait2Deferred = tmo;
    } else {
      host.timeWait(this, 'FIN_WAIT_2', tmo);
    }
  }

  /** tcp.h tcp_fin_time: TCP_LINGER2 or else tcp_fin_timeout, at least 3.5 * RTO. */
  private finTime(): Micros {
    const fin = this.linger2 > 0 ? this.linger2 : this.host.sysctl.tcp_fin_timeout * SEC;
    const floor = this.rto * 4 - this.rto / 2;
    return fin < floor ? floor : fin;
  }

  /**
   * Drop the connection, with an RST where the peer holds state (tcp.c tcp_disconnect,
   * tcp_need_reset; tcp_send_active_reset), then tcp_done.
   */
  abort(counter: 'TcpExtTCPAbortOnClose' | 'TcpExtTCPAbortOnData' | 'TcpExtTCPAbortOnTimeout' | null): void {
    if (counter !== null) this.host.mib[counter]++;
    this.resetPeerIfNeeded();
    this.done();
  }

  /**
   * tcp.c tcp_need_reset, then tcp_send_active_reset: an RST at snd_nxt where the peer still
   * holds the connection (in CLOSING and LAST_ACK only while our FIN is unsent). Returns
   * whether it sent one.
   */
  private resetPeerIfNeeded(): boolean {
    const s = this.state;
    const needReset =
      s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2' || s === 'SYN_RECV' ||
      ((s === 'CLOSING' || s === 'LAST_ACK') && this.sndNxt !== this.writeSeq);
    if (!needReset) return false;
    this.output(RST | ACK, this.sndNxt, 0);
    this.host.mib.TcpOutRsts++;
    return true;
  }

  /** tcp_input.c tcp_reset: the peer reset us. The error depends on where we were. */
  private reset(): void {
    let err: Errno;
    switch (this.state) {
      case 'SYN_SENT':
        err = 'ECONNREFUSED';
        break;
      case 'CLOSE_WAIT':
        err = 'EPIPE';
        break;
      default:
        err = 'ECONNRESET';
    }
    this.error = err;
    this.done();
    if (!this.orphan) this.events.error?.(this, err);
  }

  /**
   * tcp.c tcp_done: CLOSE, out of the tables; the port goes too unless bind() fixed it.
   * An orphan is destroyed here.
   */
  done(): void {
    if ((this.state === 'SYN_SENT' || this.state === 'SYN_RECV') && !this.quietClose) this.host.mib.TcpAttemptFails++;
    // sk_shutdown = SHUTDOWN_MASK: once a pending error has been read, read() gives 0.
    this.rcvShutdown = true;
    this.sndShutdown = true;
    this.setState('CLOSE');
    this.setTimer('idle');
    this.cancelDelack();
    this.host.unhash(this);
    if (!this.handedToTimewait) this.host.connectionEnded(this.peerIncarnation);
    if (this.holdsPort && !this.userBound) this.releasePort();
    if (this.orphan) this.destroy();
    else if (this.lingerWait !== null) this.lingerReturn();
  }

  /** The socket is gone for good (sk_free): its port reference and orphan count are released. */
  destroy(): void {
    if (this.holdsPort) this.releasePort();
    if (this.countedOrphan) {
      this.host.orphanCount--;
      this.countedOrphan = false;
    }
  }
  /** Counted in the host's orphan count (tcp_orphan_count). */
  private countedOrphan = false;
  /** A timewait socket took over the 4-tuple: the connection has not ended yet. */
  handedToTimewait = false;
  /** An orphan FIN_WAIT_2 timer waiting for the end of the segment that set it (0 = none). */
  private finWait2Deferred: Micros = 0;
  /** tcp_close_state took SYN_SENT straight to CLOSE: no tcp_done, no TcpAttemptFails. */
  private quietClose = false;

  private releasePort(): void {
    this.host.binds.release(this.lport, this.bindFlags);
    this.holdsPort = false;
  }

  setState(next: TcpState): void {
    const prev = this.state;
    if (prev === next) return;
    // tcp.c tcp_set_state: ESTABLISHED or CLOSE_WAIT straight to CLOSE is a reset.
    if (next === 'CLOSE' && (prev === 'ESTABLISHED' || prev === 'CLOSE_WAIT')) this.host.mib.TcpEstabResets++;
    this.host.stateChange(prev, next, this.lport, this.raddr, this.rport);
    this.state = next;
    // Out of the closing states: a close() blocked in SO_LINGER returns, right after this
    // segment is processed (the application runs after the kernel's softirq).
    const wait = this.lingerWait;
    if (wait !== null && !isClosingState(next) && next !== 'CLOSE') this.host.queue.at(this.host.now, wait, ++wait.gen);
  }

  /** A close() blocked in SO_LINGER returns: the FIN was acknowledged, or the time ran out. */
  lingerReturn(): void {
    if (this.lingerWait === null) return;
    this.lingerWait.gen++;
    this.lingerWait = null;
    const closed = this.events.closed;
    this.finishClose();
    closed?.(this);
  }

  // ---------------------------------------------------------------------------------------
  // Output.

  /** Build and send one segment from this connection. */
  private output(flags: number, seq: number, len: number, retransmission = false): void {
    const host = this.host;
    const seg = new Segment(host.address, this.lport, this.raddr, this.rport, seq, flags & ACK ? this.rcvNxt : 0, flags, this.windowField(), len);
    if (this.tsOk) {
      seg.hasTs = true;
      seg.tsVal = (host.tsClockMs() + this.tsOffset) >>> 0;
      seg.tsEcr = this.tsRecent;
    }
    seg.incarnation = this.incarnation;
    seg.senderState = this.state;
    if (flags & ACK) {
      this.cancelDelack();
      this.rcvWup = this.rcvNxt;
    }
    host.send(seg, retransmission);
  }

  /** The SYN of connect() (or SYN-ACK of a simultaneous open), first or retransmitted. */
  private sendSyn(withAck: boolean): void {
    const host = this.host;
    const seg = new Segment(host.address, this.lport, this.raddr, this.rport, this.iss, withAck ? this.rcvNxt : 0, withAck ? SYN | ACK : SYN, this.rcvWnd, 0);
    const hs = host.handshake;
    seg.mss = hs.mss;
    // A SYN offers what the host supports; a SYN-ACK (simultaneous open) what was negotiated.
    seg.sackOk = withAck ? this.sackOk : hs.sack;
    if (hs.wscale >= 0 && (!withAck || this.rcvWscale > 0 || this.sndWscale > 0)) seg.wscale = hs.wscale;
    if (host.sysctl.tcp_timestamps !== 0) {
      seg.hasTs = true;
      seg.tsVal = (host.tsClockMs() + this.tsOffset) >>> 0;
      seg.tsEcr = withAck ? this.tsRecent : 0;
    }
    seg.incarnation = this.incarnation;
    seg.senderState = this.state;
    this.sndNxt = seqAdd(this.iss, 1);
    if (this.retransmits === 0) {
      this.rttTiming = true;
      this.rttSeq32 = this.iss32;
      this.rttSent = host.now;
    }
    host.send(seg, this.retransmits > 0);
    this.setTimer('retransmit', host.timerAt(this.rto));
  }

  private sendAck(): void {
    this.output(ACK, this.sndNxt, 0);
  }

  /** The 16-bit window field: our receive window shifted right by our scale, rounded up
   *  (tcp_output.c tcp_select_window; SYNs carry it unscaled). */
  private windowField(): number {
    if (this.rcvWscale === 0) return this.rcvWnd;
    return Math.min(0xffff, Math.ceil(this.rcvWnd / 2 ** this.rcvWscale));
  }

  /** The window a non-SYN segment offers, in bytes (RFC 7323 2.3: SYN windows are never scaled). */
  private peerWindow(seg: Segment): number {
    return seg.win << this.sndWscale; // at most 65535 << 14 (TCP_MAX_WSCALE): an int32
  }

  /**
   * tcp_oow_rate_limited: out-of-window ACKs at most once per tcp_invalid_ratelimit, except
   * in answer to a segment with data or FIN and no SYN (a retransmission that needs the ACK).
   */
  private oowLimited(seg: Segment): boolean {
    if (seg.seqLen > 0 && !(seg.flags & SYN)) return false;
    return this.rateLimited();
  }

  /** __tcp_oow_rate_limited: at most one such ACK per tcp_invalid_ratelimit on this socket. */
  private rateLimited(): boolean {
    if (this.host.now - this.lastOowAck < TCP_INVALID_RATELIMIT) return true;
    this.lastOowAck = this.host.now;
    return false;
  }

  /** tcp_validate_incoming syn_challenge: counted whether or not the rate limit lets the ACK out. */
  private synChallenge(): void {
    this.host.mib.TcpExtTCPSYNChallenge++;
    this.challengeAck();
  }

  /**
   * tcp_send_challenge_ack (RFC 5961), rate limited per socket. Unlike other out-of-window
   * ACKs, even a segment with data or a FIN does not get past the limit: the kernel checks
   * __tcp_oow_rate_limited, not tcp_oow_rate_limited (4.4 and 6.18 alike).
   */
  private challengeAck(): void {
    if (this.rateLimited()) {
      this.host.mib.TcpExtTCPACKSkippedChallenge++;
      return;
    }
    this.host.mib.TcpExtTCPChallengeACK++;
    this.sendAck();
  }

  /** tcp_send_dupack for an unacceptable segment (rate limited). */
  private dupAck(seg: Segment, skipped: 'TcpExtTCPACKSkippedSeq' | 'TcpExtTCPACKSkippedPAWS'): void {
    if (this.oowLimited(seg)) {
      this.host.mib[skipped]++;
      return;
    }
    this.sendAck();
  }

  /** Queue our FIN after the data and send what we can (tcp_send_fin). */
  private sendFin(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.writeSeq = seqAdd(this.writeSeq, 1);
    this.transmit();
  }

  /** Send new data and the FIN as far as the peer's window and our congestion window allow. */
  private transmit(): void {
    const host = this.host;
    const dataEnd = this.finQueued ? seqAdd(this.writeSeq, -1) : this.writeSeq;
    let sent = false;
    while (before(this.sndNxt, this.writeSeq)) {
      // The peer's window counts every byte not acked; cwnd only those in the network
      // (tcp_write_xmit: tcp_snd_wnd_test, tcp_cwnd_test).
      const room = Math.min(this.sndWnd - seqDiff(this.sndNxt, this.sndUna), this.cwnd - this.inFlight());
      const pending = seqDiff(dataEnd, this.sndNxt);
      if (pending > 0) {
        if (room <= 0) break;
        const len = Math.min(this.mss, pending, room);
        const last = len === pending;
        let flags = ACK | (last ? PSH : 0);
        if (last && this.finQueued) flags |= FIN; // the FIN rides on the last data segment
        this.startRtt(this.sndNxt);
        this.output(flags, this.sndNxt, len);
        this.sndNxt = seqAdd(this.sndNxt, len + (flags & FIN ? 1 : 0));
      } else {
        this.startRtt(this.sndNxt);
        this.output(FIN | ACK, this.sndNxt, 0);
        this.sndNxt = seqAdd(this.sndNxt, 1);
      }
      sent = true;
    }
    if (sent && this.timerKind !== 'retransmit') this.setTimer('retransmit', host.timerAt(this.rto));
  }

  private startRtt(seq: number): void {
    if (!this.rttTiming) {
      this.rttTiming = true;
      this.rttSeq32 = seq | 0;
      this.rttSent = this.host.now;
    }
  }

  /**
   * tcp_packets_in_flight, in bytes: what was sent and not acked, less what the timeout
   * marked lost and is not yet retransmitted, less what duplicate ACKs say has left the
   * network (tcp_left_out). Outside Loss, everything sent and not acked.
   */
  private inFlight(): number {
    const outstanding = seqDiff(this.sndNxt, this.sndUna);
    if (this.caState === 'Open') return outstanding;
    return Math.max(outstanding - this.lostOut() - this.renoSacked, 0);
  }

  /** lost_out - retrans_out, in bytes: marked lost by the timeout, not yet sent again. */
  private lostOut(): number {
    const from = after(this.sndUna, this.rexmitNxt) ? this.sndUna : this.rexmitNxt;
    return after(this.lostEnd, from) ? seqDiff(this.lostEnd, from) : 0;
  }

  /** Retransmit the oldest unacknowledged segment (the RTO, fast retransmit). */
  private retransmitHead(): void {
    this.retransmitAt(this.sndUna, this.writeSeq);
  }

  /**
   * Send again the segment at `seq`, not beyond `limit` (tcp_retransmit_skb); returns where
   * it ends. From the head, `limit` is writeSeq: the segment may take in data queued since.
   */
  private retransmitAt(seq: number, limit: number): number {
    const dataEnd = this.finQueued ? seqAdd(this.writeSeq, -1) : this.writeSeq;
    const pending = seqDiff(dataEnd, seq);
    let end: number;
    if (pending > 0) {
      const len = Math.min(this.mss, pending, seqDiff(limit, seq));
      let flags = ACK | (len === pending ? PSH : 0);
      if (len === pending && this.finQueued && after(limit, dataEnd)) flags |= FIN;
      this.output(flags, seq, len, true);
      end = seqAdd(seq, len + (flags & FIN ? 1 : 0));
    } else {
      this.output(FIN | ACK, seq, 0, true);
      end = seqAdd(seq, 1);
    }
    if (before(this.sndNxt, end)) this.sndNxt = end;
    if (!this.retransPending || after(end, this.retransHigh)) this.retransHigh = end;
    this.retransPending = true;
    return end;
  }

  /**
   * tcp_output.c tcp_xmit_retransmit_queue: resend what the timeout marked lost, in order,
   * as far as cwnd allows (Loss state, no SACK: go-back-N from snd_una to the timeout's snd_nxt).
   */
  private retransmitLost(): void {
    if (before(this.rexmitNxt, this.sndUna)) this.rexmitNxt = this.sndUna;
    while (before(this.rexmitNxt, this.lostEnd) && this.cwnd - this.inFlight() > 0) {
      this.rexmitNxt = this.retransmitAt(this.rexmitNxt, this.lostEnd);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Timers.

  /** Arm the lifecycle timer for `kind` at `at` (a time on the host's timer wheel), or stop it ('idle'). */
  setTimer(kind: SocketTimerKind, at: Micros = 0): void {
    this.timerKind = kind;
    if (kind === 'idle') this.host.queue.disarm(this.lifecycleTimer);
    else this.host.queue.arm(this.lifecycleTimer, at);
  }

  /**
   * tcp_send_delayed_ack: the ACK waits `ato` (0 until data has arrived, then TCP_ATO_MIN and
   * adapting to the arrival pattern), on the timer wheel.
   */
  private scheduleDelack(): void {
    if (this.delackAt !== null) return;
    this.delackAt = this.host.timerAt(this.ato);
    this.host.queue.arm(this.delackTimer, this.delackAt);
  }

  private cancelDelack(): void {
    if (this.delackAt !== null) {
      this.delackAt = null;
      this.host.queue.disarm(this.delackTimer);
    }
  }

  /** Timer callback: the lifecycle timer or the delayed ACK. */
  fire(_now: Micros, token: number): void {
    if (token === DELACK_TOKEN) {
      this.delackAt = null;
      // tcp_delack_timer_handler: the ACK found nothing to ride on; leave pingpong mode.
      if (this.pingpong) {
        this.pingpong = false;
        this.ato = TCP_DELACK;
      }
      if (this.state !== 'CLOSE') this.sendAck();
      return;
    }
    const kind = this.timerKind;
    this.timerKind = 'idle';
    switch (kind) {
      case 'idle':
        return;
      case 'retransmit':
        this.onRetransmitTimer();
        return;
      case 'fin_wait_2': {
        // tcp_timer.c tcp_keepalive_timer for an orphaned FIN_WAIT_2: what is left of
        // tcp_fin_time beyond TCP_TIMEWAIT_LEN is spent as a timewait socket; nothing left
        // means RST. (So a tcp_fin_timeout of 90 s waits 30 s + 30 s, not 90 s.)
        if (this.state !== 'FIN_WAIT_2' || !this.orphan) return;
        const rest = this.finTime() - this.host.timewaitLen;
        if (rest > 0) this.host.timeWait(this, 'FIN_WAIT_2', rest);
        else this.abort(null);
        return;
      }
    }
  }

  /** tcp_timer.c tcp_retransmit_timer / tcp_write_timeout. */
  private onRetransmitTimer(): void {
    const host = this.host;
    const sysctl = host.sysctl;
    const profile = host.profile;
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') {
      // tcp_syn_linear_timeouts (6.5+): the first retransmissions keep the initial RTO, and
      // as many more are allowed before ETIMEDOUT.
      const linear = this.state === 'SYN_SENT' ? profile.synLinearTimeouts : 0;
      if (this.retransmits >= sysctl.tcp_syn_retries + linear) {
        host.mib.TcpExtTCPAbortOnTimeout++;
        this.fail('ETIMEDOUT');
        return;
      }
      this.retransmits++;
      this.rto = this.retransmits <= linear ? profile.rtoInit : Math.min(this.rto * 2, profile.rtoMax);
      host.mib.TcpExtTCPSynRetrans++;
      this.rttTiming = false;
      this.sendSyn(this.state === 'SYN_RECV');
      return;
    }
    if (!before(this.sndUna, this.writeSeq) || this.state === 'CLOSE') return; // all acked
    // tcp_write_timeout / retransmits_timed_out: give up once the time that `boundary`
    // backed-off retransmissions from TCP_RTO_MIN would take has passed since the first send.
    if (this.retransmits === 0) this.retransStamp = host.now - this.rto;
    const boundary = this.orphan ? sysctl.tcp_orphan_retries || ORPHAN_RETRIES_DEFAULT : TCP_RETRIES2;
    if (host.now - this.retransStamp >= modelTimeout(boundary, profile.rtoMin, profile.rtoMax)) {
      host.mib.TcpExtTCPAbortOnTimeout++;
      this.fail('ETIMEDOUT');
      return;
    }
    this.enterLoss();
    this.retransmits++;
    this.rto = Math.min(this.rto * 2, profile.rtoMax);
    this.rttTiming = false; // Karn: never time a retransmitted segment
    this.rexmitNxt = this.retransmitAt(this.sndUna, this.writeSeq);
    this.setTimer('retransmit', host.timerAt(this.rto));
  }

  /**
   * tcp_input.c tcp_enter_loss, at a retransmission timeout: everything outstanding is
   * marked lost (tcp_timeout_mark_lost), so nothing is in flight and cwnd is 1 segment;
   * ssthresh comes down unless this timeout repeats one already in this window; the ACKs
   * that follow clock out the lost segments (tcp_process_loss) until snd_una passes high_seq.
   */
  private enterLoss(): void {
    const newRecovery = this.caState === 'Open';
    // "Reduce ssthresh if it has not yet been made inside this window": the first timeout,
    // or one after snd_una moved (icsk_retransmits was cleared), or past high_seq.
    if (newRecovery || this.retransmits === 0 || !after(this.highSeq, this.sndUna)) {
      this.ssthresh = this.lossSsthresh();
    }
    this.caState = 'Loss';
    this.highSeq = this.sndNxt;
    this.lostEnd = this.sndNxt;
    this.rexmitNxt = this.sndUna;
    this.renoSacked = 0; // tcp_reset_reno_sack: duplicate ACKs before the timeout no longer count
    this.dupAcks = 0;
    this.cwnd = this.mss; // tcp_packets_in_flight + 1
    // F-RTO (RFC 5682 3.1 step 1) for a new loss episode, or a timeout repeating on the same snd_una.
    this.frto = TCP_FRTO !== 0 && (newRecovery || this.retransmits > 0);
  }

  /** CUBIC, the default congestion control (tcp_cubic.c cubictcp_recalc_ssthresh): 717/1024 of cwnd, at least 2 segments. */
  private lossSsthresh(): number {
    const packets = Math.floor(this.cwnd / this.mss);
    return Math.max((packets * CUBIC_BETA) >> 10, 2) * this.mss;
  }

  /**
   * tcp_input.c tcp_process_loss, for an ACK in Loss (no SACK, no undo): decide what
   * tcp_xmit_recovery sends. `advanced`: the ACK moved snd_una (else it is a duplicate).
   */
  private processLoss(advanced: boolean): Rexmit {
    const recovered = !before(this.sndUna, this.highSeq);
    if (this.frto) {
      // F-RTO (RFC 5682 3.1). Its undo (step 3.b, an ACK of never-retransmitted data: the
      // timeout was spurious) is not modelled; neither is tcp_try_undo_loss by timestamps.
      if (after(this.sndNxt, this.highSeq)) {
        if (!advanced) this.frto = false; // step 3.a: a duplicate ACK after new data: the loss was real
      } else if (advanced && !recovered) {
        // Step 2.b: send new data rather than retransmit, if there is any and the window
        // has room; its ACKs will tell whether the timeout was spurious.
        this.highSeq = this.sndNxt;
        if (before(this.sndNxt, this.writeSeq) && seqDiff(this.sndNxt, this.sndUna) < this.sndWnd) return 'new';
        this.frto = false;
      }
    }
    if (recovered) {
      // tcp_try_undo_recovery: Loss is over, but without SACK it holds until something above
      // high_seq is acked, so that duplicate ACKs of it cause no fast retransmit
      // (tcp_is_non_sack_preventing_reopen, RFC 6582).
      if (this.sndUna !== this.highSeq) this.caState = 'Open';
      return 'none';
    }
    if (after(this.sndNxt, this.highSeq) && !advanced) {
      // A duplicate ACK says one of the segments sent after high_seq has arrived: one fewer
      // in flight (tcp_add_reno_sack, bounded by tcp_limit_reno_sacked).
      const holes = Math.max(this.lostOut(), this.mss);
      this.renoSacked = Math.max(Math.min(this.renoSacked + this.mss, seqDiff(this.sndNxt, this.sndUna) - holes), 0);
    } else if (advanced) {
      this.renoSacked = 0; // tcp_reset_reno_sack
    }
    return 'lost';
  }

  /** tcp_input.c tcp_xmit_recovery: after the ACK, send new data (F-RTO) or the lost segments. */
  private xmitRecovery(rexmit: Rexmit): void {
    switch (rexmit) {
      case 'none':
        return;
      case 'new':
        this.transmit();
        if (after(this.sndNxt, this.highSeq)) return;
        this.frto = false;
        this.retransmitLost();
        return;
      case 'lost':
        this.retransmitLost();
        return;
    }
  }

  /** tcp_write_err: give up with an error the application sees. */
  private fail(err: Errno): void {
    this.error = err;
    this.done();
    if (!this.orphan) this.events.error?.(this, err);
  }

  // ---------------------------------------------------------------------------------------
  // Input.

  /** Take over a connection from a request socket (tcp_create_openreq_child). */
  initChild(args: {
    lport: number;
    raddr: Ipv4;
    rport: number;
    iss: number;
    irs: number;
    tsOk: boolean;
    tsOffset: number;
    tsRecent: number;
    tsRecentStamp: number;
    sndWnd: number;
    mss: number;
    sackOk: boolean;
    sndWscale: number;
    rcvWscale: number;
    peerIncarnation: number;
    incarnation: number;
    reuseaddr: boolean;
    reuseport: boolean;
    userBound: boolean;
  }): void {
    this.incarnation = args.incarnation;
    this.userBound = args.userBound;
    this.lport = args.lport;
    this.raddr = args.raddr;
    this.rport = args.rport;
    this.iss = args.iss;
    this.sndUna = this.sndNxt = this.writeSeq = seqAdd(args.iss, 1);
    this.irs = args.irs;
    this.rcvNxt = this.rcvWup = seqAdd(args.irs, 1);
    this.tsOk = args.tsOk;
    this.tsOffset = args.tsOffset;
    this.tsRecent = args.tsRecent;
    this.tsRecentStamp = args.tsRecentStamp;
    this.setSndWnd(args.sndWnd);
    this.bytesAcked = 1; // the handshake's final ACK acknowledged our SYN
    this.mss = sendMss(args.mss, args.tsOk);
    this.cwnd = TCP_INIT_CWND * this.mss;
    this.sackOk = args.sackOk;
    this.sndWscale = args.sndWscale;
    this.rcvWscale = args.rcvWscale;
    this.peerIncarnation = args.peerIncarnation;
    this.reuseaddr = args.reuseaddr;
    this.reuseport = args.reuseport;
    this.setState('SYN_RECV');
  }

  /** A segment for this connection (the host found it by its 4-tuple). */
  receive(seg: Segment): void {
    switch (this.state) {
      case 'SYN_SENT':
        this.rcvSynSent(seg);
        return;
      case 'CLOSE':
      case 'LISTEN':
      case 'TIME_WAIT':
        throw new Error(`segment demultiplexed to a ${this.state} full socket`);
      case 'SYN_RECV':
      case 'ESTABLISHED':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
      case 'CLOSE_WAIT':
      case 'CLOSING':
      case 'LAST_ACK':
        this.rcvSynchronized(seg);
        return;
    }
  }

  /** tcp_input.c tcp_parse_options on the peer's SYN or SYN-ACK: SACK and window scaling
   *  hold only if both ends offered them (RFC 2018, RFC 7323 2.2). */
  private negotiate(seg: Segment): void {
    const hs = this.host.handshake;
    this.sackOk = seg.sackOk && hs.sack;
    if (seg.wscale >= 0 && hs.wscale >= 0) {
      this.sndWscale = Math.min(seg.wscale, TCP_MAX_WSCALE);
      this.rcvWscale = hs.wscale;
    } else {
      this.sndWscale = 0;
      this.rcvWscale = 0;
    }
  }

  /** tcp_input.c tcp_rcv_synsent_state_process(). */
  private rcvSynSent(seg: Segment): void {
    const host = this.host;
    const f = seg.flags;
    if (f & ACK) {
      // An ACK that does not acknowledge our SYN: answer with RST (RFC 9293 3.10.7.3).
      if (!after(seg.ack, this.iss) || after(seg.ack, this.sndNxt)) {
        // "Previous FIN/ACK or RST/ACK might be ignored": unless the SYN was already
        // retransmitted, send it again in TCP_TIMEOUT_MIN (2 jiffies), not after the RTO.
        if (this.retransmits === 0 && host.profile.synFastRetry) this.setTimer('retransmit', host.timerAt(2 * host.jiffy));
        if (!(f & RST)) host.sendReset(seg);
        return;
      }
      if (f & RST) {
        this.reset(); // ECONNREFUSED
        return;
      }
      if (!(f & SYN)) return;
      // SYN-ACK: the connection is established.
      this.irs = seg.seq;
      this.rcvNxt = this.rcvWup = seqAdd(seg.seq, 1);
      this.setSndWnd(seg.win);
      this.peerIncarnation = seg.incarnation;
      this.negotiate(seg);
      this.tsOk = seg.hasTs && host.sysctl.tcp_timestamps !== 0;
      this.mss = sendMss(seg.mss > 0 ? Math.min(host.handshake.mss, seg.mss) : this.mss, this.tsOk);
      if (this.tsOk) {
        this.tsRecent = seg.tsVal;
        this.tsRecentStamp = host.seconds();
      }
      // The SYN's RTT, unless it was retransmitted (Karn: ackAdvance); otherwise the echo.
      this.ackAdvance(seg.ack);
      // tcp_init_transfer: the initial window is TCP_INIT_CWND segments of the MSS now known
      // (in packets in Linux: the SYN's ACK does not grow it).
      this.cwnd = TCP_INIT_CWND * this.mss;
      if (this.srtt === 0) this.handshakeRtt(seg);
      this.setState('ESTABLISHED');
      this.sendAck();
      this.events.connected?.(this);
      return;
    }
    if (f & RST) return; // an RST without ACK cannot be for our SYN
    if (f & SYN) {
      // Simultaneous open (RFC 9293 3.5): SYN_RECV, answer with SYN-ACK from the same ISN.
      this.negotiate(seg);
      this.irs = seg.seq;
      this.rcvNxt = this.rcvWup = seqAdd(seg.seq, 1);
      this.setSndWnd(seg.win);
      this.peerIncarnation = seg.incarnation;
      this.tsOk = seg.hasTs && host.sysctl.tcp_timestamps !== 0;
      if (this.tsOk) {
        this.tsRecent = seg.tsVal;
        this.tsRecentStamp = host.seconds();
      }
      this.setState('SYN_RECV');
      this.retransmits = 0;
      this.sendSyn(true);
    }
  }

  /** Segments on a synchronized connection: tcp_validate_incoming(), then tcp_rcv_state_process(). */
  private rcvSynchronized(seg: Segment): void {
    const host = this.host;
    const mib = host.mib;
    const f = seg.flags;
    const seq = seg.seq;
    const endSeq = seqAdd(seq, seg.seqLen);

    // PAWS (RFC 7323 5.3): an old timestamp marks an old duplicate. RSTs are exempt.
    const profile = host.profile;
    if (this.tsOk && seg.hasTs && !(f & RST) && !pawsCheck(this.tsRecent, this.tsRecentStamp, seg.tsVal, TCP_PAWS_WINDOW, host.seconds(), profile.pawsTrustS)) {
      if (f & SYN) {
        this.synChallenge();
      } else if (seg.seqLen === 0 && profile.lenientOldAck) {
        // tcp_disordered_ack_check (6.x): an old pure ACK is dropped quietly.
        mib.TcpExtPAWSOldAck++;
      } else {
        mib.TcpExtPAWSEstab++;
        this.dupAck(seg, 'TcpExtTCPACKSkippedPAWS');
      }
      return;
    }

    // tcp_sequence: acceptable if it overlaps the window we advertised, which starts at
    // rcv_wup (so an RST right after the peer's FIN, before we ACKed it, still counts).
    const wndEnd = seqAdd(this.rcvWup, this.rcvWnd);
    const inWindow = !before(endSeq, this.rcvWup) && !after(seq, wndEnd) && !(after(endSeq, wndEnd) && this.rcvQueue > 0);
    if (!inWindow) {
      if (f & RST) return;
      if (f & SYN) this.synChallenge();
      else this.dupAck(seg, 'TcpExtTCPACKSkippedSeq');
      return;
    }

    // RFC 5961 3.2: only an RST exactly at rcv_nxt resets; another in-window RST gets a challenge ACK.
    if (f & RST) {
      const atRcvNxt = seq === this.rcvNxt;
      // tcp_reset_check: after the peer's FIN, an RST at rcv_nxt - 1 is accepted too.
      const afterFin = seq === seqAdd(this.rcvNxt, -1) && (this.state === 'CLOSE_WAIT' || this.state === 'LAST_ACK' || this.state === 'CLOSING');
      if (atRcvNxt || afterFin) this.reset();
      else this.challengeAck();
      return;
    }

    // RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK.
    if (f & SYN) {
      this.synChallenge();
      return;
    }

    if (!(f & ACK)) return;

    // tcp_ack (RFC 5961 5.2): an ACK below snd_una by more than min(max_window, bytes_acked)
    // acknowledges bytes we never sent: a blind injection. Challenge it.
    if (before(seg.ack, seqAdd(this.sndUna, -Math.min(this.maxWindow, this.bytesAcked)))) {
      this.challengeAck();
      return;
    }
    if (after(seg.ack, this.sndNxt)) {
      // An ACK of something never sent: the segment is dropped, and answered with a
      // (rate-limited) challenge ACK, as RFC 9293 3.10.7.4 asks. Outside ESTABLISHED since
      // 6.9 (tcp_rcv_state_process); in ESTABLISHED too on 6.18.44, observed (not yet in
      // the 6.18.19 source: tcp_rcv_established discarded it silently). 4.4 drops it.
      if (profile.lenientOldAck) this.challengeAck();
      return;
    }
    if (before(seg.ack, this.sndUna)) {
      // An old ACK: ignored; in ESTABLISHED (and since 6.9 everywhere) its data and FIN still count.
      if (this.state !== 'ESTABLISHED' && !profile.lenientOldAck) return;
    } else {
      // tcp_replace_ts_recent (RFC 7323 4.3): remember the timestamp of a segment at or
      // before the window's left edge, unless it is older than what we have.
      if (this.tsOk && seg.hasTs && !after(seq, this.rcvWup) && pawsCheck(this.tsRecent, this.tsRecentStamp, seg.tsVal, 0, host.seconds(), profile.pawsTrustS)) {
        this.tsRecent = seg.tsVal;
        this.tsRecentStamp = host.seconds();
      }
      if (after(seg.ack, this.sndUna)) {
        this.setSndWnd(this.peerWindow(seg));
        this.ackAdvance(seg.ack, seg);
      } else if (seg.seqLen === 0 && this.peerWindow(seg) === this.sndWnd && before(this.sndUna, this.sndNxt)) {
        // A duplicate ACK: the third means a segment was lost; resend it now rather than
        // at the RTO (RFC 5681 3.2 fast retransmit; Linux does this with SACK in tcp_fastretrans_alert).
        // In Loss, tcp_fastretrans_alert leaves duplicate ACKs to tcp_process_loss instead.
        if (this.caState === 'Loss') {
          this.xmitRecovery(this.processLoss(false));
        } else if (++this.dupAcks === 3) {
          host.mib.TcpExtTCPFastRetrans++;
          // tcp_enter_recovery: ssthresh from the congestion control, and cwnd brought down to
          // it (PRR does that over the recovery; the model at once).
          this.ssthresh = this.lossSsthresh();
          this.cwnd = this.ssthresh;
          this.retransmitHead();
        }
      } else {
        this.setSndWnd(this.peerWindow(seg));
      }
    }

    const ourFinAcked = this.finQueued && this.sndUna === this.writeSeq;
    switch (this.state) {
      case 'SYN_RECV': {
        // The handshake's last ACK (a child's own, or simultaneous open). A child took the
        // SYN-ACK's RTT when it was made (host.ts requestInput); otherwise the echoed
        // timestamp, or the fallback RTO (tcp_rcv_state_process: !srtt_us -> tcp_synack_rtt_meas).
        if (this.srtt === 0) this.handshakeRtt(seg);
        this.setState('ESTABLISHED');
        const parent = this.parent;
        if (parent === null) this.events.connected?.(this);
        break;
      }
      case 'FIN_WAIT_1':
        if (!ourFinAcked) break;
        this.setState('FIN_WAIT_2');
        if (this.orphan) {
          // tcp_rcv_state_process TCP_FIN_WAIT1: TCP_LINGER2 < 0 lets no orphan wait in
          // FIN_WAIT_2; the socket goes, and the ACK that got it there is answered with RST.
          if (this.linger2 < 0) {
            mib.TcpExtTCPAbortOnData++;
            this.done();
            host.sendReset(seg);
            return;
          }
          // Data (or a FIN out of order) after close(): reset (RFC 1122 4.2.2.13).
          if (seg.seqLen > 0 && after(seqAdd(endSeq, f & FIN ? -1 : 0), this.rcvNxt)) {
            mib.TcpExtTCPAbortOnData++;
            this.done();
            host.sendReset(seg);
            return;
          }
          this.orphanFinWait2((f & FIN) !== 0);
          if (this.stateNow() !== 'FIN_WAIT_2' || !(f & FIN)) return; // now a timewait socket
        }
        break;
      case 'CLOSING':
        if (ourFinAcked) {
          host.timeWait(this, 'TIME_WAIT', 0);
          return;
        }
        break;
      case 'LAST_ACK':
        if (ourFinAcked) {
          this.done();
          return;
        }
        break;
      case 'ESTABLISHED':
      case 'FIN_WAIT_2':
      case 'CLOSE_WAIT':
      case 'SYN_SENT':
      case 'CLOSE':
      case 'LISTEN':
      case 'TIME_WAIT':
        break;
    }

    if (seg.len > 0 || f & FIN) {
      if (!this.dataStep(seg)) return;
    }
    if (this.finWait2Deferred !== 0) {
      const tmo = this.finWait2Deferred;
      this.finWait2Deferred = 0;
      if (this.state === 'FIN_WAIT_2') this.setTimer('fin_wait_2', host.timerAt(tmo));
    }
    if (this.state !== 'CLOSE') this.transmit();
  }

  /** Segments received beyond a gap, by sequence (null until the first one). */
  private ooo: Segment[] | null = null;

  private queueOutOfOrder(seg: Segment): void {
    const q = (this.ooo ??= []);
    let i = q.length;
    while (i > 0 && after(q[i - 1]!.seq, seg.seq)) i--;
    if (i > 0 && q[i - 1]!.seq === seg.seq && q[i - 1]!.seqLen >= seg.seqLen) return; // a duplicate
    q.splice(i, 0, seg);
  }

  /** Take the new part of an in-order segment; true when it also brings the peer's FIN. */
  private take(seg: Segment): boolean {
    const host = this.host;
    const fresh = seg.len - seqDiff(this.rcvNxt, seg.seq);
    if (fresh > 0) {
      if (seg.incarnation !== this.peerIncarnation) host.staleAccepted(this, seg, fresh);
      this.rcvQueue += fresh;
      this.rcvNxt = seqAdd(this.rcvNxt, fresh);
      this.dataArrived(host.now);
    }
    return (seg.flags & FIN) !== 0 && seqAdd(seg.seq, seg.len) === this.rcvNxt;
  }

  /**
   * tcp_rcv_state_process step 7, data and FIN by state. False when the connection was
   * reset here.
   */
  private dataStep(seg: Segment): boolean {
    const s = this.state;
    const peerFinSeen = s === 'CLOSE_WAIT' || s === 'CLOSING' || s === 'LAST_ACK';
    // After the peer's FIN, anything at or beyond rcv_nxt is bogus: ignore it.
    if (peerFinSeen && !before(seg.seq, this.rcvNxt)) return true;
    if (peerFinSeen || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2') {
      // RFC 1122 4.2.2.13: data after we shut down reading (close()) resets the connection
      // (tcp_rcv_state_process: end_seq != seq and beyond rcv_nxt, FIN not counted).
      const dataEnd = seqAdd(seg.seq, seg.len);
      if (this.rcvShutdown && seg.seqLen > 0 && after(dataEnd, this.rcvNxt)) {
        this.host.mib.TcpExtTCPAbortOnData++;
        this.error = 'ECONNRESET';
        this.done();
        this.host.sendReset(seg);
        return false;
      }
    }
    if (peerFinSeen || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2' || s === 'ESTABLISHED') this.dataQueue(seg);
    return true;
  }

  /** The state, read afresh (TypeScript would otherwise keep an earlier narrowing). */
  private stateNow(): TcpState {
    return this.state;
  }

  /** tcp_input.c tcp_data_queue: in-order data and FIN, out-of-order segments kept aside. */
  private dataQueue(seg: Segment): void {
    const seq = seg.seq;
    const endSeq = seqAdd(seq, seg.seqLen);
    if (!after(endSeq, this.rcvNxt)) {
      // A duplicate: ACK at once so the peer stops retransmitting (tcp_send_dupack).
      this.sendAck();
      return;
    }
    if (after(seq, this.rcvNxt)) {
      // Out of order: keep it for when the gap is filled (tcp_data_queue_ofo) and send a
      // duplicate ACK at once, so the sender can retransmit fast.
      this.queueOutOfOrder(seg);
      this.sendAck();
      return;
    }
    // In order, possibly overlapping what we already have: take the new part, then whatever
    // the out-of-order queue now continues.
    let fin = this.take(seg);
    while (!fin && this.ooo !== null && this.ooo.length > 0 && !after(this.ooo[0]!.seq, this.rcvNxt)) {
      fin = this.take(this.ooo.shift()!);
    }
    if (fin) this.onFin();
    if (this.state === 'CLOSE' || this.state === 'TIME_WAIT') return;
    if (fin) {
      // tcp_fin: in CLOSE_WAIT the ACK waits in the hope of riding on our FIN.
      if (this.state === 'CLOSE_WAIT') this.scheduleDelack();
      else this.sendAck();
    } else if (this.pingpong) {
      this.scheduleDelack();
    } else {
      this.sendAck();
    }
    if (!this.orphan) this.events.readable?.(this);
  }

  /**
   * tcp_input.c tcp_event_data_recv: the delayed-ACK timeout starts at TCP_ATO_MIN with the
   * first data and follows the spacing of arrivals (halving towards short gaps).
   */
  private dataArrived(now: Micros): void {
    if (this.ato === 0) {
      this.ato = TCP_DELACK;
    } else {
      const m = now - this.lastDataRecv;
      if (m <= TCP_DELACK / 2) this.ato = this.ato / 2 + TCP_DELACK / 2;
      else if (m < this.ato) this.ato = Math.min(this.ato / 2 + m, this.rto);
    }
    this.lastDataRecv = now;
  }

  /** tcp_input.c tcp_fin: the peer has finished sending. */
  private onFin(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.peerFin = true;
    this.rcvShutdown = true;
    switch (this.state) {
      case 'SYN_RECV':
      case 'ESTABLISHED':
        this.setState('CLOSE_WAIT');
        this.pingpong = true;
        return;
      case 'CLOSE_WAIT':
      case 'CLOSING':
      case 'LAST_ACK':
        return; // a retransmitted FIN
      case 'FIN_WAIT_1':
        // Simultaneous close: our FIN is not yet acked. Go to CLOSING; tcp_data_queue sends the
        // one ACK of their FIN (tcp_fin's tcp_send_ack clears the ACK it had scheduled).
        this.setState('CLOSING');
        return;
      case 'FIN_WAIT_2':
        // Both FINs acknowledged after this ACK: TIME_WAIT.
        this.sendAck();
        this.host.timeWait(this, 'TIME_WAIT', 0);
        return;
      case 'SYN_SENT':
      case 'CLOSE':
      case 'LISTEN':
      case 'TIME_WAIT':
        return;
    }
  }

  /** New data acknowledged: advance snd_una, sample the RTT, restart or stop the retransmit timer. */
  private ackAdvance(ack: number, seg?: Segment): void {
    const host = this.host;
    const acked = seqDiff(ack, this.sndUna);
    // Karn (tcp_clean_rtx_queue): an ACK that covers data sent more than once gives no clock sample.
    const retransAcked = this.retransPending && before(this.sndUna, this.retransHigh);
    if (this.retransPending && !before(ack, this.retransHigh)) this.retransPending = false;
    this.sndUna = ack;
    this.bytesAcked += acked;
    this.retransmits = 0;
    this.dupAcks = 0;
    const echoed = seg !== undefined && seg.hasTs && this.tsOk && seg.tsEcr !== 0;
    let sampled = false;
    if (this.rttTiming && after(ack, this.rttSeq32 >>> 0)) {
      this.rttTiming = false;
      if (!retransAcked) {
        let sample = host.now - this.rttSent;
        if (echoed) {
          // RFC 7323 4.1: RTT from the echoed timestamp.
          const ms = ((host.tsClockMs() + this.tsOffset - seg.tsEcr) | 0) * MS;
          if (ms >= 0) sample = Math.max(sample, ms);
        }
        this.rttSample(sample);
        sampled = true;
      }
    }
    if (!sampled && retransAcked && echoed) {
      // tcp_ack_update_rtt: Karn forbids timing retransmitted data by the clock, but the
      // timestamp echoed for the retransmission is a valid sample (tcp_rtt_tsopt_us: whole
      // milliseconds, at least 1); it sets the RTO afresh, which ends the backoff
      // (icsk_backoff = 0). Without timestamps the backed-off RTO stays until data sent
      // once is acked.
      const ms = (host.tsClockMs() + this.tsOffset - seg.tsEcr) | 0;
      if (ms >= 0) this.rttSample(Math.max(ms, 1) * MS);
    }
    const rexmit: Rexmit = this.caState === 'Loss' ? this.processLoss(true) : 'none';
    if (acked > 0) this.congAvoid(acked);
    if (!before(this.sndUna, this.sndNxt)) {
      if (this.timerKind === 'retransmit') this.setTimer('idle');
    } else {
      this.setTimer('retransmit', host.timerAt(this.rto));
    }
    this.xmitRecovery(rexmit);
  }

  /**
   * tcp_cong_avoid (tcp_cong_control), per ACK of new data: slow start below ssthresh (one
   * segment per ACK, as far as ssthresh), then about a segment per window (Reno's
   * tcp_cong_avoid_ai standing in for CUBIC's curve). Loss does not stop it (tcp_may_raise_cwnd).
   */
  private congAvoid(acked: number): void {
    if (this.cwnd < this.ssthresh) this.cwnd = Math.min(this.cwnd + Math.min(acked, this.mss), this.ssthresh);
    else this.cwnd += Math.max(Math.floor((this.mss * this.mss) / this.cwnd), 1);
  }

  /**
   * A handshake that gave no RTT sample from its timing (our SYN or SYN-ACK was retransmitted:
   * Karn), as the connection becomes ESTABLISHED. tcp_input.c tcp_ack_update_rtt: the
   * timestamp the peer echoed stands in (tcp_rtt_tsopt_us: whole milliseconds, at least 1).
   * Without one, tcp_metrics.c tcp_init_metrics starts the RTO at TCP_TIMEOUT_FALLBACK, 3 s,
   * instead of the 1 s (or backed-off) RTO of the handshake (RFC 6298 5.7). Observed on 6.18:
   * docs/fidelity.md section 21.
   */
  private handshakeRtt(seg: Segment): void {
    if (this.tsOk && seg.hasTs && seg.tsEcr !== 0) {
      const ms = (this.host.tsClockMs() + this.tsOffset - seg.tsEcr) | 0;
      if (ms >= 0) {
        this.rttSample(Math.max(ms, 1) * MS);
        return;
      }
    }
    this.rttvar = TCP_TIMEOUT_FALLBACK;
    this.rto = TCP_TIMEOUT_FALLBACK;
  }

  /** RFC 6298 2.2-2.3 with Linux's floor: RTO = SRTT + max(4 * RTTVAR, TCP_RTO_MIN). */
  rttSample(r: Micros): void {
    const p = this.host.profile;
    if (this.srtt === 0) {
      this.srtt = Math.max(r, 1);
      this.rttvar = r / 2;
    } else {
      this.rttvar = (3 * this.rttvar + Math.abs(this.srtt - r)) / 4;
      this.srtt = (7 * this.srtt + r) / 8;
    }
    const rto = Math.round(this.srtt + Math.max(4 * this.rttvar, p.rtoMin));
    this.rto = Math.min(Math.max(rto, p.rtoMin), p.rtoMax);
  }
}

/** The application side of a close() blocked in SO_LINGER: woken by the ACK of our FIN or the timeout. */
class LingerWait implements Due {
  gen = 0;
  constructor(private readonly sock: TcpSocket) {}
  fire(_now: Micros, token: number): void {
    if (token === this.gen) this.sock.lingerReturn();
  }
}

/** The payload of a full segment: the negotiated MSS less the timestamp option when it is on (tcp_sync_mss). */
function sendMss(mss: number, tsOk: boolean): number {
  return tsOk ? mss - TCPOLEN_TSTAMP_ALIGNED : mss;
}
